//! The background tokio runtime every socket runs on.
//!
//! Sockets never run on the caller's thread: a GUI's thread only sends commands and drains
//! events, so a slow peer, a hanging connect or a name lookup never freezes a window.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Handle;

use crate::SocketError;

/// How long dropping the runtime waits for socket tasks to finish closing.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Owns the background threads that run every socket. Create one per program, and keep it
/// until the servers and sockets made on it are dropped: dropping it ends every socket's task
/// at once, with no Closed events, and a [`crate::ServerSocket`] or [`crate::TcpSocket`] still
/// held then says what it last knew (IsListening, a listening port still open until the
/// server is dropped, a socket still Connected whose writes are refused with 106).
#[derive(Debug)]
pub struct Runtime {
    /// The tokio runtime; `Option` only so `Drop` can shut it down with a grace period.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Runtime {
    /// Starts the background threads (two workers: enough for thousands of sockets, and it
    /// leaves cores for the window).
    ///
    /// # Errors
    /// [`SocketError::Os`] when the OS refuses to start threads or the I/O driver.
    pub fn new() -> Result<Self, SocketError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("serversocket-io")
            .enable_all()
            .build()
            .map_err(|e| SocketError::Os(format!("could not start the socket runtime: {e}")))?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    /// A handle for spawning onto the runtime.
    #[must_use]
    pub fn handle(&self) -> Handle {
        match &self.runtime {
            Some(runtime) => runtime.handle().clone(),
            None => unreachable!("the runtime is only taken in Drop"),
        }
    }

    /// Runs a future to completion on the calling thread, with the sockets still on the
    /// background threads. For headless programs and tests; a GUI never calls this.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle().block_on(future)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(SHUTDOWN_GRACE);
        }
    }
}

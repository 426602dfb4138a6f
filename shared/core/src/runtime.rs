//! The background tokio runtime every socket runs on.
//!
//! Sockets never run on the caller's thread: a GUI's thread only sends commands and drains
//! events, so a slow peer, a hanging connect or a name lookup never freezes a window.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio_util::sync::CancellationToken;

use crate::SocketError;

/// How long dropping the runtime waits for socket tasks to finish closing.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

thread_local! {
    /// True on the runtime's own threads, where waiting for the sockets' tasks would wait for
    /// the very thread that has to run them.
    static SOCKET_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Runs `wait` (something that blocks until the sockets' tasks have done something) where the
/// calling thread may block, or says it cannot: `None` on one of the runtime's own threads, and
/// inside a single-threaded async runtime (a `current_thread` one, whose only thread would
/// stall). Inside a multi-threaded one (a program's `#[tokio::main]`) it blocks as tokio
/// allows there, handing that thread's other tasks to another thread meanwhile; blocking
/// there directly panics ("Cannot drop a runtime in a context where blocking is not allowed").
pub(crate) fn where_blocking_is_allowed<R>(wait: impl FnOnce() -> R) -> Option<R> {
    if SOCKET_THREAD.get() {
        return None;
    }
    match Handle::try_current() {
        Err(_) => Some(wait()),
        Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
            Some(tokio::task::block_in_place(wait))
        }
        Ok(_) => None,
    }
}

/// Owns the background threads that run every socket. Create one per program, and keep it
/// until the servers and sockets made on it are dropped: dropping it ends every socket's task
/// at once, with no Closed events, and a [`crate::ServerSocket`] or [`crate::TcpSocket`] still
/// held then says what it last knew (IsListening, a listening port still open until the
/// server is dropped, a socket still Connected whose writes are refused with 106). A server's
/// Listen and its limits' setters then fail with [`SocketError::RuntimeDropped`] (106):
/// nothing would run what they start.
#[derive(Debug)]
pub struct Runtime {
    /// The tokio runtime; `Option` only so `Drop` can shut it down with a grace period.
    runtime: Option<tokio::runtime::Runtime>,
    /// Cancelled when this is dropped, so what was made on it ([`Background`]) can say so
    /// instead of passing on tokio's words about a context "being shutdown".
    dropped: CancellationToken,
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
            .on_thread_start(|| SOCKET_THREAD.set(true))
            .enable_all()
            .build()
            .map_err(|e| SocketError::Os(format!("could not start the socket runtime: {e}")))?;
        Ok(Self {
            runtime: Some(runtime),
            dropped: CancellationToken::new(),
        })
    }

    /// The runtime as a server made on it keeps it.
    pub(crate) fn background(&self) -> Background {
        Background {
            handle: self.handle(),
            dropped: self.dropped.clone(),
        }
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
    /// background threads. For headless programs and tests; a GUI never calls this. An async
    /// program awaits the future instead.
    ///
    /// # Panics
    /// On one of the sockets' own threads (a handler), and inside a single-threaded async
    /// runtime: the thread would wait for itself. Inside a multi-threaded one it blocks as
    /// tokio allows there.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let handle = self.handle();
        where_blocking_is_allowed(|| handle.block_on(future)).unwrap_or_else(|| {
            panic!(
                "Runtime::block_on cannot block here (a socket's own thread, or a single-threaded \
                 async runtime): await the future instead"
            )
        })
    }
}

impl Drop for Runtime {
    /// Gives the sockets' tasks up to two seconds to end where the thread may wait for
    /// them; elsewhere (inside a single-threaded async runtime, or on a socket's thread) lets
    /// them end in the background, as waiting there would panic or wait for itself.
    fn drop(&mut self) {
        self.dropped.cancel();
        let mut runtime = self.runtime.take();
        where_blocking_is_allowed(|| {
            if let Some(runtime) = runtime.take() {
                runtime.shutdown_timeout(SHUTDOWN_GRACE);
            }
        });
        if let Some(runtime) = runtime {
            runtime.shutdown_background();
        }
    }
}

/// A handle to the runtime that knows whether its [`Runtime`] was dropped: what a server keeps
/// of the runtime it was made on, which it may outlive.
#[derive(Debug, Clone)]
pub(crate) struct Background {
    /// For spawning; a task spawned once the runtime is gone is dropped unrun.
    handle: Handle,
    /// Cancelled when the [`Runtime`] was dropped.
    dropped: CancellationToken,
}

impl Background {
    /// The handle to spawn on, whether or not the runtime is still running.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The handle, while the [`Runtime`] is there to run what it is given.
    ///
    /// # Errors
    /// [`SocketError::RuntimeDropped`] once the [`Runtime`] was dropped.
    pub(crate) fn running(&self) -> Result<&Handle, SocketError> {
        if self.dropped.is_cancelled() {
            Err(SocketError::RuntimeDropped)
        } else {
            Ok(&self.handle)
        }
    }
}

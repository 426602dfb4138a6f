//! The server a ServerSocket replaces, for comparison: one listening socket that, on accepting a
//! connection, closes, hands the connection off, and listens again after a delay.
//!
//! While it is closed, nothing listens on the port and the OS refuses new connections: this is
//! the gap the ServerSocket page warns about ("one of the connections may be dropped because
//! there was no listening socket available"), here on real sockets. Its backlog is 1, like a
//! single TCPSocket's Listen. Every connection still runs on a [`crate::TcpSocket`] with the
//! application's handler, numbered from 0 like the pool's sockets.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection::Connection;
use crate::server_socket::{bind, os_handle};
use crate::tcp_socket::{SocketState, lock};
use crate::{Event, EventSender, Runtime, Socket, SocketError, SocketHandler, SocketId, TcpSocket};

/// The seed-style default pause between closing and listening again.
pub const DEFAULT_RELISTEN_DELAY: Duration = Duration::from_millis(50);

/// A single listening socket that re-listens after each connection.
pub struct NaiveServer {
    /// Where the listener and the connections run.
    runtime: Handle,
    /// Stops the listener and every connection.
    shutdown: CancellationToken,
    /// Every task, so shutdown can wait for them.
    tracker: TaskTracker,
    /// Connections accepted so far.
    accepted: Arc<AtomicU64>,
    /// The connected sockets' handles (dropping a handle would close its socket); each
    /// removes itself when it closes.
    connections: Arc<Mutex<BTreeMap<SocketId, TcpSocket>>>,
}

impl NaiveServer {
    /// Binds `address` and starts the accept–close–relisten cycle; returns the bound address.
    /// `add_socket` makes the handler for each accepted connection.
    ///
    /// # Errors
    /// The bind's failure (105 address in use, 107 privileged port …).
    pub fn listen<H, F>(
        runtime: &Runtime,
        events: EventSender,
        address: SocketAddr,
        relisten_delay: Duration,
        mut add_socket: F,
    ) -> Result<(Self, SocketAddr), SocketError>
    where
        H: SocketHandler,
        F: FnMut(SocketId) -> H + Send + 'static,
    {
        let first = bind(address, 1)?;
        let bound = first
            .local_addr()
            .map_err(|e| SocketError::Os(format!("the listener has no address: {e}")))?;
        let server = Self {
            runtime: runtime.handle(),
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            accepted: Arc::new(AtomicU64::new(0)),
            connections: Arc::default(),
        };
        let (shutdown, tracker, accepted, connections) = (
            server.shutdown.clone(),
            server.tracker.clone(),
            Arc::clone(&server.accepted),
            Arc::clone(&server.connections),
        );
        let task = async move {
            let mut next_id = 0;
            let mut listener = Some(first);
            while !shutdown.is_cancelled() {
                let std_listener = match listener.take() {
                    Some(listener) => listener,
                    None => match bind(bound, 1) {
                        Ok(listener) => listener,
                        Err(error) => {
                            events
                                .send(Event::Error {
                                    socket: None,
                                    error,
                                })
                                .await;
                            tokio::select! {
                                () = shutdown.cancelled() => break,
                                () = tokio::time::sleep(relisten_delay.max(Duration::from_millis(100))) => continue,
                            }
                        }
                    },
                };
                let Ok(open) = tokio::net::TcpListener::from_std(std_listener) else {
                    break;
                };
                let handle = os_handle(&open);
                events
                    .send(Event::Listening {
                        address: bound,
                        handle,
                        min: 0,
                        max: 1,
                    })
                    .await;
                let accepted_stream = tokio::select! {
                    () = shutdown.cancelled() => break,
                    accepted = open.accept() => accepted,
                };
                // The single listening socket is busy with this connection now: close it.
                drop(open);
                events.send(Event::Stopped).await;
                let Ok((stream, remote)) = accepted_stream else {
                    continue;
                };
                accepted.fetch_add(1, Ordering::Relaxed);
                let id = SocketId(next_id);
                next_id += 1;
                let handler = add_socket(id);
                events.send(Event::AddSocket { socket: id }).await;
                let (handle, commands) = TcpSocket::new(id, SocketState::Connecting);
                let status = handle.status_cell();
                lock(&connections).insert(id, handle);
                let registry = Arc::clone(&connections);
                let connection = Connection {
                    stream,
                    socket: Socket::new(id),
                    handler: Box::new(handler),
                    events: events.clone(),
                    commands,
                    status,
                    cancel: shutdown.child_token(),
                    on_closed: Box::new(move || {
                        lock(&registry).remove(&id);
                    }),
                    announced: None,
                    idle_timeout: None,
                };
                tracing::debug!(socket = id.0, %remote, "naive handoff");
                tracker.spawn(connection.run());
                // The handoff and re-listen take time; connections arriving now are refused.
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(relisten_delay) => {}
                }
            }
        };
        server.tracker.spawn_on(task, &server.runtime);
        Ok((server, bound))
    }

    /// Connections accepted so far.
    #[must_use]
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// A connected socket, to write to or close.
    #[must_use]
    pub fn connection(&self, id: SocketId) -> Option<TcpSocket> {
        lock(&self.connections).get(&id).cloned()
    }

    /// Closes every connected socket; the listener goes on.
    pub fn close_all(&self) {
        for socket in lock(&self.connections).values() {
            socket.close();
        }
    }

    /// Stops listening, closes every connection and waits up to `timeout` for every task.
    #[must_use]
    pub fn shutdown(self, timeout: Duration) -> bool {
        self.shutdown.cancel();
        self.tracker.close();
        let tracker = self.tracker.clone();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, tracker.wait()).await })
            .is_ok()
    }
}

impl Drop for NaiveServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

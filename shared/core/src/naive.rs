//! The server a ServerSocket replaces, for comparison: one listening socket that, on accepting a
//! connection, closes, hands the connection off, and listens again after a delay.
//!
//! While it is closed, nothing listens on the port and the OS refuses new connections: this is
//! the gap the ServerSocket page warns about ("one of the connections may be dropped because
//! there was no listening socket available"), here on real sockets. Its backlog is 1, like a
//! single TCPSocket's Listen. Each gap is reported as [`Event::ListenerClosed`] then
//! [`Event::ListenerReopened`] (Listening and Stopped keep their meaning: the start and the end).
//! Every connection still runs on a [`crate::TcpSocket`] with the
//! application's handler, numbered from 0 like the pool's sockets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::os_socket::{bind, os_handle};
use crate::registry::Registry;
use crate::{
    Event, EventSender, Runtime, SocketError, SocketHandler, SocketId, SocketIds, TcpSocket,
};

/// The seed-style default pause between closing and listening again.
pub const DEFAULT_RELISTEN_DELAY: Duration = Duration::from_millis(50);

/// A single listening socket that re-listens after each connection.
pub struct NaiveServer {
    /// The connected sockets and every task, with their shutdown: the same lifecycle as the
    /// pool's.
    registry: Registry,
    /// Connections accepted so far.
    accepted: Arc<AtomicU64>,
}

impl NaiveServer {
    /// Binds `address` and starts the accept–close–relisten cycle; returns the bound address.
    /// `add_socket` makes the handler for each accepted connection. Sockets are numbered from 0.
    ///
    /// # Errors
    /// The bind's failure (105 address in use, 107 privileged port …).
    pub fn listen<H, F>(
        runtime: &Runtime,
        events: EventSender,
        address: SocketAddr,
        relisten_delay: Duration,
        add_socket: F,
    ) -> Result<(Self, SocketAddr), SocketError>
    where
        H: SocketHandler,
        F: FnMut(SocketId) -> H + Send + 'static,
    {
        Self::listen_with_ids(
            runtime,
            events,
            address,
            relisten_delay,
            SocketIds::new(),
            add_socket,
        )
    }

    /// As [`Self::listen`], numbering sockets from `ids` (a window shares its
    /// [`crate::ServerSocket::socket_ids`], so ids stay unique across modes and Listens).
    ///
    /// # Errors
    /// The bind's failure (105 address in use, 107 privileged port …).
    pub fn listen_with_ids<H, F>(
        runtime: &Runtime,
        events: EventSender,
        address: SocketAddr,
        relisten_delay: Duration,
        ids: SocketIds,
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
            registry: Registry::new(runtime.background()),
            accepted: Arc::new(AtomicU64::new(0)),
        };
        let (registry, accepted) = (server.registry.clone(), Arc::clone(&server.accepted));
        // Cancelled when the server shuts down.
        let shutdown = registry.session();
        let task = async move {
            let mut listener = Some(first);
            // Listening is said once; each later open ends a gap (ListenerReopened).
            let mut first_listen = true;
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
                let opened = if first_listen {
                    Event::Listening {
                        address: bound,
                        handle,
                        min: 0,
                        max: 1,
                    }
                } else {
                    Event::ListenerReopened { handle }
                };
                first_listen = false;
                events.send(opened).await;
                let accepted_stream = tokio::select! {
                    () = shutdown.cancelled() => break,
                    accepted = open.accept() => accepted,
                };
                // The single listening socket is busy with this connection now: close it.
                drop(open);
                events.send(Event::ListenerClosed).await;
                let Ok((stream, remote)) = accepted_stream else {
                    continue;
                };
                accepted.fetch_add(1, Ordering::Relaxed);
                let id = ids.next();
                let handler = add_socket(id);
                events.send(Event::AddSocket { socket: id }).await;
                tracing::debug!(socket = id.0, %remote, "naive handoff");
                let connection = registry.register(
                    id,
                    stream,
                    Box::new(handler),
                    events.clone(),
                    None,
                    None,
                    None,
                );
                registry.start(connection);
                // The handoff and re-listen take time; connections arriving now are refused.
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(relisten_delay) => {}
                }
            }
            // The end, as the pool's StopListening says it: the connections close with it,
            // and without this line a window's log showed them close for no reason.
            events.send(Event::Stopped).await;
        };
        server.registry.spawn(task);
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
        self.registry.connection(id)
    }

    /// Closes every connected socket; the listener goes on.
    pub fn close_all(&self) {
        self.registry.close_all();
    }

    /// Stops listening, closes every connection and waits up to `timeout` for every task, where
    /// the thread may wait, as [`crate::ServerSocket::shutdown`] says.
    #[must_use]
    pub fn shutdown(self, timeout: Duration) -> bool {
        self.registry.shutdown(timeout)
    }
}

impl Drop for NaiveServer {
    fn drop(&mut self) {
        self.registry.cancel();
    }
}

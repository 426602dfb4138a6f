//! The listener task: accepts connections and hands each to an idle socket of the pool.
//!
//! This is the heart of a ServerSocket, written the mini-redis way. The listener stays open the
//! whole time; the pool of idle sockets is refilled (AddSocket) after each handoff, so there is
//! never a moment with nobody listening. At MaximumSocketsConnected the loop simply does not
//! call `accept`: new clients wait in the kernel's backlog and are served, in order, as soon as
//! a connection closes. Accept errors (say, out of file descriptors) are reported and retried
//! after a growing pause instead of spinning.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::connection::Connection;
use crate::server_socket::{Limits, Pool};
use crate::tcp_socket::{SocketState, lock};
use crate::{Event, EventSender, Socket, SocketError, SocketHandler, SocketId, TcpSocket};

/// Xojo's AddSocket event as a Rust callback: a handler for each new pooled socket.
pub(crate) type AddSocket = Box<dyn FnMut(SocketId) -> Box<dyn SocketHandler> + Send>;

/// The first pause after a failed accept; it doubles up to [`MAX_ACCEPT_BACKOFF`].
const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause between accept retries.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(2);

/// A pooled socket waiting for a connection: just its id and its handler until then.
pub(crate) struct IdleSocket {
    id: SocketId,
    handler: Box<dyn SocketHandler>,
}

/// The running listener of one Listen.
pub(crate) struct Listener {
    /// The open listening socket.
    pub listener: TcpListener,
    /// Where it is bound.
    pub address: SocketAddr,
    /// State shared with the handle and the connections.
    pub pool: Arc<Pool>,
    /// Idle sockets, oldest first.
    pub idle: VecDeque<IdleSocket>,
    /// The application's AddSocket.
    pub add_socket: Arc<Mutex<AddSocket>>,
    /// Where events go.
    pub events: EventSender,
    /// Cancelled by StopListening.
    pub session: CancellationToken,
    /// Shared by every connection: cancelled only when the whole server shuts down, so
    /// StopListening leaves connected sockets alone.
    pub connections_cancel: CancellationToken,
    /// Tracks connection tasks so shutdown can wait for them.
    pub tracker: TaskTracker,
}

impl Listener {
    /// Runs from Listen to StopListening, then closes the listener and lets the idle sockets go.
    pub(crate) async fn run(mut self) {
        self.serve().await;
        let Self {
            listener,
            address,
            pool,
            idle,
            events,
            ..
        } = self;
        drop(listener);
        *lock(&pool.listening) = None;
        lock(&pool.idle).clear();
        for socket in idle {
            events.send(Event::Released { socket: socket.id }).await;
        }
        tracing::info!(%address, "stopped listening");
        events.send(Event::Stopped).await;
    }

    /// The accept loop, until StopListening.
    async fn serve(&mut self) {
        let handle = lock(&self.pool.listening).map_or(-1, |(_, handle)| handle);
        let mut seen = *lock(&self.pool.limits);
        self.events
            .send(Event::Listening {
                address: self.address,
                handle,
                min: seen.min,
                max: seen.max,
            })
            .await;
        let mut backoff: Option<Duration> = None;
        let mut retry_at: Option<Instant> = None;
        loop {
            let limits = *lock(&self.pool.limits);
            if limits != seen {
                seen = limits;
                self.events
                    .send(Event::LimitsChanged {
                        min: limits.min,
                        max: limits.max,
                    })
                    .await;
            }
            self.fit_pool(limits).await;
            // Raised before counting: a connection that closes after the count sees the flag
            // (the count and its removal take the same lock) and wakes us.
            self.pool.waiting_for_room.store(true, Ordering::SeqCst);
            let room = self.pool.connected_count() < limits.max
                && !self.pool.paused.load(Ordering::SeqCst);
            self.pool
                .waiting_for_room
                .store(!room || retry_at.is_some(), Ordering::SeqCst);
            tokio::select! {
                biased;
                () = self.session.cancelled() => break,
                () = self.pool.changed.notified() => {
                    // A connection closed (file descriptors may be free again) or the limits
                    // changed: look again at once.
                    retry_at = None;
                }
                () = sleep_until(retry_at), if retry_at.is_some() => retry_at = None,
                accepted = self.listener.accept(), if room && retry_at.is_none() => match accepted {
                    Ok((stream, remote)) => {
                        backoff = None;
                        if !self.slow_motion(remote).await {
                            break;
                        }
                        self.hand_off(stream, remote).await;
                    }
                    // The client gave up before we accepted; nothing is wrong with the listener.
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::Interrupted) => {}
                    Err(e) => {
                        let pause = backoff.map_or(FIRST_ACCEPT_BACKOFF, |b| (b * 2).min(MAX_ACCEPT_BACKOFF));
                        backoff = Some(pause);
                        retry_at = Some(Instant::now() + pause);
                        tracing::warn!(error = %e, ?pause, "accept failed");
                        let error = SocketError::AcceptFailed { reason: e.to_string(), retry_in: pause };
                        self.events.send(Event::Error { socket: None, error }).await;
                    }
                },
            }
        }
    }

    /// Slow motion: says a connection was accepted and waits the handoff delay, if one is set.
    /// False when StopListening came meanwhile (the waiting connection is then closed). Takes
    /// `&mut self` because a shared borrow of the listener is not `Send` across an await.
    async fn slow_motion(&mut self, remote: SocketAddr) -> bool {
        let delay = self.pool.handoff_delay();
        if delay.is_zero() {
            return true;
        }
        self.events
            .send(Event::Accepted {
                remote,
                handoff_in: delay,
            })
            .await;
        tokio::select! {
            () = self.session.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }

    /// Fires AddSocket until `limits.min` sockets wait idle, or releases the surplus.
    /// The snapshot is updated before each event, so whoever reacts to the event sees it.
    async fn fit_pool(&mut self, limits: Limits) {
        while self.idle.len() < limits.min {
            let socket = self.new_socket();
            let id = socket.id;
            self.idle.push_back(socket);
            self.publish_idle();
            self.events.send(Event::AddSocket { socket: id }).await;
        }
        while self.idle.len() > limits.min {
            if let Some(surplus) = self.idle.pop_back() {
                self.publish_idle();
                self.events
                    .send(Event::Released { socket: surplus.id })
                    .await;
            }
        }
    }

    /// Xojo's AddSocket event: asks the application for a new socket.
    fn new_socket(&mut self) -> IdleSocket {
        let id = SocketId(self.pool.next_id.fetch_add(1, Ordering::Relaxed));
        let handler = (lock(&self.add_socket))(id);
        tracing::debug!(socket = id.0, "AddSocket");
        IdleSocket { id, handler }
    }

    /// Shows the idle sockets to the handle (reusing the shown list's memory).
    fn publish_idle(&self) {
        let mut shown = lock(&self.pool.idle);
        shown.clear();
        shown.extend(self.idle.iter().map(|s| s.id));
    }

    /// Gives an accepted connection to the oldest idle socket (or a new one if the pool is
    /// empty), and makes the idle socket that replaces it.
    async fn hand_off(&mut self, stream: TcpStream, remote: SocketAddr) {
        let (IdleSocket { id, handler }, made_for_it) = match self.idle.pop_front() {
            Some(socket) => (socket, None),
            None => {
                let socket = self.new_socket();
                let added = Event::AddSocket { socket: socket.id };
                (socket, Some(added))
            }
        };
        // The replacement is made now rather than on the loop's next turn, so its AddSocket
        // travels with this Connected: one parcel, one wake-up of whoever watches.
        let min = lock(&self.pool.limits).min;
        let replacement = (self.idle.len() < min).then(|| {
            let socket = self.new_socket();
            let added = Event::AddSocket { socket: socket.id };
            self.idle.push_back(socket);
            added
        });
        self.publish_idle();
        let (handle, commands) = TcpSocket::new(id, SocketState::Connecting);
        let status = handle.status_cell();
        lock(&self.pool.connections).insert(id, handle);
        self.pool.accepted.fetch_add(1, Ordering::Relaxed);
        // A listener bound to one address takes connections on exactly that address: only one
        // bound to every interface asks the OS which one this came in on (a system call per
        // connection). If the peer already vanished there is no address; the socket's task
        // reports it.
        let local = if self.address.ip().is_unspecified() {
            stream.local_addr().ok()
        } else {
            Some(self.address)
        };
        let announced = local.map(|local| (local, remote));
        let connected = announced.map(|(local, remote)| Event::Connected {
            socket: id,
            local,
            remote,
        });
        // Sent before the socket's task starts, so its own events come after Connected.
        self.events
            .send_all(made_for_it.into_iter().chain(connected).chain(replacement))
            .await;
        let pool = Arc::clone(&self.pool);
        let connection = Connection {
            stream,
            socket: Socket::new(id),
            handler,
            events: self.events.clone(),
            commands,
            status,
            cancel: self.connections_cancel.clone(),
            on_closed: Box::new(move || {
                lock(&pool.connections).remove(&id);
                if pool.waiting_for_room.load(Ordering::SeqCst) {
                    pool.changed.notify_one();
                }
            }),
            announced,
        };
        let span = tracing::info_span!("socket", id = id.0, %remote);
        self.tracker.spawn(connection.run().instrument(span));
    }
}

/// Sleeps until `deadline`, or forever when there is none (the branch is disabled then anyway).
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

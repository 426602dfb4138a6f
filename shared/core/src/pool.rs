//! The listener task: accepts connections and hands each to an idle socket of the pool.
//!
//! This is the heart of a ServerSocket, written the mini-redis way. The listener stays open the
//! whole time; the pool of idle sockets is refilled (AddSocket) after each handoff, so there is
//! never a moment with nobody listening. At MaximumSocketsConnected the loop simply does not
//! call `accept`: new clients wait in the kernel's backlog and are served, in order, as soon as
//! a connection closes. Accept errors (say, out of file descriptors) are reported and retried
//! after a growing pause instead of spinning. [`Pool`], the state the listener shares with the
//! caller's handle, lives here beside it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::guarded::panic_message;
use crate::keep_alive::{OPTIONS_INHERITED, keep_alive};
use crate::limits::Limits;
use crate::on_closed::WaitsForRoom;
use crate::registry::Registry;
use crate::sync::lock;
use crate::{Event, EventSender, SocketError, SocketHandler, SocketId, SocketIds};

/// Xojo's AddSocket event as a Rust callback: a handler for each new pooled socket.
pub(crate) type AddSocket = Box<dyn FnMut(SocketId) -> Box<dyn SocketHandler> + Send>;

thread_local! {
    /// Set while this thread runs the application's AddSocket, so a StopListening called
    /// from inside it does not wait for itself.
    static IN_ADD_SOCKET: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside the application's AddSocket now.
pub(crate) fn inside_add_socket() -> bool {
    IN_ADD_SOCKET.with(Cell::get)
}

/// Why no new pooled socket was made.
enum NoSocket {
    /// StopListening came: AddSocket is not called again for this Listen.
    Stopped,
    /// AddSocket panicked (a [`SocketError::Panicked`]): the listener stops listening.
    Failed(SocketError),
}

/// The first pause after a failed accept; it doubles up to [`MAX_ACCEPT_BACKOFF`].
const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause between accept retries.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(2);

/// State shared by the handle, the listener task and the connection tasks.
#[derive(Debug)]
pub(crate) struct Pool {
    /// The limits; the listener re-reads them on every turn of its loop.
    pub limits: Mutex<Limits>,
    /// The sockets now connected (ActiveConnections) and every task, with their shutdown.
    pub registry: Registry,
    /// Idle sockets, as the listener last reported them.
    pub idle: Mutex<Vec<SocketId>>,
    /// The bound address and OS handle while listening.
    pub listening: Mutex<Option<(SocketAddr, i64)>>,
    /// Where socket ids come from (AddSocket order from 0, kept across Listens like the seed's
    /// curSocket, and shareable with a naive server so ids are never reused).
    pub ids: SocketIds,
    /// Connections accepted so far.
    pub accepted: AtomicU64,
    /// Wakes the listener: a connection closed (only while it waits for one) or the limits
    /// changed.
    pub changed: Notify,
    /// True while the listener waits for a connection to close: at Max, or pausing after a
    /// failed accept (file descriptors may be free again). Only then does a close wake it, so
    /// a busy server below Max is not woken for nothing once per connection.
    pub waiting_for_room: AtomicBool,
    /// Slow motion: how long each accepted connection waits before its handoff, in
    /// microseconds (an atomic: the accept loop reads it for every connection).
    pub handoff_delay_micros: AtomicU64,
    /// The idle timeout for connections accepted from now on, in milliseconds; 0 = none.
    pub idle_timeout_millis: AtomicU64,
    /// Pause accepting: the listener stays open but takes nothing, so clients wait in (and
    /// overflow) the kernel's accept queue.
    pub paused: AtomicBool,
    /// Counts the changes of the limits and of the pause, each made before the listener is
    /// woken: a listener that counted room before an accept knows from it whether the room
    /// still holds once the accept returned.
    pub room_changes: AtomicU64,
    /// The certificate of a TLS server: connections accepted from now on handshake before
    /// Connected. `None` serves plain TCP.
    pub tls: Mutex<Option<Arc<crate::tls::ServerTls>>>,
}

impl Pool {
    /// A pool with the default limits, not listening, whose connections run on `runtime` and
    /// take their ids from `ids`.
    pub(crate) fn new(runtime: crate::runtime::Background, ids: SocketIds) -> Self {
        Self {
            limits: Mutex::new(Limits::default()),
            registry: Registry::new(runtime),
            idle: Mutex::new(Vec::new()),
            listening: Mutex::new(None),
            ids,
            accepted: AtomicU64::new(0),
            changed: Notify::new(),
            waiting_for_room: AtomicBool::new(false),
            handoff_delay_micros: AtomicU64::new(0),
            idle_timeout_millis: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            room_changes: AtomicU64::new(0),
            tls: Mutex::new(None),
        }
    }

    /// The slow-motion delay before each handoff.
    pub(crate) fn handoff_delay(&self) -> Duration {
        Duration::from_micros(self.handoff_delay_micros.load(Ordering::Relaxed))
    }

    /// The idle timeout for a connection accepted now, if any.
    pub(crate) fn idle_timeout(&self) -> Option<Duration> {
        match self.idle_timeout_millis.load(Ordering::Relaxed) {
            0 => None,
            millis => Some(Duration::from_millis(millis)),
        }
    }

    pub(crate) fn connected_count(&self) -> usize {
        self.registry.connected_count()
    }
}

impl WaitsForRoom for Pool {
    /// A connection closed (after it left the registry): wakes the listener if it waits for
    /// room, at Max or after a failed accept.
    fn room_freed(&self) {
        if self.waiting_for_room.load(Ordering::SeqCst) {
            self.changed.notify_one();
        }
    }
}

/// A pooled socket waiting for a connection: just its id and its handler until then.
pub(crate) struct IdleSocket {
    id: SocketId,
    handler: Box<dyn SocketHandler>,
}

/// The running listener of one Listen.
pub(crate) struct Listener {
    /// The listening socket, until StopListening takes it (and so closes it at once).
    pub socket: Arc<Mutex<Option<TcpListener>>>,
    /// Where it is bound.
    pub address: SocketAddr,
    /// Its OS handle (Xojo's Handle), for the Listening event.
    pub handle: i64,
    /// State shared with the handle and the connections.
    pub pool: Arc<Pool>,
    /// Idle sockets, oldest first.
    pub idle: VecDeque<IdleSocket>,
    /// The application's AddSocket.
    pub add_socket: Arc<Mutex<AddSocket>>,
    /// Where events go.
    pub events: EventSender,
    /// Cancelled by StopListening (and by shutdown: it is a child of the registry's token).
    pub session: CancellationToken,
    /// The kernel view's sampling task, started once Listening is sent, so that the caller
    /// always hears Listening first (the sampler's first look comes at once).
    pub sampler: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Listener {
    /// Runs from Listen to StopListening, then closes the listener and lets the idle sockets go.
    pub(crate) async fn run(mut self) {
        self.serve().await;
        let Self {
            socket,
            address,
            pool,
            idle,
            events,
            ..
        } = self;
        // StopListening already closed it; shutdown may not have.
        drop(lock(&socket).take());
        lock(&pool.idle).clear();
        for socket in idle {
            events.send(Event::Released { socket: socket.id }).await;
        }
        tracing::info!(%address, "stopped listening");
        events.send(Event::Stopped).await;
    }

    /// The accept loop, until StopListening.
    async fn serve(&mut self) {
        let mut seen = *lock(&self.pool.limits);
        self.events
            .send(Event::Listening {
                address: self.address,
                handle: self.handle,
                min: seen.min,
                max: seen.max,
            })
            .await;
        if let Some(sampler) = self.sampler.take() {
            self.pool.registry.spawn(sampler);
        }
        let mut backoff: Option<Duration> = None;
        let mut retry_at: Option<Instant> = None;
        // A connection accepted just as Max was lowered (or accepting paused) past the room the
        // listener counted: held here, unserved, as it would have waited in the kernel's
        // queue, until there is room for it.
        let mut held: Option<(TcpStream, SocketAddr)> = None;
        loop {
            // Read before the limits: a change after this is seen once an accept returns.
            let changes = self.pool.room_changes.load(Ordering::SeqCst);
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
            if let Err(failure) = self.fit_pool(limits).await {
                self.stop_making_sockets(failure).await;
                break;
            }
            // Raised before counting: a connection that closes after the count sees the flag
            // (the count and its removal take the same lock) and wakes us.
            self.pool.waiting_for_room.store(true, Ordering::SeqCst);
            let room = self.pool.connected_count() < limits.max
                && !self.pool.paused.load(Ordering::SeqCst);
            self.pool
                .waiting_for_room
                .store(!room || retry_at.is_some(), Ordering::SeqCst);
            // A connection already waiting is taken at once, without the select below: the
            // select registers with the cancellation and the Notify and unregisters again, two
            // locks each, which at every accept cost more than the accept's own work
            // (`perf record`). The stop is looked at first, as the select's first branch would.
            let ready = if room && held.is_some() {
                std::task::Poll::Ready(held.take().map(Ok))
            } else if room && retry_at.is_none() && held.is_none() && !self.session.is_cancelled() {
                accept_now(&self.socket)
            } else {
                std::task::Poll::Pending
            };
            let accepted = if let std::task::Poll::Ready(accepted) = ready {
                accepted
            } else {
                tokio::select! {
                    biased;
                    () = self.session.cancelled() => break,
                    () = self.pool.changed.notified() => {
                        // A connection closed (file descriptors may be free again) or the
                        // limits changed: look again at once.
                        retry_at = None;
                        continue;
                    }
                    () = sleep_until(retry_at), if retry_at.is_some() => {
                        retry_at = None;
                        continue;
                    }
                    accepted = accept(&self.socket), if room && retry_at.is_none() && held.is_none() => accepted,
                }
            };
            match accepted {
                // StopListening closed the listener (its cancel is seen on the next turn).
                None => break,
                Some(Ok((stream, remote))) => {
                    backoff = None;
                    if self.pool.room_changes.load(Ordering::SeqCst) != changes {
                        held = Some((stream, remote));
                        continue;
                    }
                    if !self.slow_motion(remote).await {
                        break;
                    }
                    if let Err(failure) = self.hand_off(stream, remote).await {
                        self.stop_making_sockets(failure).await;
                        break;
                    }
                }
                // The client gave up before we accepted; nothing is wrong with the listener.
                Some(Err(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Some(Err(e)) => {
                    let pause =
                        backoff.map_or(FIRST_ACCEPT_BACKOFF, |b| (b * 2).min(MAX_ACCEPT_BACKOFF));
                    backoff = Some(pause);
                    retry_at = Some(Instant::now() + pause);
                    self.accept_failed(e, pause).await;
                }
            }
        }
    }

    /// An accept failed for a reason of the listener's own (too many open files): says so
    /// once, as an Error with no socket; the listener tries again after `pause`.
    async fn accept_failed(&mut self, e: std::io::Error, pause: Duration) {
        // Reported once, as the event below; the trace is for debugging only.
        tracing::debug!(error = %e, ?pause, "accept failed");
        let error = SocketError::AcceptFailed {
            reason: e.to_string(),
            retry_in: pause,
            cause: Some(e.into()),
        };
        self.events
            .send(Event::Error {
                socket: None,
                error,
            })
            .await;
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
    async fn fit_pool(&mut self, limits: Limits) -> Result<(), NoSocket> {
        while self.idle.len() < limits.min {
            let socket = self.new_socket()?;
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
        Ok(())
    }

    /// Xojo's AddSocket event: asks the application for a new socket. Never after
    /// StopListening: the stop is looked at under the callback's lock, which StopListening
    /// takes once after it cancels, so no call starts after StopListening returned. A panic in
    /// the callback is caught: the listener reports it and stops (see [`Self::give_up`]).
    fn new_socket(&mut self) -> Result<IdleSocket, NoSocket> {
        let mut add_socket = lock(&self.add_socket);
        if self.session.is_cancelled() {
            return Err(NoSocket::Stopped);
        }
        let id = self.pool.ids.next();
        IN_ADD_SOCKET.with(|inside| inside.set(true));
        let made = catch_unwind(AssertUnwindSafe(|| (add_socket)(id)));
        IN_ADD_SOCKET.with(|inside| inside.set(false));
        drop(add_socket);
        match made {
            Ok(handler) => {
                tracing::debug!(socket = id.0, "AddSocket");
                Ok(IdleSocket { id, handler })
            }
            Err(payload) => Err(NoSocket::Failed(SocketError::Panicked {
                what: "AddSocket",
                message: panic_message(&*payload),
            })),
        }
    }

    /// No socket could be made: StopListening came (nothing to say), or AddSocket failed.
    async fn stop_making_sockets(&mut self, failure: NoSocket) {
        if let NoSocket::Failed(error) = failure {
            self.give_up(error).await;
        }
    }

    /// AddSocket panicked: without it the pool cannot give connections a socket, so rather
    /// than a deaf listener that says it listens, it stops listening (IsListening false and
    /// the port free before the Error is sent), says why, then releases the idle sockets and
    /// reports Stopped ([`Self::run`]). Connected sockets stay up.
    async fn give_up(&mut self, error: SocketError) {
        tracing::error!(%error, "stopped listening");
        *lock(&self.pool.listening) = None;
        drop(lock(&self.socket).take());
        self.events
            .send(Event::Error {
                socket: None,
                error,
            })
            .await;
    }

    /// Shows the idle sockets to the handle (reusing the shown list's memory).
    fn publish_idle(&self) {
        let mut shown = lock(&self.pool.idle);
        shown.clear();
        shown.extend(self.idle.iter().map(|s| s.id));
    }

    /// Gives an accepted connection to the oldest idle socket (or a new one if the pool is
    /// empty), and makes the idle socket that replaces it.
    /// A failure to make a socket is returned after the connection was handed off if it has a
    /// socket, or at once (the connection is then closed) if it has none.
    async fn hand_off(&mut self, stream: TcpStream, remote: SocketAddr) -> Result<(), NoSocket> {
        let (IdleSocket { id, handler }, made_for_it) = if let Some(socket) = self.idle.pop_front()
        {
            (socket, None)
        } else {
            let socket = self.new_socket()?;
            let added = Event::AddSocket { socket: socket.id };
            (socket, Some(added))
        };
        // The replacement is made now rather than on the loop's next turn, so its AddSocket
        // travels with this Connected: one parcel, one wake-up of whoever watches.
        // Read again: a slow-motion handoff waited, and the limits may have changed meanwhile.
        let min = lock(&self.pool.limits).min;
        let mut outcome = Ok(());
        let replacement = if self.idle.len() < min {
            match self.new_socket() {
                Ok(socket) => {
                    let added = Event::AddSocket { socket: socket.id };
                    self.idle.push_back(socket);
                    Some(added)
                }
                Err(failure) => {
                    outcome = Err(failure);
                    None
                }
            }
        } else {
            None
        };
        self.publish_idle();
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
        // A secure socket is only TCP-connected here: its task runs the handshake and then
        // reports Connected.
        let secure = lock(&self.pool.tls).clone().map(crate::tls::Secure::Server);
        let connected =
            announced.map(|(local, remote)| Event::came_up(id, local, remote, secure.is_some()));
        // Listed, and usable, before anyone hears of it: a caller that writes at Connected
        // succeeds; its write waits in the command channel until the task runs.
        let mut connection = self.pool.registry.register(
            id,
            stream,
            handler,
            self.events.clone(),
            announced,
            secure,
            Some(Arc::clone(&self.pool) as Arc<dyn WaitsForRoom>),
        );
        connection.idle_timeout = self.pool.idle_timeout();
        if !OPTIONS_INHERITED {
            keep_alive(&socket2::SockRef::from(&connection.stream));
        }
        // Sent before the socket's task starts, so its own events come after Connected.
        self.events
            .send_all(made_for_it.into_iter().chain(connected).chain(replacement))
            .await;
        self.pool.registry.start(connection);
        outcome
    }
}

/// Accepts the next connection from the shared listener; `None` once StopListening took it.
/// The lock is held only while polling, never across an await.
async fn accept(
    listener: &Mutex<Option<TcpListener>>,
) -> Option<std::io::Result<(TcpStream, SocketAddr)>> {
    std::future::poll_fn(|cx| match &*lock(listener) {
        Some(listener) => listener.poll_accept(cx).map(Some),
        None => std::task::Poll::Ready(None),
    })
    .await
}

/// The next connection if one is waiting now, without waiting for one: `Pending` when none
/// is, `Ready(None)` once StopListening took the listener. Polled with a waker that does
/// nothing: when nothing is waiting, the select that follows polls again with the task's own.
fn accept_now(
    listener: &Mutex<Option<TcpListener>>,
) -> std::task::Poll<Option<std::io::Result<(TcpStream, SocketAddr)>>> {
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match &*lock(listener) {
        Some(listener) => listener.poll_accept(&mut context).map(Some),
        None => std::task::Poll::Ready(None),
    }
}

/// Sleeps until `deadline`, or forever when there is none (the branch is disabled then anyway).
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

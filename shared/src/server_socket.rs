//! Xojo's ServerSocket: one permanent listener and a pool of sockets it hands connections to.
//!
//! The caller holds a [`ServerSocket`]; the listening and the sockets run on the background
//! runtime (see [`crate::pool`] for the accept loop). Settings are Xojo's properties, the
//! methods Xojo's methods. What Xojo leaves unsaid, and what we chose:
//!
//! - **StopListening** closes the listener and releases the idle sockets of the pool. Sockets
//!   already connected stay connected until they or their peer close them (call
//!   [`ServerSocket::close_all`] to end them too). Dropping the `ServerSocket`, or
//!   [`ServerSocket::shutdown`], closes everything.
//! - **Port 0** asks the OS for a free port; [`ServerSocket::local_address`] tells which.
//! - **Limits** must satisfy 1 <= MaximumSocketsConnected and MinimumSocketsAvailable <=
//!   MaximumSocketsConnected; a bad pair is refused with an error naming the field and nothing
//!   changes. Changing them while listening takes effect at once.
//! - **Listen fails** return the error and also fire the Error event, as Xojo does.
//! - **NetworkInterface and Port** changed while listening apply at the next Listen.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socket2::{Domain, Protocol, Type};
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::pool::{AddSocket, Listener};
use crate::tcp_socket::lock;
use crate::{Event, EventSender, Runtime, SocketError, SocketHandler, SocketId, TcpSocket};

/// The seed's port.
pub const DEFAULT_PORT: u16 = 2002;
/// MinimumSocketsAvailable unless set (the seed's example uses 2).
pub const DEFAULT_MINIMUM_SOCKETS_AVAILABLE: usize = 2;
/// MaximumSocketsConnected unless set (Xojo's default since 2017r2).
pub const DEFAULT_MAXIMUM_SOCKETS_CONNECTED: usize = 10;
/// NetworkInterface unless set: loopback, so nothing is reachable from the network by accident.
pub const DEFAULT_NETWORK_INTERFACE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// The backlog unless set: how many connections may wait in the kernel's accept queue while
/// the pool takes none (tokio's and most servers' choice; the system may cap it lower, see
/// [`crate::kernel::backlog_cap`]).
pub const DEFAULT_BACKLOG: u32 = 1024;
/// How long a new Listen waits for the previous listener to finish closing.
const RELISTEN_WAIT: Duration = Duration::from_secs(2);

/// MinimumSocketsAvailable and MaximumSocketsConnected, checked together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Idle sockets the pool keeps ready (AddSocket fires to refill it).
    pub min: usize,
    /// Most sockets connected at once; at the cap the listener stops accepting.
    pub max: usize,
}

impl Limits {
    /// Checks the pair.
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] naming the field that is out of range.
    pub fn new(min: usize, max: usize) -> Result<Self, SocketError> {
        if max == 0 {
            return Err(SocketError::InvalidSetting {
                field: "MaximumSocketsConnected",
                reason: "must be at least 1, or no client could ever be served".to_owned(),
            });
        }
        if min > max {
            return Err(SocketError::InvalidSetting {
                field: "MinimumSocketsAvailable",
                reason: format!(
                    "{min} is more than MaximumSocketsConnected ({max}): the pool would hold idle sockets that could never connect"
                ),
            });
        }
        Ok(Self { min, max })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min: DEFAULT_MINIMUM_SOCKETS_AVAILABLE,
            max: DEFAULT_MAXIMUM_SOCKETS_CONNECTED,
        }
    }
}

/// A snapshot of the pool for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStatus {
    /// The bound address while listening.
    pub listening: Option<SocketAddr>,
    /// The listener's OS handle, -1 when not listening.
    pub handle: i64,
    /// Idle sockets waiting in the pool, oldest first (the next connection goes to the first).
    pub idle: Vec<SocketId>,
    /// Sockets now connected.
    pub connected: Vec<SocketId>,
    /// The limits in force.
    pub limits: Limits,
    /// Connections accepted since this ServerSocket was made.
    pub accepted: u64,
}

/// State shared by the handle, the listener task and the connection tasks.
#[derive(Debug)]
pub(crate) struct Pool {
    /// The limits; the listener re-reads them on every turn of its loop.
    pub limits: Mutex<Limits>,
    /// The sockets now connected (ActiveConnections); each removes itself when it closes.
    pub connections: Mutex<BTreeMap<SocketId, TcpSocket>>,
    /// Idle sockets, as the listener last reported them.
    pub idle: Mutex<Vec<SocketId>>,
    /// The bound address and OS handle while listening.
    pub listening: Mutex<Option<(SocketAddr, i64)>>,
    /// The next socket id (AddSocket order from 0, kept across Listens like the seed's curSocket).
    pub next_id: AtomicU64,
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
    /// Pause accepting: the listener stays open but takes nothing, so clients wait in (and
    /// overflow) the kernel's accept queue.
    pub paused: AtomicBool,
}

impl Pool {
    /// The slow-motion delay before each handoff.
    pub(crate) fn handoff_delay(&self) -> Duration {
        Duration::from_micros(self.handoff_delay_micros.load(Ordering::Relaxed))
    }

    pub(crate) fn connected_count(&self) -> usize {
        lock(&self.connections).len()
    }
}

/// A listening socket with a pool of sockets that take its connections (Xojo's ServerSocket).
pub struct ServerSocket {
    /// Where the listener and sockets run.
    runtime: Handle,
    /// Where every socket and the listener report.
    events: EventSender,
    /// The application's AddSocket: returns the handler for each new pooled socket.
    add_socket: Arc<Mutex<AddSocket>>,
    /// NetworkInterface: the address to bind.
    network_interface: IpAddr,
    /// Port: the port to bind (0 = any free port).
    port: u16,
    /// How many accepted-by-the-kernel connections may wait for the pool (applies at Listen).
    backlog: u32,
    /// Sample the kernel's accept queue while listening (on unless turned off).
    kernel_sampling: bool,
    /// What the listener and the connections share with this handle.
    pool: Arc<Pool>,
    /// The current listener's task and its cancel token, while there is one.
    listener: Option<(JoinHandle<()>, CancellationToken)>,
    /// Cancelling it closes everything: the listener and every connection.
    shutdown: CancellationToken,
    /// Every task this server started, so shutdown can wait for all of them.
    tracker: TaskTracker,
}

impl std::fmt::Debug for ServerSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSocket")
            .field("network_interface", &self.network_interface)
            .field("port", &self.port)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl ServerSocket {
    /// A server with Xojo's defaults (127.0.0.1, port 2002, Min 2, Max 10), not yet listening.
    /// `add_socket` is Xojo's AddSocket event: each call returns the handler for a new pooled
    /// socket; it runs on the background runtime.
    pub fn new<H, F>(runtime: &Runtime, events: EventSender, mut add_socket: F) -> Self
    where
        H: SocketHandler,
        F: FnMut(SocketId) -> H + Send + 'static,
    {
        let add_socket: AddSocket = Box::new(move |id| Box::new(add_socket(id)));
        Self {
            runtime: runtime.handle(),
            events,
            add_socket: Arc::new(Mutex::new(add_socket)),
            network_interface: DEFAULT_NETWORK_INTERFACE,
            port: DEFAULT_PORT,
            pool: Arc::new(Pool {
                limits: Mutex::new(Limits::default()),
                connections: Mutex::new(BTreeMap::new()),
                idle: Mutex::new(Vec::new()),
                listening: Mutex::new(None),
                next_id: AtomicU64::new(0),
                accepted: AtomicU64::new(0),
                changed: Notify::new(),
                waiting_for_room: AtomicBool::new(false),
                handoff_delay_micros: AtomicU64::new(0),
                paused: AtomicBool::new(false),
            }),
            backlog: DEFAULT_BACKLOG,
            kernel_sampling: true,
            listener: None,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
        }
    }

    /// Sets NetworkInterface, the local address to bind (applies at the next Listen).
    pub fn set_network_interface(&mut self, address: IpAddr) {
        self.network_interface = address;
    }

    /// NetworkInterface.
    #[must_use]
    pub fn network_interface(&self) -> IpAddr {
        self.network_interface
    }

    /// Sets Port (0 = any free port; applies at the next Listen).
    pub fn set_port(&mut self, port: u16) {
        self.port = port;
    }

    /// Port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sets MinimumSocketsAvailable and MaximumSocketsConnected together, at once even while
    /// listening: raising Min fires AddSocket, lowering it releases idle sockets, lowering Max
    /// closes no connection, raising it resumes accepting.
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] (nothing changes) when the pair is out of range.
    pub fn set_limits(&self, min: usize, max: usize) -> Result<(), SocketError> {
        let limits = Limits::new(min, max)?;
        *lock(&self.pool.limits) = limits;
        self.pool.changed.notify_one();
        Ok(())
    }

    /// Sets MinimumSocketsAvailable (see [`Self::set_limits`]).
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] when above MaximumSocketsConnected.
    pub fn set_minimum_sockets_available(&self, min: usize) -> Result<(), SocketError> {
        self.set_limits(min, self.maximum_sockets_connected())
    }

    /// Sets MaximumSocketsConnected (see [`Self::set_limits`]).
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] when 0 or below MinimumSocketsAvailable.
    pub fn set_maximum_sockets_connected(&self, max: usize) -> Result<(), SocketError> {
        self.set_limits(self.minimum_sockets_available(), max)
    }

    /// Slow motion, for teaching: each accepted connection waits `delay` before it is handed to
    /// a pooled socket, and an [`Event::Accepted`] says so. Zero (the default, and Xojo's only
    /// behaviour) hands off at once. Applies from the next accepted connection, even while
    /// listening. While a connection waits the listener accepts nothing else, so later clients
    /// queue in the backlog, as they would behind a slow handoff.
    pub fn set_handoff_delay(&self, delay: Duration) {
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.pool
            .handoff_delay_micros
            .store(micros, Ordering::Relaxed);
    }

    /// The slow-motion delay before each handoff (zero when off).
    #[must_use]
    pub fn handoff_delay(&self) -> Duration {
        self.pool.handoff_delay()
    }

    /// Sets the backlog: how many connections the kernel may complete and hold for the
    /// listener while the pool takes none (applies at the next Listen; the system may cap it,
    /// see [`crate::kernel::backlog_cap`]).
    pub fn set_backlog(&mut self, backlog: u32) {
        self.backlog = backlog;
    }

    /// Whether Listen also samples the kernel's accept queue and reports
    /// [`Event::AcceptQueue`] (on by default; applies at the next Listen). Benchmarks turn it
    /// off to measure what it costs.
    pub fn set_kernel_sampling(&mut self, on: bool) {
        self.kernel_sampling = on;
    }

    /// The backlog asked for (see [`Self::set_backlog`]).
    #[must_use]
    pub fn backlog(&self) -> u32 {
        self.backlog
    }

    /// Pause accepting (Qt's pauseAccepting) or resume: while paused the listener stays open
    /// but the pool accepts nothing, so new clients wait in the kernel's accept queue and,
    /// once it is full, are dropped. Takes effect at once.
    pub fn set_accepting_paused(&self, paused: bool) {
        self.pool.paused.store(paused, Ordering::SeqCst);
        self.pool.changed.notify_one();
    }

    /// True while accepting is paused.
    #[must_use]
    pub fn is_accepting_paused(&self) -> bool {
        self.pool.paused.load(Ordering::SeqCst)
    }

    /// MinimumSocketsAvailable.
    #[must_use]
    pub fn minimum_sockets_available(&self) -> usize {
        lock(&self.pool.limits).min
    }

    /// MaximumSocketsConnected.
    #[must_use]
    pub fn maximum_sockets_connected(&self) -> usize {
        lock(&self.pool.limits).max
    }

    /// Opens the listener (Xojo's Listen) and returns the real bound address. The pool then
    /// fires AddSocket until MinimumSocketsAvailable sockets wait idle, and accepts connections.
    ///
    /// # Errors
    /// [`SocketError::InvalidState`] when already listening; the bind's failure otherwise
    /// (105 address in use, 107 privileged port, 100 not this machine's address …), which also
    /// fires the Error event.
    pub fn listen(&mut self) -> Result<SocketAddr, SocketError> {
        if let Some(address) = self.local_address() {
            return Err(SocketError::InvalidState(format!(
                "already listening on {address}"
            )));
        }
        self.wait_for_previous_listener();
        let address = SocketAddr::new(self.network_interface, self.port);
        let backlog = i32::try_from(self.backlog).unwrap_or(i32::MAX);
        let listener = match bind(address, backlog) {
            Ok(listener) => listener,
            Err(error) => {
                let events = self.events.clone();
                let event = Event::Error {
                    socket: None,
                    error: error.clone(),
                };
                self.runtime.spawn(async move { events.send(event).await });
                return Err(error);
            }
        };
        let listener = {
            let _entered = self.runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(|e| SocketError::Os(format!("could not register the listener: {e}")))?
        };
        let local = listener
            .local_addr()
            .map_err(|e| SocketError::Os(format!("the listener has no address: {e}")))?;
        *lock(&self.pool.listening) = Some((local, os_handle(&listener)));
        let session = self.shutdown.child_token();
        let task = Listener {
            listener,
            address: local,
            pool: Arc::clone(&self.pool),
            idle: std::collections::VecDeque::new(),
            add_socket: Arc::clone(&self.add_socket),
            events: self.events.clone(),
            session: session.clone(),
            connections_cancel: self.shutdown.clone(),
            tracker: self.tracker.clone(),
        };
        let task = self.tracker.spawn_on(task.run(), &self.runtime);
        if self.kernel_sampling {
            let watch =
                crate::kernel::watch_accept_queue(local, self.events.clone(), session.clone());
            self.tracker.spawn_on(watch, &self.runtime);
        }
        self.listener = Some((task, session));
        tracing::info!(%local, "listening");
        Ok(local)
    }

    /// Closes the listener and releases the idle sockets (Xojo's StopListening). Connected
    /// sockets stay connected; Stopped follows on the event channel.
    pub fn stop_listening(&mut self) {
        if let Some((_, session)) = &self.listener {
            session.cancel();
        }
    }

    /// Closes every connected socket (each reports Closed).
    pub fn close_all(&self) {
        for socket in self.active_connections() {
            socket.close();
        }
    }

    /// Stops listening, closes every connection and waits up to `timeout` until every task
    /// has ended and every socket is closed. Returns false if something was still running.
    #[must_use]
    pub fn shutdown(mut self, timeout: Duration) -> bool {
        self.shutdown.cancel();
        self.tracker.close();
        let tracker = self.tracker.clone();
        let done = if Handle::try_current().is_ok() {
            // Inside the runtime we cannot wait here; the tasks still end on their own.
            tracker.is_empty()
        } else {
            // The timer must be made inside the runtime, hence the async block.
            self.runtime
                .block_on(async { tokio::time::timeout(timeout, tracker.wait()).await })
                .is_ok()
        };
        self.listener = None;
        done
    }

    /// True while any of this server's tasks (the listener, a connection) is still running.
    /// Once it is false after StopListening and closing, every event has been sent.
    #[must_use]
    pub fn has_running_tasks(&self) -> bool {
        !self.tracker.is_empty()
    }

    /// True while the listener is open (Xojo's IsListening).
    #[must_use]
    pub fn is_listening(&self) -> bool {
        self.local_address().is_some()
    }

    /// The real bound address while listening (Xojo's LocalAddress), the OS's choice of port
    /// included when Port is 0.
    #[must_use]
    pub fn local_address(&self) -> Option<SocketAddr> {
        lock(&self.pool.listening).map(|(address, _)| address)
    }

    /// The listener's OS handle, -1 when not listening (Xojo's Handle).
    #[must_use]
    pub fn handle(&self) -> i64 {
        lock(&self.pool.listening).map_or(-1, |(_, handle)| handle)
    }

    /// The sockets now connected, by id (Xojo's ActiveConnections).
    #[must_use]
    pub fn active_connections(&self) -> Vec<TcpSocket> {
        lock(&self.pool.connections).values().cloned().collect()
    }

    /// The connected socket with this id, if it is still connected.
    #[must_use]
    pub fn connection(&self, id: SocketId) -> Option<TcpSocket> {
        lock(&self.pool.connections).get(&id).cloned()
    }

    /// A snapshot of the pool: listener, idle and connected sockets, limits, totals.
    #[must_use]
    pub fn pool_status(&self) -> PoolStatus {
        let listening = *lock(&self.pool.listening);
        PoolStatus {
            listening: listening.map(|(address, _)| address),
            handle: listening.map_or(-1, |(_, handle)| handle),
            idle: lock(&self.pool.idle).clone(),
            connected: lock(&self.pool.connections).keys().copied().collect(),
            limits: *lock(&self.pool.limits),
            accepted: self.pool.accepted.load(Ordering::Relaxed),
        }
    }

    /// After StopListening the old listener closes within moments; a quick re-Listen on the
    /// same port waits for that instead of failing with "address in use".
    fn wait_for_previous_listener(&mut self) {
        let Some((task, _)) = self.listener.take() else {
            return;
        };
        if !task.is_finished() && Handle::try_current().is_err() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(RELISTEN_WAIT, task).await });
        }
    }
}

impl Drop for ServerSocket {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Binds a listener the way a server wants it, with room for `backlog` waiting connections.
pub(crate) fn bind(
    address: SocketAddr,
    backlog: i32,
) -> Result<std::net::TcpListener, SocketError> {
    let os = |e: std::io::Error| SocketError::Os(format!("could not open a socket: {e}"));
    let socket = socket2::Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(os)?;
    // On Unix this lets a restarted server bind while old connections linger in TIME_WAIT;
    // it never lets two listeners share a port (unlike the Windows flag of the same name).
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(os)?;
    if address.is_ipv6() {
        // "::" then means IPv6 only, the same on every OS; "0.0.0.0" covers IPv4.
        socket.set_only_v6(true).map_err(os)?;
    }
    socket
        .bind(&address.into())
        .map_err(|e| SocketError::from_bind(&e, address))?;
    socket
        .listen(backlog)
        .map_err(|e| SocketError::from_bind(&e, address))?;
    socket.set_nonblocking(true).map_err(os)?;
    Ok(socket.into())
}

/// The listener's OS handle as Xojo shows it.
pub(crate) fn os_handle(listener: &tokio::net::TcpListener) -> i64 {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        i64::from(listener.as_raw_fd())
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsRawSocket;
        i64::try_from(listener.as_raw_socket()).unwrap_or(-1)
    }
}

//! Xojo's ServerSocket: one permanent listener and a pool of sockets it hands connections to.
//!
//! The caller holds a [`ServerSocket`]; the listening and the sockets run on the background
//! runtime (the accept loop is in the private `pool` module). Settings are Xojo's properties, the
//! methods Xojo's methods. Every setter takes `&self`, as Xojo lets any code set a property;
//! Listen and StopListening take `&mut self`, since they change what the handle owns.
//! What Xojo leaves unsaid, and what we chose:
//!
//! - **StopListening** closes the listener and releases the idle sockets of the pool. Sockets
//!   already connected stay connected until they or their peer close them (call
//!   [`ServerSocket::close_all`] to end them too). Dropping the `ServerSocket`, or
//!   [`ServerSocket::shutdown`], closes everything.
//! - **Port 0** asks the OS for a free port; after Listen, [`ServerSocket::port`] (as Xojo's
//!   Port does) and [`ServerSocket::local_address`] tell which.
//! - **Limits** must satisfy 1 <= MaximumSocketsConnected and MinimumSocketsAvailable <=
//!   MaximumSocketsConnected, each within its bounds ([`crate::bounds`]); a bad pair is
//!   refused with an error naming the field and nothing changes. Changing them while listening takes effect at once.
//!   Each setter checks what it sets; Listen checks Max against the open-files limit again,
//!   the default 10 included, so no Max is served with that could never be reached.
//! - **A failed Listen** returns its error (105, 107, …) and fires no Error event, where Xojo
//!   fires one: the caller who listened already holds it (docs/differences.md).
//! - **Listen never waits**: StopListening closes the listening socket before it returns, and
//!   the next Listen's task waits on the runtime for the previous one to finish reporting,
//!   so events keep their order while the caller goes on.
//! - **NetworkInterface and Port** changed while listening apply at the next Listen.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use crate::limits::{
    DEFAULT_MAXIMUM_SOCKETS_CONNECTED, DEFAULT_MINIMUM_SOCKETS_AVAILABLE, Limits,
};
use crate::os_socket::{bind, os_handle};
use crate::pool::{AddSocket, Listener, Pool, inside_add_socket};
use crate::sync::lock;
use crate::{EventSender, Runtime, SocketError, SocketHandler, SocketId, SocketIds, TcpSocket};

/// The seed's port.
pub const DEFAULT_PORT: u16 = 2002;
/// NetworkInterface unless set: loopback, so nothing is reachable from the network by accident.
pub const DEFAULT_NETWORK_INTERFACE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// The backlog unless set: how many connections may wait in the kernel's accept queue while
/// the pool takes none (tokio's and most servers' choice; the system may cap it lower, see
/// [`serversocket_kernel::backlog_cap`]).
pub const DEFAULT_BACKLOG: u32 = 1024;

/// A snapshot of the pool for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStatus {
    /// The bound address while listening.
    pub listening: Option<SocketAddr>,
    /// The listener's OS handle while listening.
    pub handle: Option<i64>,
    /// Idle sockets waiting in the pool, oldest first (the next connection goes to the first).
    pub idle: Vec<SocketId>,
    /// Sockets now connected.
    pub connected: Vec<SocketId>,
    /// The limits in force.
    pub limits: Limits,
    /// Connections accepted since this ServerSocket was made.
    pub accepted: u64,
}

/// One Listen: the listener task and what StopListening needs to end it.
struct Session {
    /// The listener task; the next Listen's task waits for it, so events keep their order.
    task: JoinHandle<()>,
    /// Cancelled by StopListening: the task releases the idle sockets and reports Stopped.
    cancel: CancellationToken,
    /// The listening socket, shared with the task, which only borrows it to accept.
    /// StopListening takes it out and drops it on the caller's thread: the port is free the
    /// moment StopListening returns, without waiting for the task.
    listener: Arc<Mutex<Option<tokio::net::TcpListener>>>,
    /// The application's AddSocket, which the task calls under this lock.
    add_socket: Arc<Mutex<AddSocket>>,
}

impl Session {
    /// Closes the listening socket and tells the task to finish. Once this returns AddSocket
    /// is not called again for this Listen: the task looks at the cancel under the callback's
    /// lock, so taking that lock once waits out a call already under way (for as long as the
    /// application's callback takes; never when called from inside it).
    fn close(&self) {
        drop(lock(&self.listener).take());
        self.cancel.cancel();
        if !inside_add_socket() {
            drop(lock(&self.add_socket));
        }
    }
}

/// A listening socket with a pool of sockets that take its connections (Xojo's ServerSocket).
pub struct ServerSocket {
    /// Where every socket and the listener report.
    events: EventSender,
    /// The application's AddSocket: returns the handler for each new pooled socket.
    add_socket: Arc<Mutex<AddSocket>>,
    /// NetworkInterface: the address to bind, and for an IPv6 link-local address the
    /// interface it is on (its scope id, `fe80::1%lo`; 0 for none).
    network_interface: Mutex<(IpAddr, u32)>,
    /// Port: the port to bind (0 = any free port).
    port: AtomicU16,
    /// How many accepted-by-the-kernel connections may wait for the pool (applies at Listen).
    backlog: AtomicU32,
    /// Sample the kernel's accept queue while listening (on unless turned off).
    kernel_sampling: AtomicBool,
    /// What the listener and the connections share with this handle.
    pool: Arc<Pool>,
    /// The last Listen's task, its cancel token and its listening socket.
    listener: Option<Session>,
}

impl std::fmt::Debug for ServerSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSocket")
            .field("network_interface", &self.network_interface())
            .field("port", &self.port())
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl ServerSocket {
    /// A server with Xojo's defaults (127.0.0.1, port 2002, Min 2, Max 10), not yet listening.
    /// `add_socket` is Xojo's AddSocket event: each call returns the handler for a new pooled
    /// socket; it runs on the background runtime. Its sockets are numbered from 0: a client or
    /// another server reporting on the same channel takes its ids from [`Self::socket_ids`].
    pub fn new<H, F>(runtime: &Runtime, events: EventSender, add_socket: F) -> Self
    where
        H: SocketHandler,
        F: FnMut(SocketId) -> H + Send + 'static,
    {
        Self::with_socket_ids(runtime, events, SocketIds::new(), add_socket)
    }

    /// [`Self::new`], numbering its sockets from `ids`. An [`crate::Event`] names its socket by
    /// id alone, so the servers and clients that report on one channel share one
    /// [`SocketIds`]: a second server on the channel of a first is made with the first's
    /// [`Self::socket_ids`].
    pub fn with_socket_ids<H, F>(
        runtime: &Runtime,
        events: EventSender,
        ids: SocketIds,
        mut add_socket: F,
    ) -> Self
    where
        H: SocketHandler,
        F: FnMut(SocketId) -> H + Send + 'static,
    {
        let add_socket: AddSocket = Box::new(move |id| Box::new(add_socket(id)));
        Self {
            events,
            add_socket: Arc::new(Mutex::new(add_socket)),
            network_interface: Mutex::new((DEFAULT_NETWORK_INTERFACE, 0)),
            port: AtomicU16::new(DEFAULT_PORT),
            pool: Arc::new(Pool::new(runtime.background(), ids)),
            backlog: AtomicU32::new(DEFAULT_BACKLOG),
            kernel_sampling: AtomicBool::new(true),
            listener: None,
        }
    }

    /// Sets NetworkInterface, the local address to bind (applies at the next Listen).
    pub fn set_network_interface(&self, address: IpAddr) {
        self.set_scoped_network_interface(address, 0);
    }

    /// Sets NetworkInterface to an IPv6 address with its scope id (the index of the interface
    /// a link-local address such as `fe80::1%lo` is on; ignored for IPv4).
    pub fn set_scoped_network_interface(&self, address: IpAddr, scope_id: u32) {
        *lock(&self.network_interface) = (address, scope_id);
    }

    /// NetworkInterface.
    #[must_use]
    pub fn network_interface(&self) -> IpAddr {
        lock(&self.network_interface).0
    }

    /// Sets Port (0 = any free port; applies at the next Listen).
    pub fn set_port(&self, port: u16) {
        self.port.store(port, Ordering::Relaxed);
    }

    /// Port: while listening the port bound (the OS's choice for 0, as Xojo's Port tells it),
    /// otherwise what was set. Listen always asks for what was set: 0 means any free port at
    /// every Listen.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.local_address()
            .map_or_else(|| self.port.load(Ordering::Relaxed), |bound| bound.port())
    }

    /// Sets MinimumSocketsAvailable and MaximumSocketsConnected together, at once even while
    /// listening: raising Min fires AddSocket, lowering it releases idle sockets, lowering Max
    /// closes no connection, raising it resumes accepting.
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] (nothing changes) when the pair is out of range;
    /// [`SocketError::RuntimeDropped`] once the [`Runtime`] was dropped (nothing would apply
    /// them).
    pub fn set_limits(&self, min: usize, max: usize) -> Result<(), SocketError> {
        self.change_limits(|_| Limits::new(min, max))
    }

    /// Sets MinimumSocketsAvailable (see [`Self::set_limits`]). Only Min is checked: a Max
    /// left at its default is checked by Listen, against the open-files limit as it is then.
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] when above MaximumSocketsConnected or its bound.
    pub fn set_minimum_sockets_available(&self, min: usize) -> Result<(), SocketError> {
        self.change_limits(|limits| limits.with_min(min))
    }

    /// Sets MaximumSocketsConnected (see [`Self::set_limits`]).
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] when 0, past its bounds or below MinimumSocketsAvailable.
    pub fn set_maximum_sockets_connected(&self, max: usize) -> Result<(), SocketError> {
        self.change_limits(|limits| Limits::new(limits.min, max))
    }

    /// Replaces the limits in force with what `change` makes of them, under their lock so that
    /// two setters never undo each other; nothing changes when it fails.
    fn change_limits(
        &self,
        change: impl FnOnce(Limits) -> Result<Limits, SocketError>,
    ) -> Result<(), SocketError> {
        self.pool.registry.runtime()?;
        {
            let mut limits = lock(&self.pool.limits);
            *limits = change(*limits)?;
        }
        self.pool.room_changes.fetch_add(1, Ordering::SeqCst);
        self.pool.changed.notify_one();
        Ok(())
    }

    /// Slow motion, for teaching: each accepted connection waits `delay` before it is handed to
    /// a pooled socket, and an [`crate::Event::Accepted`] says so. Zero (the default, and Xojo's only
    /// behaviour) hands off at once. Applies from the next accepted connection, even while
    /// listening. While a connection waits the listener accepts nothing else, so later clients
    /// queue in the backlog, as they would behind a slow handoff.
    pub fn set_handoff_delay(&self, delay: Duration) {
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.pool
            .handoff_delay_micros
            .store(micros, Ordering::Relaxed);
    }

    /// Closes a connection once nothing was sent or received on it for `timeout` (error 102
    /// "idle timeout", then Closed), so silent clients cannot hold every slot up to
    /// MaximumSocketsConnected for ever. `None` (the default, and Xojo's only behaviour) never
    /// does. Applies to connections accepted from now on.
    pub fn set_idle_timeout(&self, timeout: Option<Duration>) {
        let millis = timeout.map_or(0, |t| {
            u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1)
        });
        self.pool
            .idle_timeout_millis
            .store(millis, Ordering::Relaxed);
    }

    /// The idle timeout, if any.
    #[must_use]
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.pool.idle_timeout()
    }

    /// Makes the pool's sockets secure (Xojo's SSLSocket) with this certificate, or plain TCP
    /// again with `None`. Applies to connections accepted from now on: each runs the TLS
    /// handshake on its own task before Connected.
    pub fn set_tls(&self, tls: Option<std::sync::Arc<crate::tls::ServerTls>>) {
        *crate::sync::lock(&self.pool.tls) = tls;
    }

    /// The certificate new connections are secured with, if any (its fingerprint to show).
    #[must_use]
    pub fn tls(&self) -> Option<std::sync::Arc<crate::tls::ServerTls>> {
        crate::sync::lock(&self.pool.tls).clone()
    }

    /// The slow-motion delay before each handoff (zero when off).
    #[must_use]
    pub fn handoff_delay(&self) -> Duration {
        self.pool.handoff_delay()
    }

    /// Sets the backlog: how many connections the kernel may complete and hold for the
    /// listener while the pool takes none (applies at the next Listen; the system may cap it,
    /// see [`serversocket_kernel::backlog_cap`]).
    pub fn set_backlog(&self, backlog: u32) {
        self.backlog.store(backlog, Ordering::Relaxed);
    }

    /// Whether Listen also samples the kernel's accept queue and reports
    /// [`crate::Event::AcceptQueue`] (on by default; applies at the next Listen). Benchmarks turn it
    /// off to measure what it costs.
    pub fn set_kernel_sampling(&self, on: bool) {
        self.kernel_sampling.store(on, Ordering::Relaxed);
    }

    /// The backlog asked for (see [`Self::set_backlog`]).
    #[must_use]
    pub fn backlog(&self) -> u32 {
        self.backlog.load(Ordering::Relaxed)
    }

    /// Pause accepting (Qt's pauseAccepting) or resume: while paused the listener stays open
    /// but the pool accepts nothing, so new clients wait in the kernel's accept queue and,
    /// once it is full, are dropped. Takes effect at once.
    pub fn set_accepting_paused(&self, paused: bool) {
        self.pool.paused.store(paused, Ordering::SeqCst);
        self.pool.room_changes.fetch_add(1, Ordering::SeqCst);
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
    /// (105 address in use, 107 privileged port, 100 not this machine's address …);
    /// [`SocketError::InvalidSetting`] when MaximumSocketsConnected, the default 10 included,
    /// is more than the open-files limit leaves room for;
    /// [`SocketError::RuntimeDropped`] once the [`Runtime`] was dropped. A failed
    /// Listen is only returned: no Error event is sent for it (Xojo fires one; a Rust caller has
    /// the `Result`, and one error reported twice would be logged twice).
    pub fn listen(&mut self) -> Result<SocketAddr, SocketError> {
        if let Some(address) = self.local_address() {
            return Err(SocketError::InvalidState(format!(
                "already listening on {address}"
            )));
        }
        // Nothing would run the listener once the Runtime is gone: said before binding.
        let runtime = self.pool.registry.runtime()?.clone();
        lock(&self.pool.limits).check_open_files()?;
        let (interface, scope_id) = *lock(&self.network_interface);
        let port = self.port.load(Ordering::Relaxed);
        let address = match interface {
            IpAddr::V6(v6) => SocketAddr::V6(std::net::SocketAddrV6::new(v6, port, 0, scope_id)),
            IpAddr::V4(_) => SocketAddr::new(interface, port),
        };
        let backlog = i32::try_from(self.backlog()).unwrap_or(i32::MAX);
        // A failed bind is returned, not also sent as an Error event: each error is handled
        // once, and the caller of listen() is the one who can act on it (see
        // `docs/differences.md`). Errors after Listen, with no caller to return to, are events.
        let listener = bind(address, backlog)?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(|e| SocketError::Os(format!("could not register the listener: {e}")))?
        };
        let local = listener
            .local_addr()
            .map_err(|e| SocketError::Os(format!("the listener has no address: {e}")))?;
        let handle = os_handle(&listener);
        // The setting keeps what the caller set: 0 asks for any free port at every Listen
        // (storing the OS's choice would make the next Listen ask for that port, and fail 105
        // if something took it meanwhile). Port and LocalAddress say what was bound.
        *lock(&self.pool.listening) = Some((local, handle));
        let session = self.pool.registry.session();
        let open = Arc::new(Mutex::new(Some(listener)));
        let task = Listener {
            socket: Arc::clone(&open),
            address: local,
            handle,
            pool: Arc::clone(&self.pool),
            idle: std::collections::VecDeque::new(),
            add_socket: Arc::clone(&self.add_socket),
            events: self.events.clone(),
            session: session.clone(),
            sampler: self.kernel_sampling.load(Ordering::Relaxed).then(|| {
                Box::pin(crate::watch::watch_accept_queue(
                    local,
                    self.events.clone(),
                    session.clone(),
                )) as _
            }),
        };
        // The previous Listen's task may still be reporting its Released and Stopped events
        // (it waits when the caller is behind on events). The new task waits for it on the
        // runtime, so events keep their order and the caller never waits.
        let previous = self.listener.take().map(|session| session.task);
        let run = async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            task.run().await;
        };
        let task = self.pool.registry.spawn(run);
        self.listener = Some(Session {
            task,
            cancel: session,
            listener: open,
            add_socket: Arc::clone(&self.add_socket),
        });
        tracing::info!(%local, "listening");
        Ok(local)
    }

    /// Closes the listener and releases the idle sockets (Xojo's StopListening). Connected
    /// sockets stay connected; Released and Stopped follow on the event channel.
    /// The listening socket is closed before this returns, so IsListening is false at once
    /// and a Listen right after it can bind the same port.
    pub fn stop_listening(&mut self) {
        if let Some(session) = &self.listener {
            session.close();
        }
        *lock(&self.pool.listening) = None;
    }

    /// Closes every connected socket (each reports Closed).
    pub fn close_all(&self) {
        self.pool.registry.close_all();
    }

    /// Stops listening, closes every connection and waits up to `timeout` until every task
    /// has ended and every socket is closed. Returns false if something was still running.
    /// Inside a multi-threaded async runtime (`#[tokio::main]`) it waits too; on a socket's
    /// own thread (a handler) or inside a single-threaded async runtime it cannot wait, and
    /// returns at once whether everything had ended (the tasks still end on their own).
    #[must_use]
    pub fn shutdown(mut self, timeout: Duration) -> bool {
        if let Some(session) = &self.listener {
            session.close();
        }
        *lock(&self.pool.listening) = None;
        let done = self.pool.registry.shutdown(timeout);
        self.listener = None;
        done
    }

    /// True while any of this server's tasks (the listener, a connection) is still running.
    /// Once it is false after StopListening and closing, every event has been sent.
    #[must_use]
    pub fn has_running_tasks(&self) -> bool {
        self.pool.registry.has_running_tasks()
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

    /// The listener's OS handle while listening (Xojo's Handle, which is -1 otherwise).
    #[must_use]
    pub fn handle(&self) -> Option<i64> {
        lock(&self.pool.listening).map(|(_, handle)| handle)
    }

    /// This server's socket numbering, to share with whatever else reports on its event
    /// channel (a client's [`crate::ConnectBuilder::connect`], a second server made with
    /// [`Self::with_socket_ids`], a [`crate::naive::NaiveServer`] run in its place), so no id
    /// is ever used twice on it.
    #[must_use]
    pub fn socket_ids(&self) -> SocketIds {
        self.pool.ids.clone()
    }

    /// The sockets now connected, by id (Xojo's ActiveConnections).
    #[must_use]
    pub fn active_connections(&self) -> Vec<TcpSocket> {
        self.pool.registry.active()
    }

    /// The connected socket with this id, if it is still connected.
    #[must_use]
    pub fn connection(&self, id: SocketId) -> Option<TcpSocket> {
        self.pool.registry.connection(id)
    }

    /// A snapshot of the pool: listener, idle and connected sockets, limits, totals.
    #[must_use]
    pub fn pool_status(&self) -> PoolStatus {
        let listening = *lock(&self.pool.listening);
        PoolStatus {
            listening: listening.map(|(address, _)| address),
            handle: listening.map(|(_, handle)| handle),
            idle: lock(&self.pool.idle).clone(),
            connected: self.pool.registry.ids(),
            limits: *lock(&self.pool.limits),
            accepted: self.pool.accepted.load(Ordering::Relaxed),
        }
    }
}

impl Drop for ServerSocket {
    fn drop(&mut self) {
        if let Some(session) = &self.listener {
            session.close();
        }
        self.pool.registry.cancel();
    }
}

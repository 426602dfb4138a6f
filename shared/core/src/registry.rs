//! One lifecycle for every server's connections: register, spawn, forget on close, shut down.
//!
//! The pool and the naive server used to do this each their own way, and the copies drifted
//! (one could not be shut down from inside the runtime). Both now hand accepted connections to
//! a [`Registry`], which lists them (ActiveConnections), runs each on its own task, removes it
//! when it closes, and on shutdown closes every one and waits for every task it started.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::connection::{Connection, SocketParts};
use crate::guarded::Guarded;
use crate::on_closed::{ConnectedList, OnClosed, WaitsForRoom};
use crate::os_socket::os_handle;
use crate::runtime::{Background, where_blocking_is_allowed};
use crate::status::SocketState;
use crate::status::{mark_connected, mark_handshaking};
use crate::sync::lock;
use crate::tls::Secure;
use crate::{EventSender, Socket, SocketHandler, SocketId, TcpSocket};

/// The sockets now connected, by id (ActiveConnections).
type Connections = Arc<Mutex<BTreeMap<SocketId, TcpSocket>>>;

impl ConnectedList for Mutex<BTreeMap<SocketId, TcpSocket>> {
    fn forget(&self, id: SocketId) {
        lock(self).remove(&id);
    }
}

/// The connections of one server and every task it started. Clones share everything.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    /// Where the tasks run, and whether that runtime is still there.
    runtime: Background,
    /// The sockets now connected (ActiveConnections); each removes itself when it closes.
    connections: Connections,
    /// Cancelled only by shutdown (or dropping the server). A listener watches a child of it,
    /// so StopListening leaves connections alone.
    shutdown: CancellationToken,
    /// Raised by shutdown (or dropping the server), which then tells every listed connection
    /// (each closes); a connection listed after it is told as it is listed. Each connection
    /// watches its own [`crate::commands::ShutdownWatch`], not the token above: the token is
    /// one lock that every connection's task took at each of its polls.
    stopping: Arc<AtomicBool>,
    /// Every task started, listeners included, so shutdown can wait for all of them.
    tracker: TaskTracker,
}

impl Registry {
    pub(crate) fn new(runtime: Background) -> Self {
        Self {
            runtime,
            connections: Arc::default(),
            shutdown: CancellationToken::new(),
            stopping: Arc::default(),
            tracker: TaskTracker::new(),
        }
    }

    /// Lists an accepted connection; [`Self::start`] then runs it. With `announced` (our and
    /// the peer's address) the caller reports Connected itself, between the two calls so that
    /// the socket's own events follow it, and the socket shows as connected before it is
    /// listed, so whoever sees it can write to it at once; without, the task finds the
    /// addresses and reports Connected. A `secure` socket reports Connected itself once its
    /// handshake is done (the caller reports Handshaking instead). A pool's socket wakes
    /// `pool`'s listener, if it waits for room, once it left the list, before its Closed is
    /// sent.
    // What a connection is, when it was announced, and what runs when it ends: one call, so
    // the socket is never listed half set up.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn register(
        &self,
        id: SocketId,
        stream: TcpStream,
        handler: Box<dyn SocketHandler>,
        events: EventSender,
        announced: Option<(SocketAddr, SocketAddr)>,
        secure: Option<Secure>,
        pool: Option<Arc<dyn WaitsForRoom>>,
    ) -> Connection {
        let (handle, commands) = TcpSocket::new(id, SocketState::Connecting);
        let status = handle.status_cell();
        lock(&status).handle = Some(os_handle(&stream));
        // A secure socket is usable only once its handshake is done: until then it shows
        // handshaking, and a caller's write is refused.
        match (announced, &secure) {
            (Some((local, remote)), None) => mark_connected(&status, local, remote),
            (Some((local, remote)), Some(_)) => mark_handshaking(&status, local, remote),
            (None, _) => {}
        }
        let cancel = commands.shutdown_watch();
        {
            let mut list = lock(&self.connections);
            // Under the list's lock, which a shutdown takes after raising the flag: either the
            // flag is seen here, or the shutdown finds this socket in the list.
            if self.stopping.load(Ordering::SeqCst) {
                handle.shut_down();
            }
            list.insert(id, handle);
        }
        let list: Arc<dyn ConnectedList> = Arc::clone(&self.connections) as _;
        let on_closed = OnClosed::listed(list, id, pool);
        Connection {
            stream,
            parts: SocketParts {
                socket: Socket::new(id),
                handler: Guarded::new(handler),
                events,
                commands,
                status,
            },
            cancel,
            on_closed,
            announced,
            idle_timeout: None,
            secure,
        }
    }

    /// Runs a registered connection on its own task.
    pub(crate) fn start(&self, connection: Connection) {
        let id = connection.parts.socket.id();
        let remote = connection.announced.map(|(_, remote)| remote);
        let span = tracing::info_span!("socket", id = id.0, ?remote);
        self.tracker
            .spawn_on(connection.run().instrument(span), self.runtime.handle());
    }

    /// Runs a server's own task (a listener) on the runtime, tracked for shutdown.
    pub(crate) fn spawn<F>(&self, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn_on(task, self.runtime.handle())
    }

    /// A token cancelled at shutdown, or earlier by its own holder (StopListening).
    pub(crate) fn session(&self) -> CancellationToken {
        self.shutdown.child_token()
    }

    /// Entered to register I/O made on the caller's thread with the runtime.
    ///
    /// # Errors
    /// [`crate::SocketError::RuntimeDropped`] once the runtime was dropped.
    pub(crate) fn runtime(&self) -> Result<&Handle, crate::SocketError> {
        self.runtime.running()
    }

    /// The connected socket with this id.
    pub(crate) fn connection(&self, id: SocketId) -> Option<TcpSocket> {
        lock(&self.connections).get(&id).cloned()
    }

    /// Every connected socket, by id.
    pub(crate) fn active(&self) -> Vec<TcpSocket> {
        lock(&self.connections).values().cloned().collect()
    }

    /// The connected sockets' ids.
    pub(crate) fn ids(&self) -> Vec<SocketId> {
        lock(&self.connections).keys().copied().collect()
    }

    /// How many sockets are connected. Takes the same lock as a socket's removal, which the
    /// pool's "waiting for room" handshake relies on.
    pub(crate) fn connected_count(&self) -> usize {
        lock(&self.connections).len()
    }

    /// Closes every connected socket (each reports Closed).
    pub(crate) fn close_all(&self) {
        for socket in self.active() {
            socket.close();
        }
    }

    /// True while any task is still running.
    pub(crate) fn has_running_tasks(&self) -> bool {
        !self.tracker.is_empty()
    }

    /// Tells every task to stop, without waiting (for `Drop`).
    pub(crate) fn cancel(&self) {
        self.shutdown.cancel();
        self.shut_down_connections();
    }

    /// Tells every connection, listed now or later, to close.
    fn shut_down_connections(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for socket in self.active() {
            socket.shut_down();
        }
    }

    /// Closes everything and waits up to `timeout` for every task to end. Where the thread
    /// cannot wait ([`where_blocking_is_allowed`]: on a socket's own thread, or inside a
    /// single-threaded async runtime) it only says whether everything had already ended; the
    /// tasks still end on their own.
    pub(crate) fn shutdown(&self, timeout: Duration) -> bool {
        self.cancel();
        self.tracker.close();
        let tracker = self.tracker.clone();
        let handle = self.runtime.handle();
        // The timer must be made inside the runtime, hence the async block.
        where_blocking_is_allowed(|| {
            handle
                .block_on(async { tokio::time::timeout(timeout, tracker.wait()).await })
                .is_ok()
        })
        .unwrap_or_else(|| self.tracker.is_empty())
    }
}

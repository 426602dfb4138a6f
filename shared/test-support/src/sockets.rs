//! The socket tests' helpers: a server on an ephemeral loopback port and a bounded wait for
//! events.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::must_use_candidate)]

use std::collections::VecDeque;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serversocket::handler::{Socket, SocketHandler};
use serversocket::seed::{Greeter, SERVER_GREETING};
use serversocket::{
    ConnectBuilder, Event, EventReceiver, Runtime, ServerSocket, SocketError, SocketId, SocketIds,
    TcpSocket, event_channel,
};

/// The longest any single wait in a test may take before the test fails (the one patience of
/// every crate's tests).
pub use crate::PATIENCE;

/// Events seen so far, and a way to wait for the next matching one. Events from different
/// sockets interleave in any order, so a wait also matches events that arrived earlier and
/// were not claimed yet.
pub struct Watch {
    /// Where the events come from.
    pub receiver: EventReceiver,
    /// Every event received, in arrival order.
    pub seen: Vec<Event>,
    /// Received events no wait has claimed yet.
    unclaimed: VecDeque<Event>,
}

impl Watch {
    /// A watch over `receiver`, having seen nothing yet.
    pub fn new(receiver: EventReceiver) -> Self {
        Self {
            receiver,
            seen: Vec::new(),
            unclaimed: VecDeque::new(),
        }
    }

    /// Waits (at most [`PATIENCE`]) for an event matching `wanted`, keeping all others in `seen`.
    pub fn until(&mut self, what: &str, wanted: impl Fn(&Event) -> bool) -> Event {
        let receiver = &mut self.receiver;
        let found = crate::claim(
            &mut self.seen,
            &mut self.unclaimed,
            |left| receiver.recv_timeout(left),
            wanted,
        );
        found.unwrap_or_else(|| panic!("gave up waiting for {what}; events seen: {:#?}", self.seen))
    }

    /// Waits for `count` events matching `wanted`; returns them in order.
    pub fn until_n(
        &mut self,
        count: usize,
        what: &str,
        wanted: impl Fn(&Event) -> bool,
    ) -> Vec<Event> {
        (0..count).map(|_| self.until(what, &wanted)).collect()
    }

    /// Waits for the next Connected and returns its socket.
    pub fn connected(&mut self) -> SocketId {
        match self.until("Connected", |e| matches!(e, Event::Connected { .. })) {
            Event::Connected { socket, .. } => socket,
            _ => unreachable!("matched above"),
        }
    }

    /// Waits for an Error event whose socket and error match `wanted`, and returns the error.
    pub fn error(
        &mut self,
        what: &str,
        wanted: impl Fn(Option<SocketId>, &SocketError) -> bool,
    ) -> SocketError {
        let found = self.until(
            what,
            |e| matches!(e, Event::Error { socket, error } if wanted(*socket, error)),
        );
        match found {
            Event::Error { error, .. } => error,
            _ => unreachable!("matched above"),
        }
    }

    /// Waits for the next Data event and returns what it carries (the chunk, or its start for
    /// a chunk longer than the event keeps).
    pub fn data(&mut self, what: &str) -> Vec<u8> {
        match self.until(what, |e| matches!(e, Event::Data { .. })) {
            Event::Data { data, .. } => data.to_vec(),
            _ => unreachable!("matched above"),
        }
    }

    /// Takes whatever has arrived, without waiting.
    pub fn drain(&mut self) {
        while let Some(event) = self.receiver.try_recv() {
            self.seen.push(event.clone());
            self.unclaimed.push_back(event);
        }
    }

    /// How many of the events seen so far match.
    pub fn count(&self, wanted: impl Fn(&Event) -> bool) -> usize {
        self.seen.iter().filter(|e| wanted(e)).count()
    }
}

/// A handler that keeps every byte its socket receives, in order: what a test compares with
/// what was sent (a Data event carries only a chunk's start).
#[derive(Clone, Default)]
pub struct Keeper(pub Arc<Mutex<Vec<u8>>>);

impl Keeper {
    /// The bytes kept so far.
    pub fn kept(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    /// The bytes kept once there are `want` of them: a Data event is sent before the handler
    /// reads its chunk, so the last one may still be on its way. Fails after PATIENCE.
    pub fn kept_once(&self, want: usize) -> Vec<u8> {
        let _ = crate::within_patience(|| (self.0.lock().unwrap().len() >= want).then_some(()));
        let kept = self.kept();
        assert!(kept.len() >= want, "kept {} of {want} bytes", kept.len());
        kept
    }
}

impl SocketHandler for Keeper {
    fn data_available(&mut self, socket: &mut Socket) {
        let data = socket.read_all();
        self.0.lock().unwrap().extend_from_slice(&data);
    }
}

/// A handler slower than its peer: it takes at most 16 KiB per DataAvailable, notes the most
/// bytes it found waiting (in the shared `most_buffered`), and hands each sip to `take`.
pub struct Sipping<F> {
    most_buffered: Arc<AtomicUsize>,
    take: F,
}

impl<F: FnMut(&[u8]) + Send + 'static> Sipping<F> {
    /// A sipping handler that records into `most_buffered` and gives each sip to `take`.
    pub fn new(most_buffered: &Arc<AtomicUsize>, take: F) -> Self {
        Self {
            most_buffered: Arc::clone(most_buffered),
            take,
        }
    }
}

impl<F: FnMut(&[u8]) + Send + 'static> SocketHandler for Sipping<F> {
    fn data_available(&mut self, socket: &mut Socket) {
        self.most_buffered
            .fetch_max(socket.bytes_available(), Ordering::Relaxed);
        let sip = socket.read(16 * 1024);
        (self.take)(&sip);
    }
}

/// A runtime and a server of `add_socket`'s handlers on 127.0.0.1 port 0, not listening yet,
/// and its events: for a test that sets something first (limits, an interface, TLS) or whose
/// Listen is to fail.
pub fn server<H, F>(add_socket: F) -> (Runtime, ServerSocket, EventReceiver)
where
    H: SocketHandler,
    F: FnMut(SocketId) -> H + Send + 'static,
{
    let runtime = Runtime::new().expect("runtime");
    let (events, receiver) = event_channel(None);
    let server = ServerSocket::new(&runtime, events, add_socket);
    server.set_port(0);
    (runtime, server, receiver)
}

/// A runtime and a server of `add_socket`'s handlers listening on 127.0.0.1 port 0 with the
/// default limits; a watch over its events, and its address.
pub fn listening<H, F>(add_socket: F) -> (Runtime, ServerSocket, Watch, SocketAddr)
where
    H: SocketHandler,
    F: FnMut(SocketId) -> H + Send + 'static,
{
    let (runtime, mut server, receiver) = self::server(add_socket);
    let address = server.listen().expect("listen");
    (runtime, server, Watch::new(receiver), address)
}

/// A runtime, a greeting server listening on 127.0.0.1 port 0 with the given limits, and its events.
pub fn greeting_server(min: usize, max: usize) -> (Runtime, ServerSocket, Watch, SocketAddr) {
    let (runtime, mut server, receiver) = self::server(|_id| Greeter::default());
    server.set_limits(min, max).expect("limits");
    let address = server.listen().expect("listen");
    (runtime, server, Watch::new(receiver), address)
}

/// A greeting server with one client that has read its greeting, and the handle of the
/// pooled socket serving it (socket 0): for a test of what a handle does to a connection.
pub fn serving_one() -> (Runtime, ServerSocket, Watch, TcpStream, TcpSocket) {
    let (runtime, server, mut watch, address) = greeting_server(1, 10);
    let mut peer = client(address);
    read_greeting(&mut peer);
    watch.until("connected", |e| is_connected(e, 0));
    let socket = server
        .connection(SocketId(0))
        .expect("socket 0 serves the client");
    (runtime, server, watch, peer, socket)
}

/// A client socket of `handler` on `runtime`, connecting as `builder` says (with ids of its
/// own), and a watch over its events.
pub fn client_socket(
    runtime: &Runtime,
    builder: ConnectBuilder,
    handler: impl SocketHandler,
) -> (TcpSocket, Watch) {
    let (events, receiver) = event_channel(None);
    let socket = builder.connect(runtime, &SocketIds::new(), handler, events);
    (socket, Watch::new(receiver))
}

/// A client socket of `handler` on `runtime`, connected to `host` on `port` (socket 0 of ids
/// of its own), and a watch over its events.
pub fn connected_client(
    runtime: &Runtime,
    host: &str,
    port: u16,
    handler: impl SocketHandler,
) -> (TcpSocket, Watch) {
    let (socket, mut watch) = client_socket(runtime, TcpSocket::builder(host, port), handler);
    watch.until("the client connected", |e| is_connected(e, 0));
    (socket, watch)
}

/// [`client_socket`] on a runtime of its own.
pub fn connecting(
    builder: ConnectBuilder,
    handler: impl SocketHandler,
) -> (Runtime, TcpSocket, Watch) {
    let runtime = Runtime::new().expect("runtime");
    let (socket, watch) = client_socket(&runtime, builder, handler);
    (runtime, socket, watch)
}

/// A plain blocking client, with a read timeout so no test can hang on it.
pub fn client(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream
}

/// Fails the test unless `stream` is given nothing to read for 300 ms: the server has not
/// served it (it waits in the kernel's backlog). `why` says what the test expects.
pub fn assert_not_served(stream: &mut TcpStream, why: &str) {
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut byte = [0; 1];
    let waiting = stream.read(&mut byte).expect_err(why);
    assert!(
        matches!(
            waiting.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{why}: {waiting:?}"
    );
}

/// Reads the seed's greeting from a client, failing the test if something else arrives.
pub fn read_greeting(stream: &mut TcpStream) {
    let mut greeting = vec![0; SERVER_GREETING.len()];
    stream.read_exact(&mut greeting).expect("greeting");
    assert_eq!(greeting, SERVER_GREETING.as_bytes());
}

/// Whether `event` is socket `id`'s Connected.
pub fn is_connected(event: &Event, id: u64) -> bool {
    matches!(event, Event::Connected { socket, .. } if *socket == SocketId(id))
}

/// Whether `event` is socket `id`'s Closed.
pub fn is_closed(event: &Event, id: u64) -> bool {
    matches!(event, Event::Closed { socket } if *socket == SocketId(id))
}

/// A loopback listener that answers no new connection: its accept queue (backlog 0) is filled
/// and nobody accepts, so the kernel drops every further SYN and a connect to it hangs until
/// its timeout. Keep the three values alive as long as the hang is needed.
pub fn unanswered_listener() -> (socket2::Socket, Vec<TcpStream>, SocketAddr) {
    let full = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    full.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    full.listen(0).unwrap();
    let address = full.local_addr().unwrap().as_socket().unwrap();
    // A loopback handshake completes within the connect call; one that takes 300 ms was
    // dropped: the queue is full.
    let mut queued = Vec::new();
    for _ in 0..16 {
        match TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(_) => break,
        }
    }
    (full, queued, address)
}

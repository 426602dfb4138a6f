//! Nothing fails silently: a panicking handler or AddSocket, a re-Listen on port 0 and a
//! StopListening right after Listen, over real loopback sockets.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Watch, client, is_closed, read_greeting};
use serversocket::seed::Greeter;
use serversocket::{Event, Socket, SocketError, SocketHandler, SocketId};

/// Greets like the seed's server, and panics when the client sends "boom".
#[derive(Default)]
struct Fragile(Greeter);

impl SocketHandler for Fragile {
    fn connected(&mut self, socket: &mut Socket) {
        self.0.connected(socket);
    }

    fn data_available(&mut self, socket: &mut Socket) {
        let data = socket.read_all();
        assert!(&data[..] != b"boom", "the handler met a boom");
        self.0.data_available(socket);
    }
}

fn is_panicked(error: &SocketError, what: &str) -> bool {
    matches!(error, SocketError::Panicked { what: w, .. } if *w == what)
}

#[test]
fn a_handler_that_panics_ends_its_socket_with_an_error_and_closed_and_frees_its_slot() {
    let (_runtime, mut server, receiver) = common::server(|_id| Fragile::default());
    // One place only: a slot the panic kept would leave the next client waiting for ever.
    server.set_limits(1, 1).unwrap();
    let address = server.listen().unwrap();
    let mut watch = Watch::new(receiver);

    let mut doomed = client(address);
    read_greeting(&mut doomed);
    let id = watch.connected();
    doomed.write_all(b"boom").unwrap();
    let error = watch.error("the panic's Error", |socket, _| socket == Some(id));
    assert!(is_panicked(&error, "the socket's handler"), "{error:?}");
    assert_eq!(error.code(), 109);
    assert!(
        error.to_string().contains("the handler met a boom"),
        "{error}"
    );
    watch.until("Closed after the Error", |e| is_closed(e, id.0));
    // Closed is the socket's last event: nothing of it after.
    let closed_at = watch.seen.iter().position(|e| is_closed(e, id.0)).unwrap();
    assert!(
        watch.seen[closed_at + 1..]
            .iter()
            .all(|e| e.socket() != Some(id)),
        "{:#?}",
        watch.seen
    );
    // The connection is closed, the slot free, and the server goes on serving.
    let mut rest = Vec::new();
    assert_eq!(doomed.read_to_end(&mut rest).unwrap(), 0, "{rest:?}");
    assert!(server.active_connections().is_empty());
    let mut next = client(address);
    read_greeting(&mut next);
    assert!(server.is_listening());
}

#[test]
fn an_add_socket_that_panics_stops_the_listener_and_says_why() {
    // The first socket is made; the second, the replacement made at the first handoff,
    // panics.
    let (_runtime, mut server, receiver) = common::server(|id: SocketId| {
        assert!(id.0 == 0, "AddSocket failed for socket {id}");
        Greeter::default()
    });
    server.set_limits(1, 10).unwrap();
    let address = server.listen().unwrap();
    let mut watch = Watch::new(receiver);

    // The first client is still served by the socket made before the panic.
    let mut first = client(address);
    read_greeting(&mut first);
    let error = watch.error("the listener's Error", |socket, _| socket.is_none());
    assert!(is_panicked(&error, "AddSocket"), "{error:?}");
    assert!(
        error.to_string().contains("AddSocket failed for socket 1"),
        "{error}"
    );
    // Not a deaf listener that says it listens: it stopped, and the port refuses.
    assert!(!server.is_listening());
    assert_eq!(server.local_address(), None);
    watch.until("Stopped", |e| matches!(e, Event::Stopped));
    let refused = TcpStream::connect(address).map(|_| ()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    // The connected socket stays up.
    first.write_all(b"still there?").unwrap();
    watch.until(
        "the first client's data",
        |e| matches!(e, Event::Data { socket, .. } if socket.0 == 0),
    );
    assert_eq!(server.active_connections().len(), 1);
}

#[test]
fn port_0_asks_for_any_free_port_at_every_listen() {
    let (_runtime, mut server, _receiver) = common::server(|_id| Greeter::default());
    let first = server.listen().unwrap();
    assert_eq!(server.port(), first.port(), "Port tells the port bound");
    server.stop_listening();
    assert_eq!(server.port(), 0, "the setting is still any free port");
    // Something else takes the port the first Listen had.
    let squatter = std::net::TcpListener::bind(first).unwrap();
    let second = server.listen().expect("any free port, not the one taken");
    assert_ne!(second.port(), first.port());
    drop(squatter);
}

#[test]
fn add_socket_is_never_called_once_stop_listening_returned() {
    for round in 0..20 {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let (_runtime, mut server, receiver) = common::server(move |_id| {
            counted.fetch_add(1, Ordering::SeqCst);
            Greeter::default()
        });
        server.set_limits(5, 10).unwrap();
        server.listen().unwrap();
        server.stop_listening();
        let after_stop = calls.load(Ordering::SeqCst);
        let mut watch = Watch::new(receiver);
        watch.until("Stopped", |e| matches!(e, Event::Stopped));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            after_stop,
            "round {round}: AddSocket ran after StopListening returned"
        );
        let added = watch.count(|e| matches!(e, Event::AddSocket { .. }));
        assert_eq!(
            added, after_stop,
            "round {round}: one AddSocket event a call"
        );
    }
}

#[test]
fn writes_through_a_handle_are_refused_past_the_send_queues_limit() {
    // A client that never reads: what the server writes piles up.
    let (_runtime, _server, _watch, stalled, socket) = common::serving_one();
    let chunk = bytes::Bytes::from(vec![b'x'; 1024 * 1024]);
    // At most the limit (32 MiB) waits in our queues, plus what the two kernels buffer: far
    // less than 200 MiB, after which the handle must have said no.
    let refusal = (0..200)
        .find_map(|_| socket.write(chunk.clone()).err())
        .expect("a write refused before 200 MiB");
    assert!(
        matches!(refusal, SocketError::SendQueueFull { .. }),
        "{refusal:?}"
    );
    assert_eq!(refusal.code(), 108);
    drop(stalled);
}

#[test]
fn a_handle_says_closed_at_once_and_refuses_writes_after_close() {
    let (_runtime, _server, mut watch, mut peer, socket) = common::serving_one();
    socket.write("before").unwrap();
    socket.close();
    assert!(!socket.is_connected(), "closed at once");
    let refused = socket.write("after").unwrap_err();
    assert_eq!(refused.code(), 106, "{refused}");
    watch.until("closed", |e| is_closed(e, 0));
    // What was written before the close may arrive; what came after never does.
    let mut received = Vec::new();
    peer.read_to_end(&mut received).unwrap();
    assert!(!String::from_utf8_lossy(&received).contains("after"));
}

/// Waits for a whole message of `SIZE` bytes before it answers, as a program reading a large
/// upload does; it raises its receive limit first.
struct WholeMessage;

const SIZE: usize = 2_000_000;

impl SocketHandler for WholeMessage {
    fn connected(&mut self, socket: &mut Socket) {
        socket.set_receive_limit(4 * 1024 * 1024);
    }

    fn data_available(&mut self, socket: &mut Socket) {
        if socket.bytes_available() >= SIZE {
            let message = socket.read(SIZE);
            let _ = socket.write(format!("got {}", message.len()));
        }
    }
}

#[test]
fn a_handler_can_take_a_message_larger_than_the_default_receive_limit() {
    const { assert!(SIZE > serversocket::handler::RECEIVE_BUFFER_LIMIT) };
    let (_runtime, _server, _watch, address) = common::listening(|_id| WholeMessage);
    let mut peer = client(address);
    peer.write_all(&vec![b'm'; SIZE]).unwrap();
    let mut answer = [0; 11];
    peer.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"got 2000000");
}

/// A client socket sends small writes at once (TCP_NODELAY), as an accepted one does. Read off
/// the real socket, through a duplicate of its descriptor (Linux's pidfd_getfd, no unsafe).
#[cfg(target_os = "linux")]
#[test]
fn a_client_socket_sends_small_writes_at_once() {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
    use serversocket::Passive;

    let (runtime, _server, _watch, address) = common::greeting_server(1, 10);
    let (socket, _client_watch) =
        common::connected_client(&runtime, "127.0.0.1", address.port(), Passive);
    let fd = i32::try_from(socket.handle().expect("a connected socket's handle")).unwrap();
    let copy = pidfd_open(getpid(), PidfdFlags::empty())
        .and_then(|me| pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()));
    match copy {
        Ok(copy) => assert!(socket2::SockRef::from(&copy).tcp_nodelay().unwrap()),
        // Kernels before 5.6 lack it: nothing to read the option with.
        Err(error) => eprintln!("skipped: pidfd_getfd is not available here ({error})"),
    }
}

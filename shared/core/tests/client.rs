//! The stand-alone TcpSocket (a client) against a real ServerSocket: the seed's conversation,
//! writes from the caller, closing, and megabytes of binary data.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Watch, greeting_server};
use serversocket::seed::{CLIENT_REPLY, Replier, SERVER_GREETING, client_hello};
use serversocket::{Event, Passive, Socket, SocketHandler, SocketState, TcpSocket, event_channel};

#[test]
fn the_seed_conversation_between_a_client_socket_and_the_pool() {
    let (runtime, _server, mut server_watch, address) = greeting_server(2, 10);
    let (socket, mut client_watch) =
        common::connected_client(&runtime, "localhost", address.port(), Replier::default());
    let greeting = client_watch.until("the greeting", |e| matches!(e, Event::Data { .. }));
    assert!(
        matches!(greeting, Event::Data { data, .. } if &data[..] == SERVER_GREETING.as_bytes())
    );

    // The server receives the hello and the reply, in one chunk or two.
    let expected = format!("{}{CLIENT_REPLY}", client_hello(0));
    let mut received = Vec::new();
    for _ in 0..expected.len() {
        if received.len() >= expected.len() {
            break;
        }
        received.extend_from_slice(&server_watch.data("the client's words"));
    }
    assert_eq!(String::from_utf8_lossy(&received), expected);
    client_watch.until("client send complete", |e| {
        matches!(e, Event::SendComplete { .. })
    });
    assert!(socket.is_connected());
    assert_eq!(socket.remote_address().unwrap().port(), address.port());
    assert!(socket.local_address().is_some());

    // Closing from the client: the client sees Closed (no error); the server sees 102 then Closed.
    socket.close();
    client_watch.until("client closed", |e| common::is_closed(e, 0));
    assert_eq!(client_watch.count(|e| matches!(e, Event::Error { .. })), 0);
    assert_eq!(socket.status().state, SocketState::Closed);
    let lost = server_watch.until("server lost", |e| matches!(e, Event::Error { .. }));
    assert!(matches!(lost, Event::Error { error, .. } if error.code() == 102));
    server_watch.until("server closed", |e| matches!(e, Event::Closed { .. }));
}

#[test]
fn write_from_the_caller_arrives_and_counters_follow() {
    let (runtime, server, mut server_watch, address) = greeting_server(1, 10);
    let (socket, mut client_watch) =
        common::connected_client(&runtime, "127.0.0.1", address.port(), Passive);
    socket.write("typed by a person").unwrap();
    let data = server_watch.until("data", |e| matches!(e, Event::Data { .. }));
    assert!(matches!(data, Event::Data { data, .. } if &data[..] == b"typed by a person"));
    client_watch.until("sent", |e| matches!(e, Event::SendComplete { .. }));
    assert_eq!(socket.status().bytes_sent, 17);

    // And the other way: the server writes to one of its active connections.
    server.active_connections()[0]
        .write("from the window")
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..10 {
        got.extend_from_slice(&client_watch.data("data"));
        if got.ends_with(b"from the window") {
            break;
        }
    }
    assert!(got.ends_with(b"from the window"));
}

/// Sends every byte it receives straight back.
struct Echo;

impl SocketHandler for Echo {
    fn data_available(&mut self, socket: &mut Socket) {
        let data = socket.read_all();
        socket.write(data).unwrap();
    }
}

#[test]
fn five_megabytes_of_binary_data_go_through_a_pooled_socket_intact() {
    const SIZE: usize = 5 * 1024 * 1024;
    let (runtime, server, mut watch, address) = common::listening(|_| Echo);

    // Every byte value, NULs included, in a pattern that shows reordering.
    let payload: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
    let keeper = common::Keeper::default();
    let (socket, mut client_watch) =
        common::connected_client(&runtime, "127.0.0.1", address.port(), keeper.clone());
    socket.write(payload.clone()).unwrap();

    // The server's events must be drained too, or its sockets would pause (bounded channel).
    let server_drain = std::thread::spawn(move || {
        let mut bytes = 0;
        while bytes < SIZE {
            match watch.receiver.recv_timeout(common::PATIENCE) {
                Some(Event::Data { bytes: chunk, .. }) => bytes += chunk,
                Some(_) => {}
                None => break,
            }
        }
        bytes
    });
    // The client's Data events report every byte; its handler keeps them.
    let mut reported = 0;
    while reported < SIZE {
        match client_watch.receiver.recv_timeout(common::PATIENCE) {
            Some(Event::Data { bytes, .. }) => reported += bytes,
            Some(_) => {}
            None => panic!("the echo stopped after {reported} bytes"),
        }
    }
    assert_eq!(server_drain.join().unwrap(), SIZE);
    assert_eq!(reported, SIZE);
    let echoed = keeper.kept_once(SIZE);
    assert_eq!(echoed.len(), SIZE);
    assert!(
        echoed == payload,
        "the echoed bytes differ from what was sent"
    );
    let status = server.active_connections()[0].status();
    assert_eq!(status.bytes_received, SIZE as u64);
    assert!(server.shutdown(Duration::from_secs(5)));
}

/// Queues more than the peer takes at once, then cancels from SendProgress.
struct Impatient;

impl SocketHandler for Impatient {
    fn connected(&mut self, socket: &mut Socket) {
        socket.write(vec![b'x'; 16 * 1024 * 1024]).unwrap();
    }

    fn send_progress(&mut self, _socket: &mut Socket, _sent: u64, left: u64) -> bool {
        left > 0
    }
}

#[test]
fn send_progress_can_cancel_the_rest_of_a_send() {
    let (_runtime, server, mut watch, address) = common::listening(|_| Impatient);
    let _reader_that_never_reads = common::client(address);
    let progress = watch.until("progress", |e| matches!(e, Event::SendProgress { .. }));
    assert!(matches!(progress, Event::SendProgress { left, .. } if left > 0));
    watch.until("cancelled", |e| {
        matches!(
            e,
            Event::SendComplete {
                user_aborted: true,
                ..
            }
        )
    });
    let socket = server.active_connections().pop().unwrap();
    let status = socket.status();
    assert_eq!(status.bytes_left_to_send, 0);
    assert!(status.bytes_sent < 16 * 1024 * 1024);
}

#[test]
fn a_handler_that_reads_a_little_at_a_time_gets_every_byte_in_order() {
    const SIZE: usize = 8 * 1024 * 1024;
    let received = Arc::new(Mutex::new(Vec::new()));
    let most_buffered = Arc::new(AtomicUsize::new(0));
    let (r, m) = (Arc::clone(&received), Arc::clone(&most_buffered));
    // An application slower than its peer: at most 16 KiB per DataAvailable.
    let (_runtime, _server, mut watch, address) = common::listening(move |_| {
        let r = Arc::clone(&r);
        common::Sipping::new(&m, move |sip| r.lock().unwrap().extend_from_slice(sip))
    });
    let payload: Vec<u8> = (0..SIZE).map(|i| (i % 253) as u8).collect();
    let sent = payload.clone();
    let writer = std::thread::spawn(move || {
        let mut stream = common::client(address);
        std::io::Write::write_all(&mut stream, &sent).unwrap();
    });
    watch.until("the sender finished and left", |e| {
        matches!(e, Event::Closed { .. })
    });
    writer.join().unwrap();
    let received = received.lock().unwrap();
    assert_eq!(received.len(), SIZE);
    assert!(
        *received == payload,
        "bytes arrived out of order or changed"
    );
    let most = most_buffered.load(Ordering::Relaxed);
    assert!(
        most <= serversocket::handler::RECEIVE_BUFFER_LIMIT + serversocket::handler::READ_CHUNK,
        "the receive buffer grew to {most} bytes"
    );
}

/// Never reads: an application that has stopped taking data.
struct Deaf;

impl SocketHandler for Deaf {}

#[test]
fn a_fast_sender_is_slowed_by_tcp_while_the_application_does_not_read() {
    const SIZE: usize = 64 * 1024 * 1024;
    let (_runtime, server, mut watch, address) = common::listening(|_| Deaf);
    // More than the kernel's buffers on both ends hold, so the sender must be held back.
    let writer = std::thread::spawn(move || {
        let mut stream = common::client(address);
        std::io::Write::write_all(&mut stream, &vec![7_u8; SIZE]).is_ok()
    });
    let limit = serversocket::handler::RECEIVE_BUFFER_LIMIT;
    let mut buffered = 0;
    while buffered < limit {
        let Event::Data { bytes, .. } = watch.until("data", |e| matches!(e, Event::Data { .. }))
        else {
            unreachable!()
        };
        buffered += bytes;
    }
    // The socket has stopped reading: no more data comes, however long we look.
    for _ in 0..5 {
        if let Some(Event::Data { bytes, .. }) =
            watch.receiver.recv_timeout(Duration::from_millis(100))
        {
            buffered += bytes;
        }
    }
    assert!(
        buffered <= limit + serversocket::handler::READ_CHUNK,
        "the socket buffered {buffered} bytes"
    );
    let socket = server.active_connections().pop().unwrap();
    assert_eq!(socket.bytes_available(), buffered);
    assert!(server.shutdown(Duration::from_secs(5)));
    assert!(
        !writer.join().unwrap(),
        "the sender could not have sent everything"
    );
}

/// Against a server that only streams data (and never reads), the reply limit's note says
/// what is true of it: the peer keeps sending. It said "the peer answers every reply (an echo
/// server?)", which this peer never does.
#[test]
fn the_seeds_client_stopped_by_a_stream_says_the_peer_keeps_sending() {
    const LIMIT: u64 = 5;
    let streamer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = streamer.local_addr().unwrap().port();
    let streaming = std::thread::spawn(move || {
        let (mut peer, _) = streamer.accept().unwrap();
        peer.set_write_timeout(Some(common::PATIENCE)).unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        // 8 MiB at most, many reads' worth; until the client closes (or the patience runs out).
        for _ in 0..128 {
            if std::io::Write::write_all(&mut peer, &chunk).is_err() {
                break;
            }
        }
    });
    let (_runtime, socket, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", port),
        Replier::with_reply_limit(true, true, LIMIT),
    );
    let note = watch.until("the note", |e| matches!(e, Event::Note { .. }));
    let Event::Note { text, .. } = note else {
        unreachable!()
    };
    assert!(
        text.contains("stopped replying after 5") && text.contains("the peer keeps sending"),
        "{text}"
    );
    assert!(!text.contains("answers every reply"), "{text}");
    socket.close();
    watch.until("closed", |e| common::is_closed(e, 0));
    streaming.join().unwrap();
}

/// Against an echo server the seed's client would reply to its own echoed replies forever: it
/// stops after its reply limit and says why, once.
#[test]
fn the_seeds_client_stops_replying_to_an_echo_after_its_limit() {
    const LIMIT: u64 = 5;
    let echo = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = echo.local_addr().unwrap().port();
    let echoing = std::thread::spawn(move || {
        let (mut peer, _) = echo.accept().unwrap();
        peer.set_read_timeout(Some(common::PATIENCE)).unwrap();
        let mut buffer = [0; 4096];
        // Until the client closes (or the patience runs out).
        while let Ok(count @ 1..) = std::io::Read::read(&mut peer, &mut buffer) {
            if std::io::Write::write_all(&mut peer, &buffer[..count]).is_err() {
                break;
            }
        }
    });
    let (_runtime, socket, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", port),
        Replier::with_reply_limit(true, true, LIMIT),
    );
    let note = watch.until("the note", |e| matches!(e, Event::Note { .. }));
    let Event::Note { text, .. } = note else {
        unreachable!()
    };
    assert!(text.contains("stopped replying after 5"), "{text}");
    // The limit's last reply went out before the echo that found the limit reached arrived.
    assert_eq!(
        socket.status().bytes_sent,
        (client_hello(0).len() + 5 * CLIENT_REPLY.len()) as u64,
        "the hello and exactly 5 replies"
    );
    socket.close();
    watch.until("closed", |e| common::is_closed(e, 0));
    echoing.join().unwrap();
    assert_eq!(
        watch.count(|e| matches!(e, Event::Note { .. })),
        1,
        "said once"
    );
}

#[test]
fn clients_built_from_one_id_source_get_ids_in_start_order_and_never_the_same() {
    let (runtime, _server, _server_watch, address) = greeting_server(2, 10);
    let ids = serversocket::SocketIds::new();
    let (events, receiver) = event_channel(None);
    let sockets: Vec<TcpSocket> = (0..3)
        .map(|_| {
            TcpSocket::builder("127.0.0.1", address.port()).connect(
                &runtime,
                &ids,
                Passive,
                events.clone(),
            )
        })
        .collect();
    let got: Vec<u64> = sockets.iter().map(|socket| socket.id().0).collect();
    assert_eq!(got, [0, 1, 2]);
    let mut watch = Watch::new(receiver);
    for id in 0..3 {
        watch.until("each client connected under its own id", |e| {
            common::is_connected(e, id)
        });
    }
}

/// An IPv6 address in brackets, as in a URL and as the client program takes it (`[::1]`),
/// connects: the library looked the brackets up as a host name (error 103).
#[test]
fn a_bracketed_ipv6_address_connects() {
    let (_runtime, mut server, receiver) =
        common::server(|_id| serversocket::seed::Greeter::default());
    server.set_network_interface("::1".parse().unwrap());
    server.set_port(0);
    let address = server.listen().expect("listen on ::1");
    let _watch = Watch::new(receiver);
    let (_client_runtime, _socket, mut watch) = common::connecting(
        TcpSocket::builder("[::1]", address.port()).timeout(common::PATIENCE),
        Passive,
    );
    watch.until("connected", |e| matches!(e, Event::Connected { .. }));
}

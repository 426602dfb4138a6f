//! The ServerSocket pool over real loopback sockets: fill, handoff, refill, the cap, live
//! limits, StopListening, ActiveConnections, LocalAddress and Handle.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{client, greeting_server, is_closed, is_connected, read_greeting};
use serversocket::seed::SERVER_GREETING;
use serversocket::{Event, SocketId};

#[test]
fn listen_fills_the_pool_with_add_socket() {
    let (_runtime, server, mut watch, address) = greeting_server(3, 10);
    let listening = watch.until("Listening", |e| matches!(e, Event::Listening { .. }));
    assert!(
        matches!(listening, Event::Listening { address: a, min: 3, max: 10, .. } if a == address)
    );
    watch.until_n(3, "AddSocket", |e| matches!(e, Event::AddSocket { .. }));
    let status = server.pool_status();
    assert_eq!(status.idle, vec![SocketId(0), SocketId(1), SocketId(2)]);
    assert!(status.connected.is_empty());
    assert!(server.is_listening());
}

/// A program that reads the first event to learn its address (the headless server's first
/// line) must get Listening first, though the kernel view's sampler looks at once too.
#[test]
fn listening_is_always_the_first_event() {
    for round in 0..30 {
        let (_runtime, server, mut watch, _address) = greeting_server(2, 10);
        let first = watch.receiver.recv_timeout(common::PATIENCE);
        assert!(
            matches!(first, Some(Event::Listening { .. })),
            "round {round}: {first:?}"
        );
        drop(server);
    }
}

#[test]
fn a_connection_goes_to_the_oldest_idle_socket_and_the_pool_refills() {
    let (_runtime, server, mut watch, address) = greeting_server(2, 10);
    watch.until_n(2, "initial pool", |e| matches!(e, Event::AddSocket { .. }));
    let mut first = client(address);
    read_greeting(&mut first);
    watch.until("socket 0 connected", |e| is_connected(e, 0));
    watch.until(
        "pool refilled with socket 2",
        |e| matches!(e, Event::AddSocket { socket } if *socket == SocketId(2)),
    );
    watch.until("greeting sent", |e| {
        matches!(e, Event::SendComplete { socket, user_aborted: false } if *socket == SocketId(0))
    });
    let status = server.pool_status();
    assert_eq!(status.idle, vec![SocketId(1), SocketId(2)]);
    assert_eq!(status.connected, vec![SocketId(0)]);
    assert_eq!(status.accepted, 1);

    // What the client writes reaches the pooled socket as Data.
    first.write_all(b"hello pool").unwrap();
    let data = watch.until("data", |e| matches!(e, Event::Data { .. }));
    assert!(
        matches!(data, Event::Data { socket, data, .. } if socket == SocketId(0) && &data[..] == b"hello pool")
    );

    // The peer leaving is reported as Xojo's 102, then Closed, and the socket leaves the pool.
    drop(first);
    let error = watch.until("lost connection", |e| matches!(e, Event::Error { .. }));
    assert!(
        matches!(error, Event::Error { socket: Some(SocketId(0)), error } if error.code() == 102)
    );
    watch.until("closed", |e| is_closed(e, 0));
    assert!(server.active_connections().is_empty());
}

#[test]
fn a_burst_of_200_simultaneous_connections_is_served_in_full() {
    const CLIENTS: usize = 200;
    let (_runtime, server, mut watch, address) = greeting_server(2, CLIENTS);
    let streams: Vec<TcpStream> = test_support::at_once(CLIENTS, move |_| {
        let mut stream = client(address);
        read_greeting(&mut stream);
        stream
    });
    watch.until_n(CLIENTS, "every connection", |e| {
        matches!(e, Event::Connected { .. })
    });
    assert_eq!(server.pool_status().accepted, CLIENTS as u64);
    assert_eq!(server.active_connections().len(), CLIENTS);
    assert_eq!(watch.count(|e| matches!(e, Event::Error { .. })), 0);
    drop(streams);
}

#[test]
fn at_the_maximum_clients_wait_and_are_served_when_a_connection_closes() {
    let (_runtime, server, mut watch, address) = greeting_server(1, 2);
    let mut first = client(address);
    read_greeting(&mut first);
    let mut second = client(address);
    read_greeting(&mut second);
    watch.until_n(2, "two connected", |e| matches!(e, Event::Connected { .. }));

    // The third handshake completes in the kernel's backlog, but nobody accepts it yet.
    let mut third = client(address);
    common::assert_not_served(&mut third, "the third client must not be served yet");
    assert_eq!(server.active_connections().len(), 2);

    // A connection ends: the waiting client is accepted and greeted.
    drop(first);
    third.set_read_timeout(Some(common::PATIENCE)).unwrap();
    read_greeting(&mut third);
    watch.until("the waiting client connected", |e| is_connected(e, 2));
    assert_eq!(server.active_connections().len(), 2);
    drop(second);
}

#[test]
fn limits_change_live_min_refills_or_releases_and_max_caps_without_killing() {
    let (_runtime, server, mut watch, address) = greeting_server(2, 3);
    watch.until_n(2, "initial pool", |e| matches!(e, Event::AddSocket { .. }));

    server.set_minimum_sockets_available(3).unwrap();
    watch.until(
        "AddSocket for the raised minimum",
        |e| matches!(e, Event::AddSocket { socket } if *socket == SocketId(2)),
    );
    watch.until("limits changed", |e| {
        matches!(e, Event::LimitsChanged { min: 3, max: 3 })
    });
    assert_eq!(server.pool_status().idle.len(), 3);

    server.set_minimum_sockets_available(1).unwrap();
    watch.until_n(2, "surplus released", |e| {
        matches!(e, Event::Released { .. })
    });
    assert_eq!(server.pool_status().idle, vec![SocketId(0)]);

    let mut clients: Vec<TcpStream> = (0..3).map(|_| client(address)).collect();
    for stream in &mut clients {
        read_greeting(stream);
    }
    // Lowering Max below the connected count closes nothing.
    server.set_maximum_sockets_connected(1).unwrap();
    watch.until("limits changed", |e| {
        matches!(e, Event::LimitsChanged { min: 1, max: 1 })
    });
    assert_eq!(server.active_connections().len(), 3);
    for stream in &mut clients {
        stream.write_all(b"still here").unwrap();
    }
    watch.until_n(3, "data from every client", |e| {
        matches!(e, Event::Data { .. })
    });
    assert_eq!(watch.count(|e| matches!(e, Event::Closed { .. })), 0);

    // A fourth client waits; raising Max lets it in at once.
    let mut fourth = client(address);
    server.set_maximum_sockets_connected(4).unwrap();
    read_greeting(&mut fourth);
    assert_eq!(server.active_connections().len(), 4);

    // A bad pair is refused with the field named, and nothing changes.
    let error = server.set_limits(5, 4).unwrap_err();
    assert_eq!(error.code(), 106);
    assert!(
        error.to_string().contains("MinimumSocketsAvailable"),
        "{error}"
    );
    let error = server.set_maximum_sockets_connected(0).unwrap_err();
    assert!(
        error.to_string().contains("MaximumSocketsConnected"),
        "{error}"
    );
    assert_eq!(server.pool_status().limits.max, 4);
}

#[test]
fn stop_listening_closes_the_listener_and_releases_the_pool_but_keeps_connections() {
    let (_runtime, mut server, mut watch, address) = greeting_server(2, 10);
    let mut connected = client(address);
    read_greeting(&mut connected);
    watch.until("connected", |e| is_connected(e, 0));
    let handle = server.handle().expect("a handle while listening");
    assert!(handle >= 0);
    #[cfg(target_os = "linux")]
    {
        let target = std::fs::read_link(format!("/proc/self/fd/{handle}")).unwrap();
        assert!(
            target.to_string_lossy().starts_with("socket:"),
            "{target:?}"
        );
    }

    server.stop_listening();
    watch.until("Stopped", |e| matches!(e, Event::Stopped));
    assert!(watch.count(|e| matches!(e, Event::Released { .. })) >= 2);
    assert!(!server.is_listening());
    assert_eq!(server.handle(), None);
    assert_eq!(server.local_address(), None);
    assert!(server.pool_status().idle.is_empty());
    let refused = TcpStream::connect(address).expect_err("nobody listens any more");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);

    // The connected socket carries on until it is closed.
    assert_eq!(server.active_connections().len(), 1);
    server
        .connection(SocketId(0))
        .unwrap()
        .write("bye")
        .unwrap();
    let mut bye = [0; 3];
    connected.read_exact(&mut bye).unwrap();
    assert_eq!(&bye, b"bye");
    server.close_all();
    watch.until("closed", |e| is_closed(e, 0));
    let mut rest = Vec::new();
    assert_eq!(
        connected.read_to_end(&mut rest).unwrap(),
        0,
        "the server closed its end"
    );

    // Listening again on the same port works at once, and socket ids carry on from before.
    server.set_port(address.port());
    assert_eq!(server.listen().unwrap(), address);
    watch.until(
        "new pool",
        |e| matches!(e, Event::AddSocket { socket } if socket.0 >= 3),
    );
}

#[test]
fn local_address_reports_the_port_the_os_chose_and_active_connections_list_the_connected() {
    let (_runtime, server, mut watch, address) = greeting_server(1, 10);
    assert_ne!(address.port(), 0);
    assert_eq!(server.local_address(), Some(address));
    assert_eq!(
        server.port(),
        address.port(),
        "Port tells the port bound, as Xojo's Port does after Listen on port 0"
    );

    let mut a = client(address);
    let mut b = client(address);
    read_greeting(&mut a);
    read_greeting(&mut b);
    watch.until_n(2, "connected", |e| matches!(e, Event::Connected { .. }));
    let active = server.active_connections();
    assert_eq!(active.len(), 2);
    let locals = [a.local_addr().unwrap(), b.local_addr().unwrap()];
    for socket in &active {
        assert!(socket.is_connected());
        assert!(locals.contains(&socket.remote_address().unwrap()));
        // Our end is exactly where the client connected (the listener's own address).
        assert_eq!(socket.local_address(), Some(a.peer_addr().unwrap()));
        assert_eq!(socket.last_error_code(), None);
    }
    // The counters are published before SendComplete, not necessarily before the peer reads.
    watch.until_n(2, "greetings sent", |e| {
        matches!(e, Event::SendComplete { .. })
    });
    assert_eq!(active[0].status().bytes_sent, SERVER_GREETING.len() as u64);
}

#[test]
fn listens_on_ipv6_loopback() {
    let runtime = serversocket::Runtime::new().unwrap();
    let (events, receiver) = serversocket::event_channel(None);
    let mut server = serversocket::ServerSocket::new(&runtime, events, |_| {
        serversocket::seed::Greeter::default()
    });
    server.set_network_interface("::1".parse().unwrap());
    server.set_port(0);
    let address = server.listen().unwrap();
    assert!(address.is_ipv6());
    let mut watch = common::Watch::new(receiver);
    let mut stream = client(address);
    read_greeting(&mut stream);
    let connected = watch.until("connected over IPv6", |e| is_connected(e, 0));
    let Event::Connected { local, remote, .. } = connected else {
        unreachable!("matched Connected")
    };
    assert_eq!(local, stream.peer_addr().unwrap());
    assert_eq!(remote, stream.local_addr().unwrap());
}

#[test]
fn with_minimum_zero_a_socket_is_added_when_a_connection_arrives() {
    let (_runtime, server, mut watch, address) = greeting_server(0, 5);
    watch.until("listening", |e| matches!(e, Event::Listening { .. }));
    assert!(server.pool_status().idle.is_empty());
    let mut stream = client(address);
    read_greeting(&mut stream);
    watch.until(
        "AddSocket on demand",
        |e| matches!(e, Event::AddSocket { socket } if *socket == SocketId(0)),
    );
    watch.until("connected", |e| is_connected(e, 0));
    assert!(server.pool_status().idle.is_empty());
}

#[test]
fn slow_motion_says_accepted_then_hands_off_after_the_delay() {
    let (_runtime, server, mut watch, address) = greeting_server(1, 10);
    server.set_handoff_delay(Duration::from_millis(300));
    assert_eq!(server.handoff_delay(), Duration::from_millis(300));
    watch.until("initial pool", |e| matches!(e, Event::AddSocket { .. }));
    let mut stream = client(address);
    let local = stream.local_addr().unwrap();
    let accepted = watch.until("accepted", |e| matches!(e, Event::Accepted { .. }));
    assert_eq!(
        accepted,
        Event::Accepted {
            remote: local,
            handoff_in: Duration::from_millis(300)
        }
    );
    // Nothing was handed off before the Accepted event; the greeting comes after the handoff.
    assert_eq!(watch.count(|e| is_connected(e, 0)), 0);
    read_greeting(&mut stream);
    watch.until("socket 0 connected", |e| is_connected(e, 0));
    let order: Vec<bool> = watch
        .seen
        .iter()
        .filter(|e| matches!(e, Event::Accepted { .. }) || is_connected(e, 0))
        .map(|e| matches!(e, Event::Accepted { .. }))
        .collect();
    assert_eq!(order, vec![true, false], "Accepted comes before Connected");
}

#[test]
fn stop_listening_during_a_slow_motion_handoff_closes_the_waiting_connection() {
    let (_runtime, mut server, mut watch, address) = greeting_server(1, 10);
    server.set_handoff_delay(Duration::from_secs(60));
    let mut stream = client(address);
    watch.until("accepted", |e| matches!(e, Event::Accepted { .. }));
    server.stop_listening();
    watch.until("stopped", |e| matches!(e, Event::Stopped));
    let mut rest = Vec::new();
    // The server closed the waiting connection without a word: end of stream, or a reset.
    match stream.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "nothing was sent: {rest:?}"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
    }
    assert_eq!(watch.count(|e| matches!(e, Event::Connected { .. })), 0);
}

/// With an idle timeout, a client that connects and never sends frees its slot: at Max 1 a
/// second client, waiting in the backlog, is served once the silent one is closed with 102
/// "idle timeout". (Without one, as in Xojo, the second would wait for ever.)
#[test]
fn a_silent_client_is_closed_after_the_idle_timeout_and_the_next_is_served() {
    let (_runtime, server, mut watch, address) = greeting_server(1, 1);
    server.set_idle_timeout(Some(Duration::from_secs(1)));
    let mut silent = client(address);
    read_greeting(&mut silent);
    let mut waiting = client(address);
    let error = watch.error("the idle timeout", |_, error| {
        error.meaning() == "idle timeout"
    });
    assert_eq!(error.code(), 102);
    assert!(error.to_string().contains("slot is free"), "{error}");
    // The silent client sees its connection end.
    let mut rest = Vec::new();
    let _ = silent.read_to_end(&mut rest);
    read_greeting(&mut waiting);
}

#[test]
fn two_servers_and_a_client_on_one_channel_never_share_a_socket_id() {
    use serversocket::seed::{Greeter, Replier};
    use serversocket::{Runtime, ServerSocket, TcpSocket, event_channel};

    let runtime = Runtime::new().unwrap();
    let (events, receiver) = event_channel(None);
    let mut first = ServerSocket::new(&runtime, events.clone(), |_| Greeter::default());
    let mut second =
        ServerSocket::with_socket_ids(&runtime, events.clone(), first.socket_ids(), |_| {
            Greeter::default()
        });
    for server in [&first, &second] {
        server.set_port(0);
        server.set_limits(1, 10).unwrap();
    }
    let first_address = first.listen().unwrap();
    let second_address = second.listen().unwrap();
    let mut watch = common::Watch::new(receiver);
    let client_socket = TcpSocket::builder("127.0.0.1", first_address.port()).connect(
        &runtime,
        &first.socket_ids(),
        Replier::default(),
        events,
    );
    let mut second_peer = client(second_address);
    read_greeting(&mut second_peer);

    // The first server's pooled socket, the client and the second server's pooled socket.
    let connected: Vec<SocketId> = watch
        .until_n(3, "three Connected", |e| {
            matches!(e, Event::Connected { .. })
        })
        .iter()
        .filter_map(|e| match e {
            Event::Connected { socket, .. } => Some(*socket),
            _ => None,
        })
        .collect();
    let mut distinct = connected.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "ids shared: {connected:?}");
    assert!(connected.contains(&client_socket.id()));
}

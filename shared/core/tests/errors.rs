//! Each error a user can cause, with its Xojo code, over real loopback sockets.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use common::{Watch, client, greeting_server, read_greeting};
use serversocket::seed::{Greeter, Replier};
use serversocket::{Event, SocketError, SocketId, TcpSocket};

/// Connects one client socket and waits for its Error; checks that Closed follows.
fn connect_error(host: &str, port: u16) -> (SocketError, TcpSocket) {
    let (_runtime, socket, mut watch) =
        common::connecting(TcpSocket::builder(host, port), Replier::default());
    let Event::Error {
        socket: Some(SocketId(0)),
        error,
    } = watch.until("the connect error", |e| matches!(e, Event::Error { .. }))
    else {
        unreachable!("matched above")
    };
    watch.until("closed", |e| matches!(e, Event::Closed { .. }));
    assert_eq!(watch.count(|e| matches!(e, Event::Connected { .. })), 0);
    (error, socket)
}

/// A failed Listen is handled once: returned to the caller, never also sent as an Error event
/// (the caller would otherwise report it twice).
#[test]
fn a_port_already_in_use_is_error_105_returned_and_not_sent_as_an_event() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (_runtime, mut server, receiver) = common::server(|_| Greeter::default());
    server.set_port(port);
    let error = server.listen().unwrap_err();
    assert_eq!(error.code(), 105);
    assert!(matches!(error, SocketError::AddressInUse { .. }));
    assert!(
        error
            .to_string()
            .contains(&format!("127.0.0.1:{port} is already in use")),
        "{error}"
    );
    assert!(!server.is_listening());
    assert_eq!(server.handle(), None);
    // A Listen that works comes next; every event before its Listening would be the failed
    // one's, so the channel's order shows that none was sent.
    drop(taken);
    server.set_port(0);
    server.listen().unwrap();
    let mut watch = Watch::new(receiver);
    watch.until("Listening", |e| matches!(e, Event::Listening { .. }));
    assert_eq!(
        watch.count(|e| matches!(e, Event::Error { .. })),
        0,
        "{:?}",
        watch.seen
    );
}

#[test]
fn listening_twice_is_error_106() {
    let (_runtime, mut server, _watch, address) = greeting_server(1, 2);
    let error = server.listen().unwrap_err();
    assert_eq!(error.code(), 106);
    assert!(error.to_string().contains(&address.to_string()), "{error}");
}

/// A server that outlives its Runtime says so, typed: Listen and the limits are refused with
/// RuntimeDropped (106), where Listen passed on tokio's words about a context "being
/// shutdown" and the limits were taken with Ok though nothing would apply them.
#[test]
fn a_server_whose_runtime_was_dropped_refuses_listen_and_limits_saying_so() {
    let (runtime, mut server, _receiver) = common::server(|_| Greeter::default());
    server.listen().unwrap();
    server.stop_listening();
    drop(runtime);
    let error = server.listen().unwrap_err();
    assert_eq!(error, SocketError::RuntimeDropped);
    assert_eq!(error.code(), 106);
    assert!(
        error
            .to_string()
            .contains("the Runtime this server was made on was dropped"),
        "{error}"
    );
    assert!(!server.is_listening());
    assert_eq!(server.set_limits(1, 3), Err(SocketError::RuntimeDropped));
    assert_eq!(
        server.set_minimum_sockets_available(1),
        Err(SocketError::RuntimeDropped)
    );
    assert_eq!(server.minimum_sockets_available(), 2, "nothing changed");
    // Its tasks went with the runtime: nothing is left to wait for.
    assert!(server.shutdown(test_support::PATIENCE));
}

/// Under an open-files limit of 30 (room for 6 connections besides the 24 counted for the
/// program's own files), run in a child process (`limits_under_this_open_files_limit`
/// below), since the limit is the process's: setting Min blames no Max the caller never set,
/// Listen checks the default Max 10 as a setter checks a Max it is given, saying it is the
/// default, and a Max that fits listens.
#[cfg(target_os = "linux")]
#[test]
fn the_open_files_limit_is_checked_against_the_max_in_force_at_listen() {
    let exe = std::env::current_exe().unwrap();
    let (code, printed, stderr) = test_support::app::outcome(
        std::process::Command::new("prlimit")
            .arg("--nofile=30:30")
            .arg(exe)
            .args([
                "--exact",
                "limits_under_this_open_files_limit",
                "--nocapture",
            ]),
    );
    assert_eq!(code, Some(0), "{printed}{stderr}");
    let said = |step: &str| {
        printed
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{step}: ")))
            .unwrap_or_else(|| panic!("no {step} in {printed}"))
            .to_owned()
    };
    assert_eq!(said("set_minimum_sockets_available(1)"), "Ok");
    let listen = said("listen with the default Max");
    assert!(
        listen.starts_with("Err: MaximumSocketsConnected: 10 is its default")
            && listen.contains("10 is more than this process may have open at once")
            && listen.contains("open-files limit is 30")
            && listen.contains("room for 6 connections"),
        "{listen}"
    );
    assert!(
        said("set_maximum_sockets_connected(7)").contains("room for 6 connections"),
        "{printed}"
    );
    assert_eq!(said("set_maximum_sockets_connected(6)"), "Ok");
    assert_eq!(said("listen with Max 6"), "Ok");
}

/// In whatever open-files limit it runs (the test above gives it one), what the limits'
/// setters and Listen say, one line each, for the test above.
#[test]
fn limits_under_this_open_files_limit() {
    let (_runtime, mut server, _receiver) = common::server(|_| Greeter::default());
    let said = |step: &str, result: Result<(), SocketError>| match result {
        Ok(()) => println!("{step}: Ok"),
        Err(error) => println!("{step}: Err: {error}"),
    };
    said(
        "set_minimum_sockets_available(1)",
        server.set_minimum_sockets_available(1),
    );
    said(
        "listen with the default Max",
        server.listen().map(|_| server.stop_listening()),
    );
    for max in [7, 6] {
        said(
            &format!("set_maximum_sockets_connected({max})"),
            server.set_maximum_sockets_connected(max),
        );
    }
    said("listen with Max 6", server.listen().map(drop));
}

#[test]
fn an_address_this_machine_does_not_have_is_a_clear_bind_error() {
    let (_runtime, mut server, _receiver) = common::server(|_| Greeter::default());
    // TEST-NET-1 (RFC 5737) is never assigned to a machine; binding it fails locally, and no
    // packet is sent anywhere.
    server.set_network_interface("192.0.2.1".parse().unwrap());
    let error = server.listen().unwrap_err();
    assert!(
        matches!(error, SocketError::AddressNotAvailable { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), 100);
    assert!(error.to_string().contains("192.0.2.1"), "{error}");
}

/// A multicast group or the broadcast address is refused like any address this machine does
/// not have: Linux let the listener bind there and wait for ever, unreachable to every client.
#[test]
fn a_multicast_or_broadcast_address_is_not_one_to_listen_on() {
    for address in ["224.0.0.1", "255.255.255.255", "ff02::1"] {
        let (_runtime, mut server, _receiver) = common::server(|_| Greeter::default());
        server.set_port(0);
        server.set_network_interface(address.parse().unwrap());
        let error = server.listen().unwrap_err();
        assert!(
            matches!(error, SocketError::AddressNotAvailable { .. }),
            "{address}: {error:?}"
        );
        assert_eq!(error.code(), 100);
        assert!(!server.is_listening());
    }
}

#[test]
fn bad_ports_are_error_107() {
    // What a person types is checked where it is parsed (serversocket-app's `typed`, whose
    // tests hold "70000", "abc" and "-1" to 107); here, the port 0 a client cannot connect to.
    let (error, _socket) = connect_error("127.0.0.1", 0);
    assert_eq!(error.code(), 107);
}

#[test]
fn an_unresolvable_name_is_error_103() {
    let (error, socket) = connect_error("no-such-host.invalid", 2002);
    assert_eq!(error.code(), 103);
    assert!(
        error.to_string().contains("no-such-host.invalid"),
        "{error}"
    );
    assert_eq!(socket.last_error_code(), Some(103));
    assert!(!socket.is_connected());
}

#[test]
fn a_refused_connection_is_error_102_saying_refused() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (error, socket) = connect_error("127.0.0.1", port);
    assert!(
        matches!(error, SocketError::ConnectionRefused { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), 102);
    assert_eq!(error.meaning(), "connection refused");
    assert!(error.to_string().contains("refused"), "{error}");
    assert_eq!(socket.last_error_code(), Some(102));
}

#[test]
fn a_peer_reset_is_error_102_and_the_pool_goes_on() {
    let (_runtime, server, mut watch, address) = greeting_server(1, 10);
    let mut doomed = client(address);
    read_greeting(&mut doomed);
    watch.until("connected", |e| common::is_connected(e, 0));
    // Linger 0 makes close send a reset (RST) instead of a polite FIN.
    socket2::SockRef::from(&doomed)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(doomed);
    let event = watch.until("the reset", |e| matches!(e, Event::Error { .. }));
    let Event::Error {
        socket: Some(SocketId(0)),
        error,
    } = event
    else {
        panic!("expected socket 0's error, got {event:?}")
    };
    assert_eq!(error.code(), 102);
    assert!(error.to_string().contains("reset"), "{error}");
    watch.until("closed", |e| common::is_closed(e, 0));

    let mut next = client(address);
    read_greeting(&mut next);
    next.write_all(b"still serving").unwrap();
    watch.until("the next client's data", |e| {
        matches!(e, Event::Data { .. })
    });
    assert_eq!(server.active_connections().len(), 1);
}

#[test]
fn writing_to_a_socket_that_is_not_connected_is_error_106() {
    let (_error, socket) = connect_error("no-such-host.invalid", 2002);
    let error = socket.write("too late").unwrap_err();
    assert_eq!(error.code(), 106);
}

/// A port held by a connection's own end (nothing listens on it) is 105 with words saying so,
/// and, since the OS picked that port for an outgoing connection, that it lies in the
/// ephemeral range.
#[cfg(target_os = "linux")]
#[test]
fn a_port_held_by_a_connection_is_105_saying_nothing_listens_there() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let outgoing = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let held = outgoing.local_addr().unwrap().port();
    let (_runtime, mut server, _receiver) = common::server(|_| Greeter::default());
    server.set_port(held);
    let error = server.listen().unwrap_err();
    assert_eq!(error.code(), 105);
    assert!(
        matches!(error, SocketError::PortHeldByConnection { .. }),
        "{error:?}"
    );
    let words = error.to_string();
    assert!(words.contains("nothing listens on that port"), "{words}");
    let range = serversocket_kernel::ports::ephemeral_port_range().unwrap();
    assert!(
        words.contains(&format!("{}–{}", range.start(), range.end())),
        "{words}"
    );
}

/// A port held only by a connection that closed moments ago (its end in TIME_WAIT, made
/// here for real on loopback: the client closes first) is 105 with words that say so: the
/// connection is closed, yet holds the port for about a minute. The words said "until that
/// connection closes", of a connection closed already.
#[cfg(target_os = "linux")]
#[test]
fn a_port_held_only_in_time_wait_is_105_saying_so() {
    use serversocket::PortHold;
    use serversocket_kernel::ports::{PortHolder, port_holder};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let outgoing = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let held = outgoing.local_addr().unwrap().port();
    let (mut accepted, _) = listener.accept().unwrap();
    accepted.set_read_timeout(Some(common::PATIENCE)).unwrap();
    // The client closes first, so its end is the one that waits in TIME_WAIT.
    drop(outgoing);
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut accepted, &mut rest).unwrap();
    drop(accepted);
    let in_time_wait = test_support::within_patience(|| {
        (port_holder(held) == Some(PortHolder::TimeWait)).then_some(())
    });
    assert!(
        in_time_wait.is_some(),
        "port {held} never only in TIME_WAIT"
    );
    let (_runtime, mut server, _receiver) = common::server(|_| Greeter::default());
    server.set_port(held);
    let error = server.listen().unwrap_err();
    assert_eq!(error.code(), 105);
    assert!(
        matches!(
            error,
            SocketError::PortHeldByConnection {
                held: PortHold::TimeWait,
                ..
            }
        ),
        "{error:?}"
    );
    let words = error.to_string();
    assert!(
        words.contains("a connection that closed moments ago still holds it in TIME_WAIT"),
        "{words}"
    );
    assert!(!words.contains("until that connection closes"), "{words}");
}

/// `::ffff:127.0.0.1` is IPv4 written as IPv6: refused with words that say what to use.
#[test]
fn an_ipv4_mapped_bind_address_is_refused_in_plain_words() {
    let (_runtime, mut server, _receiver) = common::server(|_| Greeter::default());
    server.set_network_interface("::ffff:127.0.0.1".parse().unwrap());
    let error = server.listen().unwrap_err();
    assert_eq!(error.code(), 100);
    let words = error.to_string();
    assert!(words.contains("IPv4-mapped"), "{words}");
    assert!(words.contains("listen on 127.0.0.1"), "{words}");
}

/// `::` listens for IPv6 and IPv4 alike, as most systems do by default.
#[test]
fn every_ipv6_interface_takes_ipv4_clients_too() {
    let (_runtime, mut server, _receiver) = common::server(|_| Greeter::default());
    server.set_network_interface("::".parse().unwrap());
    let port = server.listen().unwrap().port();
    for address in ["127.0.0.1", "::1"] {
        let ip: std::net::IpAddr = address.parse().unwrap();
        let mut stream = client(std::net::SocketAddr::new(ip, port));
        read_greeting(&mut stream);
    }
}

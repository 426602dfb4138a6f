//! Why a ServerSocket: the same burst of 200 simultaneous connections against the naive
//! single re-listening socket and against the pool. Real sockets, real refusals.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serversocket::naive::NaiveServer;
use serversocket::seed::{Greeter, SERVER_GREETING};
use serversocket::{Runtime, event_channel};

const BURST: usize = 200;

/// Connects `BURST` clients at once; returns how many were greeted and how many the OS
/// refused. A client whose handshake the kernel completed but whom no socket served (reset, or
/// the end of the stream) is neither.
fn burst(address: SocketAddr) -> (usize, usize) {
    let results = test_support::at_once(BURST, move |_| -> Result<(), ErrorKind> {
        let mut stream =
            TcpStream::connect_timeout(&address, common::PATIENCE).map_err(|e| e.kind())?;
        stream.set_read_timeout(Some(common::PATIENCE)).unwrap();
        let mut greeting = vec![0; SERVER_GREETING.len()];
        stream.read_exact(&mut greeting).map_err(|e| e.kind())?;
        assert_eq!(greeting, SERVER_GREETING.as_bytes());
        Ok(())
    });
    let greeted = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(ErrorKind::ConnectionRefused)))
        .count();
    (greeted, refused)
}

#[test]
fn a_burst_is_lost_by_the_naive_server_and_served_in_full_by_the_pool() {
    let runtime = Runtime::new().unwrap();

    // The naive server's gap outlasts the test, so what it loses does not depend on timing:
    // its single socket takes the first client and closes; the rest of the burst finds nothing
    // listening (refused) or was caught in the closing socket's backlog (reset, never served).
    let (naive, mut watch, address) = naive_greeter_on(&runtime, Duration::from_secs(3600));
    let (greeted, _refused) = burst(address);
    assert_eq!(greeted, 1, "one client served by the single socket");
    assert_eq!(naive.accepted(), 1);
    watch.until("the listener closed", |e| {
        matches!(e, serversocket::Event::ListenerClosed)
    });
    // Nothing listens in the gap: a client arriving now is refused by the OS.
    let refused = TcpStream::connect(address).expect_err("nothing listens in the gap");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    assert!(
        naive.shutdown(Duration::from_secs(5)),
        "shutdown ends the gap"
    );

    let (_runtime, _server, _watch, address) = common::greeting_server(2, BURST);
    assert_eq!(burst(address), (BURST, 0), "the pool served every client");
}

/// Even with no delay there is a moment with nobody listening; a client that waits until the
/// listener is open again is served, one at a time.
#[test]
fn the_naive_server_serves_one_client_per_listen() {
    let (_runtime, naive, mut watch, address) = naive_greeter(Duration::ZERO);
    for expected in 0..3_u64 {
        // The first open is Listening, every later one ends a gap: ListenerReopened.
        watch.until("listening (again)", |e| {
            matches!(
                e,
                serversocket::Event::Listening { .. }
                    | serversocket::Event::ListenerReopened { .. }
            )
        });
        let mut stream = common::client(address);
        common::read_greeting(&mut stream);
        watch.until("connected", |e| common::is_connected(e, expected));
        watch.until("the listener closed for the handoff", |e| {
            matches!(e, serversocket::Event::ListenerClosed)
        });
    }
    assert_eq!(naive.accepted(), 3);
    // A gap is not the end: Listening once, Stopped never (until shut down), a reopen per gap.
    watch.until("listening after the third gap", |e| {
        matches!(e, serversocket::Event::ListenerReopened { .. })
    });
    let listening = watch.count(|e| matches!(e, serversocket::Event::Listening { .. }));
    let stopped = watch.count(|e| matches!(e, serversocket::Event::Stopped));
    let reopened = watch.count(|e| matches!(e, serversocket::Event::ListenerReopened { .. }));
    assert_eq!((listening, stopped, reopened), (1, 0, 3));
    // Dropped, it says it stopped, as the pool's StopListening does.
    drop(naive);
    watch.until("stopped", |e| matches!(e, serversocket::Event::Stopped));
}

/// The single socket stops listening while it serves, but the connections it handed off stay
/// up after it listens again, until a side closes them.
#[test]
fn the_naive_servers_connections_outlive_its_next_listen() {
    let (_runtime, naive, mut watch, address) = naive_greeter(Duration::ZERO);
    let listening = |e: &serversocket::Event| matches!(e, serversocket::Event::Listening { .. });
    let reopened =
        |e: &serversocket::Event| matches!(e, serversocket::Event::ListenerReopened { .. });
    watch.until("listening", listening);
    let mut first = common::client(address);
    common::read_greeting(&mut first);
    watch.until("connected", |e| common::is_connected(e, 0));
    watch.until("listening again", reopened);
    let mut second = common::client(address);
    common::read_greeting(&mut second);
    watch.until("the second connected", |e| common::is_connected(e, 1));
    assert_eq!(watch.count(|e| common::is_closed(e, 0)), 0);
    // The first connection is still served: the server's socket 0 gets what it sends.
    first.write_all(b"still here").unwrap();
    watch.until("socket 0's data", |e| {
        matches!(e, serversocket::Event::Data { socket, data, .. } if socket.0 == 0 && &data[..] == b"still here")
    });
    naive.connection(serversocket::SocketId(0)).unwrap().close();
    watch.until("socket 0 closed", |e| common::is_closed(e, 0));
    let mut rest = Vec::new();
    first.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(naive.connection(serversocket::SocketId(0)).is_none());
    naive.close_all();
    watch.until("socket 1 closed", |e| common::is_closed(e, 1));
}

/// A naive greeting server on a free loopback port, re-listening after `delay`, and its events.
fn naive_greeter(delay: Duration) -> (Runtime, NaiveServer, common::Watch, SocketAddr) {
    let runtime = Runtime::new().unwrap();
    let (naive, watch, address) = naive_greeter_on(&runtime, delay);
    (runtime, naive, watch, address)
}

/// [`naive_greeter`] on a runtime of the caller's.
fn naive_greeter_on(
    runtime: &Runtime,
    delay: Duration,
) -> (NaiveServer, common::Watch, SocketAddr) {
    let (events, receiver) = event_channel(None);
    let (naive, address) = NaiveServer::listen(
        runtime,
        events,
        "127.0.0.1:0".parse().unwrap(),
        delay,
        |_| Greeter::default(),
    )
    .unwrap();
    (naive, common::Watch::new(receiver), address)
}

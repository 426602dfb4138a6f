//! The contract the windows rely on, each clause over real loopback sockets: a socket is usable
//! when Connected arrives, Listen never waits on the caller, ids are never reused, write errors
//! inside a handler are reported, and events come in their documented order.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::collections::BTreeSet;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{PATIENCE, Watch, client, is_closed};
use serversocket::naive::NaiveServer;
use serversocket::{
    Event, Passive, Runtime, ServerSocket, Socket, SocketError, SocketHandler, SocketId, TcpSocket,
    event_channel,
};

/// A passive server (no greeting) on 127.0.0.1 port 0.
fn passive_server(min: usize, max: usize) -> (Runtime, ServerSocket, Watch, SocketAddr) {
    let (runtime, mut server, receiver) = common::server(|_id| Passive);
    server.set_limits(min, max).unwrap();
    let address = server.listen().unwrap();
    (runtime, server, Watch::new(receiver), address)
}

#[test]
fn a_socket_is_usable_the_moment_its_connected_event_arrives() {
    const ROUNDS: usize = 200;
    let (_runtime, server, mut watch, address) = passive_server(2, 4);
    for round in 0..ROUNDS {
        let mut peer = client(address);
        let Event::Connected {
            socket,
            local,
            remote,
        } = watch.until("Connected", |e| matches!(e, Event::Connected { .. }))
        else {
            unreachable!("matched above")
        };
        let handle = server
            .connection(socket)
            .expect("listed in ActiveConnections");
        assert!(handle.is_connected(), "round {round}: not yet connected");
        assert_eq!(handle.local_address(), Some(local), "round {round}");
        assert_eq!(handle.remote_address(), Some(remote), "round {round}");
        handle
            .write("ok")
            .unwrap_or_else(|e| panic!("round {round}: write at Connected failed: {e}"));
        let mut got = [0; 2];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ok");
        drop(peer);
        watch.until("closed", |e| is_closed(e, socket.0));
    }
}

#[test]
fn stop_and_listen_two_hundred_times_on_one_port_with_nobody_draining_events() {
    const CYCLES: usize = 200;
    // Min 10: each cycle sends about 22 events, so the undrained channel fills up midway.
    let (_runtime, mut server, mut watch, address) = passive_server(10, 10);
    for cycle in 0..CYCLES {
        server.stop_listening();
        assert!(!server.is_listening(), "cycle {cycle}: still listening");
        server.set_port(address.port());
        let again = server
            .listen()
            .unwrap_or_else(|e| panic!("cycle {cycle}: Listen right after Stop failed: {e}"));
        assert_eq!(again, address);
        assert!(server.is_listening());
    }
    // Now drain: every Listen got its Listening, and every Stop its Stopped, alternating.
    let mut order = Vec::new();
    while order.len() < 2 * CYCLES + 1 {
        match watch.until("Listening or Stopped", |e| {
            matches!(e, Event::Listening { .. } | Event::Stopped)
        }) {
            Event::Listening { .. } => order.push(true),
            _ => order.push(false),
        }
    }
    let expected: Vec<bool> = (0..=2 * CYCLES).map(|i| i % 2 == 0).collect();
    assert_eq!(order, expected, "Listening and Stopped alternate");
    // The port really serves after all that.
    let mut peer = client(address);
    let socket = watch.connected();
    server.connection(socket).unwrap().write("x").unwrap();
    let mut got = [0; 1];
    peer.read_exact(&mut got).unwrap();
}

#[test]
fn socket_ids_are_never_reused_across_listens_and_modes() {
    let (runtime, mut server, mut watch, address) = passive_server(1, 4);
    let mut ids = BTreeSet::new();
    let serve_one = |watch: &mut Watch, address: SocketAddr, ids: &mut BTreeSet<SocketId>| {
        let peer = client(address);
        let socket = watch.connected();
        assert!(ids.insert(socket), "socket id {socket} used twice");
        drop(peer);
        watch.until("closed", |e| is_closed(e, socket.0));
    };
    serve_one(&mut watch, address, &mut ids);
    server.stop_listening();
    // Port 0 asks for any free port at every Listen: each Listen's own address.
    let address = server.listen().unwrap();
    serve_one(&mut watch, address, &mut ids);
    server.stop_listening();
    // The naive server, as the window runs it after a switch of mode, shares the numbering.
    let (events, receiver) = event_channel(None);
    let mut naive_watch = Watch::new(receiver);
    for _ in 0..2 {
        let (naive, naive_address) = NaiveServer::listen_with_ids(
            &runtime,
            events.clone(),
            "127.0.0.1:0".parse().unwrap(),
            Duration::ZERO,
            server.socket_ids(),
            |_| Passive,
        )
        .unwrap();
        serve_one(&mut naive_watch, naive_address, &mut ids);
        assert!(naive.shutdown(PATIENCE));
    }
    let address = server.listen().unwrap();
    serve_one(&mut watch, address, &mut ids);
    let idle = server.pool_status().idle;
    for id in idle {
        assert!(!ids.contains(&id), "idle socket {id} reuses an id");
    }
}

/// What a handler's Error saw: the error's code and LastErrorCode.
type Seen = Arc<Mutex<Vec<(i32, Option<i32>)>>>;

/// Closes itself in Connected and then writes, which must fail (106) and be reported.
struct WritesAfterClose {
    seen: Seen,
}

impl SocketHandler for WritesAfterClose {
    fn connected(&mut self, socket: &mut Socket) {
        socket.close();
        assert!(socket.write("too late").is_err());
    }

    fn error(&mut self, socket: &mut Socket, error: &SocketError) {
        self.seen
            .lock()
            .unwrap()
            .push((error.code(), socket.last_error_code()));
    }
}

#[test]
fn a_write_that_fails_inside_a_handler_fires_error_and_sets_last_error_code() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler_seen = Arc::clone(&seen);
    let (_runtime, _server, mut watch, address) = common::listening(move |_id| WritesAfterClose {
        seen: Arc::clone(&handler_seen),
    });
    let _peer = client(address);
    let socket = watch.connected();
    let error = watch.until("Error", |e| matches!(e, Event::Error { .. }));
    assert!(
        matches!(&error, Event::Error { socket: Some(s), error } if *s == socket && error.code() == 106),
        "{error:?}"
    );
    watch.until("closed", |e| is_closed(e, socket.0));
    assert_eq!(*seen.lock().unwrap(), vec![(106, Some(106))]);
}

/// Counts Connected calls of a client socket.
struct CountsConnected(Arc<Mutex<usize>>);

impl SocketHandler for CountsConnected {
    fn connected(&mut self, socket: &mut Socket) {
        *self.0.lock().unwrap() += 1;
        let _ = socket.write("hello");
    }
}

#[test]
fn close_while_connecting_aborts_the_connect() {
    // A listener whose accept queue is full drops further handshakes, so connecting hangs.
    let (_full, _queued, address) = common::unanswered_listener();
    let connected = Arc::new(Mutex::new(0));
    // The connect timeout is far beyond the test's patience: only the close can end it.
    let (_runtime, socket, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", address.port()).timeout(PATIENCE * 4),
        CountsConnected(Arc::clone(&connected)),
    );
    watch.until("Connecting", |e| matches!(e, Event::Connecting { .. }));
    socket.close();
    watch.until("closed", |e| is_closed(e, 0));
    assert_eq!(
        watch.count(|e| matches!(e, Event::Connected { .. } | Event::Error { .. })),
        0,
        "{:#?}",
        watch.seen
    );
    assert_eq!(*connected.lock().unwrap(), 0);
    assert!(!socket.is_connected());
}

/// Writes a greeting and closes inside SendProgress once it has all gone.
struct ClosesInSendProgress;

impl SocketHandler for ClosesInSendProgress {
    fn connected(&mut self, socket: &mut Socket) {
        socket.write("bye").unwrap();
    }

    fn send_progress(&mut self, socket: &mut Socket, _sent: u64, left: u64) -> bool {
        if left == 0 {
            socket.close();
        }
        false
    }
}

#[test]
fn send_complete_is_not_lost_when_a_handler_closes_in_send_progress() {
    let (_runtime, _server, mut watch, address) = common::listening(|_id| ClosesInSendProgress);
    let mut peer = client(address);
    let mut got = Vec::new();
    peer.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"bye");
    watch.until("closed", |e| matches!(e, Event::Closed { .. }));
    let complete = watch.count(|e| {
        matches!(
            e,
            Event::SendComplete {
                user_aborted: false,
                ..
            }
        )
    });
    assert_eq!(complete, 1, "{:#?}", watch.seen);
}

/// Records whether the socket still said it was connected when Error ran.
struct RecordsErrorState(Arc<Mutex<Vec<bool>>>);

impl SocketHandler for RecordsErrorState {
    fn error(&mut self, socket: &mut Socket, _error: &SocketError) {
        self.0.lock().unwrap().push(socket.is_connected());
    }
}

#[test]
fn error_runs_after_the_socket_stops_reporting_connected() {
    let states = Arc::new(Mutex::new(Vec::new()));
    let handler_states = Arc::clone(&states);
    let (_runtime, _server, mut watch, address) =
        common::listening(move |_id| RecordsErrorState(Arc::clone(&handler_states)));
    let peer = client(address);
    let socket = watch.connected();
    drop(peer);
    watch.until("closed", |e| is_closed(e, socket.0));
    assert_eq!(*states.lock().unwrap(), vec![false]);
}

#[test]
fn both_servers_shut_down_from_inside_the_runtime_without_panicking() {
    // A handler or a task may drop its server on the runtime; waiting there would deadlock
    // (tokio panics instead), so both servers report what is still running and go on.
    let runtime = Runtime::new().unwrap();
    let (events, _receiver) = event_channel(None);
    let mut server = ServerSocket::new(&runtime, events.clone(), |_| Passive);
    server.set_port(0);
    server.listen().unwrap();
    let (naive, _) = NaiveServer::listen(
        &runtime,
        events,
        "127.0.0.1:0".parse().unwrap(),
        Duration::ZERO,
        |_| Passive,
    )
    .unwrap();
    let outcome = runtime.block_on(async move {
        tokio::spawn(async move {
            let _ = server.shutdown(PATIENCE);
            let _ = naive.shutdown(PATIENCE);
        })
        .await
    });
    assert!(outcome.is_ok(), "a shutdown panicked inside the runtime");
}

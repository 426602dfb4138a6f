//! What the kernel sees, over real loopback sockets: the accept queue behind a full pool
//! (checked against `ss`), overflow with a small backlog while paused, and TIME_WAIT on the
//! side that closed first. Linux only: elsewhere the kernel's view is not available.

#![cfg(target_os = "linux")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

use common::{Watch, client, greeting_server, is_closed, is_connected, read_greeting};
use serversocket::seed::Greeter;
use serversocket::{Event, SocketId, event_channel};
use serversocket_kernel::{self as kernel, TcpState};

fn waiting_is(event: &Event, wanted: u32) -> bool {
    matches!(event, Event::AcceptQueue { waiting, .. } if *waiting == wanted)
}

/// The listener's Recv-Q as `ss -ltn` prints it (the accept queue's length), if `ss` exists.
fn ss_recv_q(address: SocketAddr) -> Option<u32> {
    let output = Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", address.port())])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.split_whitespace().nth(1)?.parse().ok())
}

#[test]
fn a_full_pool_leaves_the_rest_in_the_kernels_accept_queue() {
    let (_runtime, server, mut watch, address) = greeting_server(2, 2);
    let mut clients: Vec<TcpStream> = (0..6).map(|_| client(address)).collect();
    for stream in &mut clients[..2] {
        read_greeting(stream);
    }
    watch.until("4 waiting", |e| waiting_is(e, 4));
    let status = server.pool_status();
    assert_eq!(status.connected.len(), 2);
    if let Some(recv_q) = ss_recv_q(address) {
        assert_eq!(recv_q, 4, "ss -ltn agrees");
    }
    let queue = kernel::accept_queue(address, kernel::OverflowCounters::default())
        .expect("kernel view")
        .expect("listener");
    assert_eq!(queue.waiting, 4);

    // Two served clients leave: the pool accepts two of the waiting ones.
    clients.drain(..2);
    watch.until("2 waiting", |e| waiting_is(e, 2));
    for stream in &mut clients[..2] {
        read_greeting(stream);
    }
}

#[test]
fn a_small_backlog_overflows_while_accepting_is_paused() {
    let (_runtime, mut server, receiver) = common::server(|_id| Greeter::default());
    server.set_backlog(2);
    server.set_accepting_paused(true);
    let address = server.listen().expect("listen");
    let mut watch = Watch::new(receiver);
    // The first sample fixes the overflow counters' starting point.
    let first = watch.until("first sample", |e| matches!(e, Event::AcceptQueue { .. }));
    assert!(
        matches!(
            first,
            Event::AcceptQueue {
                waiting: 0,
                capacity: 2,
                ..
            }
        ),
        "{first:?}"
    );

    let attempts: Vec<socket2::Socket> = (0..12)
        .map(|_| {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("socket");
            socket.set_nonblocking(true).expect("non-blocking");
            // In progress or done: either way the kernel has the SYN.
            let _ = socket.connect(&address.into());
            socket
        })
        .collect();
    watch.until(
        "an overflow",
        |e| matches!(e, Event::AcceptQueue { overflows, .. } if *overflows > 0),
    );
    let most = watch
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::AcceptQueue { waiting, .. } => Some(*waiting),
            _ => None,
        })
        .max();
    // Linux lets one more than the backlog wait.
    assert!(most <= Some(3), "at most 3 waiting, saw {most:?}");
    assert!(
        server.pool_status().connected.is_empty(),
        "paused: nothing accepted"
    );

    server.set_accepting_paused(false);
    watch.until("socket 0 connected once resumed", |e| is_connected(e, 0));
    drop(attempts);
}

/// Asks the kernel until `wanted` holds for the connection, for at most [`PATIENCE`].
fn kernel_state_until(
    local: SocketAddr,
    remote: SocketAddr,
    what: &str,
    wanted: impl Fn(Option<TcpState>) -> bool,
) {
    let mut last = None;
    // Polling the kernel: there is no event for a state change to wait on.
    let seen = test_support::within_patience(|| {
        last = kernel::connection(local, remote)
            .expect("kernel view")
            .map(|s| s.state);
        wanted(last).then_some(())
    });
    assert!(
        seen.is_some(),
        "gave up waiting for {what}; last state {last:?}"
    );
}

#[test]
fn time_wait_stays_on_the_side_that_closed_first() {
    let (_runtime, server, mut watch, address) = greeting_server(1, 4);
    let mut stream = client(address);
    read_greeting(&mut stream);
    let client_end = stream.local_addr().expect("client address");
    watch.until("socket 0 connected", |e| is_connected(e, 0));
    kernel_state_until(address, client_end, "ESTABLISHED", |s| {
        s == Some(TcpState::Established)
    });

    // The server closes first: its end goes through FIN_WAIT to TIME_WAIT.
    server.connection(SocketId(0)).expect("connected").close();
    watch.until("socket 0 closed", |e| is_closed(e, 0));
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("end of stream");
    drop(stream);
    kernel_state_until(address, client_end, "server end in TIME_WAIT", |s| {
        s == Some(TcpState::TimeWait)
    });
    // The client closed second (LAST_ACK): the kernel forgets its end once acknowledged.
    kernel_state_until(client_end, address, "client end gone", |s| s.is_none());
}

#[test]
fn a_connection_watch_follows_the_server_end_into_time_wait() {
    let (runtime, server, mut watch, address) = greeting_server(1, 4);
    let (sender, receiver) = event_channel(None);
    let follow = serversocket::watch::ConnectionWatch::start(&runtime, sender);
    let mut kernel_events = Watch::new(receiver);
    let mut stream = client(address);
    read_greeting(&mut stream);
    let connected = watch.until("socket 0 connected", |e| is_connected(e, 0));
    follow.follow_event(&connected);
    let state_is = |e: &Event, wanted: TcpState| {
        matches!(e, Event::KernelState { socket, view: Some(view) }
            if *socket == SocketId(0) && view.state == wanted)
    };
    let established = kernel_events.until("ESTABLISHED", |e| state_is(e, TcpState::Established));
    // The client is on this machine, so the watch sees its end too: a program holds it.
    assert!(
        matches!(established, Event::KernelState { view: Some(view), .. } if view.peer_accepted == Some(true)),
        "{established:?}"
    );

    server.connection(SocketId(0)).expect("connected").close();
    watch.until("socket 0 closed", |e| is_closed(e, 0));
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("end of stream");
    drop(stream);
    kernel_events.until("TIME_WAIT", |e| state_is(e, TcpState::TimeWait));
}

/// A client that connects from `from` (0: any port), SO_REUSEADDR set so a port just used can
/// be used again; its read timeout set like [`client`]'s.
fn client_from(from: u16, address: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], from)).into())
        .unwrap();
    socket.connect(&address.into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(common::PATIENCE)).unwrap();
    stream
}

#[test]
fn a_closed_socket_is_not_given_the_kernel_state_of_a_later_connection_on_its_ends() {
    let (runtime, _server, mut watch, address) = greeting_server(1, 4);
    let (sender, receiver) = event_channel(None);
    let follow = serversocket::watch::ConnectionWatch::start(&runtime, sender);
    let mut kernel_events = Watch::new(receiver);
    let mut first = client_from(0, address);
    let port = first.local_addr().unwrap().port();
    read_greeting(&mut first);
    follow.follow_event(&watch.until("socket 0 connected", |e| is_connected(e, 0)));
    kernel_events.until("socket 0 ESTABLISHED", |e| {
        matches!(e, Event::KernelState { socket: SocketId(0), view: Some(view) }
            if view.state == TcpState::Established)
    });

    // Reset, so neither end waits in TIME_WAIT, then the same client port again at once.
    socket2::SockRef::from(&first)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(first);
    follow.follow_event(&watch.until("socket 0 closed", |e| is_closed(e, 0)));
    let mut later = client_from(port, address);
    read_greeting(&mut later);
    watch.until("socket 1 connected", |e| is_connected(e, 1));

    // Socket 0's connection is gone although its two ends are ESTABLISHED again, for socket 1.
    kernel_events.until("socket 0 forgotten", |e| {
        matches!(
            e,
            Event::KernelState {
                socket: SocketId(0),
                view: None
            }
        )
    });
    drop(later);
}

/// Follows `count` client ends of a server on this machine until each is seen ESTABLISHED and
/// accepted by a program.
fn follows_client_ends(count: usize) {
    let (runtime, _server, mut watch, address) = greeting_server(2, count);
    let (sender, receiver) = event_channel(None);
    let follow = serversocket::watch::ConnectionWatch::start(&runtime, sender);
    let mut kernel_events = Watch::new(receiver);
    let mut clients: Vec<TcpStream> = (0..count).map(|_| client(address)).collect();
    for (index, stream) in clients.iter_mut().enumerate() {
        read_greeting(stream);
        let id = SocketId(u64::try_from(index).unwrap());
        follow.follow(id, stream.local_addr().unwrap(), address);
    }
    watch.until_n(count, "all connected", |e| {
        matches!(e, Event::Connected { .. })
    });
    let mut seen = std::collections::HashSet::new();
    for _ in 0..count {
        let event = kernel_events.until("another client end ESTABLISHED and accepted", |e| {
            matches!(e, Event::KernelState { socket, view: Some(view) }
                if view.state == TcpState::Established
                    && view.peer_accepted == Some(true)
                    && !seen.contains(socket))
        });
        if let Event::KernelState { socket, .. } = event {
            seen.insert(socket);
        }
    }
}

#[test]
fn a_connection_watch_looks_up_a_few_connections_one_by_one() {
    follows_client_ends(12);
}

#[test]
fn a_connection_watch_follows_many_client_ends_with_one_look_at_the_system() {
    // More connections than the watch looks up one by one.
    follows_client_ends(serversocket::watch::LOOKUPS_UP_TO + 4);
}

//! StopListening, shutdown and churn leave no file descriptor, task or memory behind.
//! They count the whole process's descriptors, tasks and memory, so each runs alone: nextest
//! gives every test a process of its own and runs these with nothing beside them
//! (`.config/nextest.toml`); under plain `cargo test` a lock keeps them one at a time. Every
//! count after an action waits (with a deadline) for the system to settle.

#![cfg(target_os = "linux")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::sync::Mutex;
use std::time::Duration;

use common::{Watch, client, read_greeting};
use serversocket::seed::Greeter;
use serversocket::{Event, Runtime, ServerSocket};
use std::net::SocketAddr;

/// The tests here must not overlap: each counts what the whole process holds.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Holds [`ONE_AT_A_TIME`] (a test that failed while holding it does not stop the rest).
fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Waits until the listener's accept-queue sampler runs (its first report), so the two files it
/// keeps open (a netlink socket, /proc/net/netstat) are in a baseline taken after it.
fn sampler_started(watch: &mut Watch) {
    if cfg!(target_os = "linux") {
        watch.until("the accept queue's first sample", |e| {
            matches!(e, Event::AcceptQueue { .. })
        });
    }
}

/// A greeting server on port 0 holding up to `max` sockets, once its two idle sockets are in
/// place and its sampler runs: what the counts after an action are compared with.
fn settled_server(max: usize) -> (Runtime, ServerSocket, Watch, SocketAddr) {
    let (runtime, server, mut watch, address) = common::greeting_server(2, max);
    watch.until_n(2, "the pool", |e| matches!(e, Event::AddSocket { .. }));
    sampler_started(&mut watch);
    (runtime, server, watch, address)
}

/// Takes `watch`'s events on a thread of its own (the channel is bounded, so they must be
/// taken while clients come and go) until `closes` sockets have closed or the events stop for
/// [`common::PATIENCE`]; returns how many closed.
fn closes_counted(mut watch: Watch, closes: usize) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut closed = 0;
        while closed < closes {
            match watch.receiver.recv_timeout(common::PATIENCE) {
                Some(Event::Closed { .. }) => closed += 1,
                Some(_) => {}
                None => break,
            }
        }
        closed
    })
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// `measure` once it reads `expected`, or its last reading after [`common::PATIENCE`]. A
/// socket's task reports Closed as its last act and then ends, dropping its descriptor, a
/// moment later: a count taken straight after the event may still see it.
fn settled(expected: usize, measure: impl Fn() -> usize) -> usize {
    test_support::within_patience(|| (measure() == expected).then_some(expected))
        .unwrap_or_else(measure)
}

/// The runtime's live tasks once they settle at `expected`.
fn settled_tasks(runtime: &Runtime, expected: usize) -> usize {
    settled(expected, || runtime.handle().metrics().num_alive_tasks())
}

/// This process's open descriptors once they settle at `expected`.
fn settled_descriptors(expected: usize) -> usize {
    settled(expected, open_descriptors)
}

/// Resident memory of this process, in bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn stop_listening_and_shutdown_leave_no_descriptor_or_task_behind() {
    let _alone = alone();
    let (_runtime, mut server, receiver) = common::server(|_| Greeter::default());
    let mut watch = Watch::new(receiver);
    let before = open_descriptors();

    server.set_limits(3, 10).unwrap();
    let address = server.listen().unwrap();
    let mut clients: Vec<_> = (0..5).map(|_| client(address)).collect();
    for stream in &mut clients {
        read_greeting(stream);
    }
    watch.until_n(5, "connected", |e| matches!(e, Event::Connected { .. }));
    let open = open_descriptors();
    assert!(
        open >= before + 1 + 2 * 5,
        "listener and both ends of 5 connections: {open} open, {before} before"
    );

    server.stop_listening();
    server.close_all();
    watch.until("stopped", |e| matches!(e, Event::Stopped));
    watch.until_n(5, "closed", |e| matches!(e, Event::Closed { .. }));
    drop(clients);
    assert_eq!(
        settled_descriptors(before),
        before,
        "after StopListening and closing"
    );

    // Listen again, then drop everything through shutdown: nothing may remain.
    server.listen().unwrap();
    let mut late = client(server.local_address().unwrap());
    read_greeting(&mut late);
    assert!(server.shutdown(Duration::from_secs(5)), "every task ended");
    drop(late);
    assert_eq!(settled_descriptors(before), before, "after shutdown");
}

#[test]
fn twenty_thousand_connect_greet_close_cycles_are_all_served_and_leave_nothing_behind() {
    const CLIENTS: usize = 64;
    const CYCLES_EACH: usize = 20_000 / CLIENTS + 1;
    let _alone = alone();
    let (runtime, server, watch, address) = settled_server(CLIENTS);
    let descriptors = open_descriptors();
    let tasks = runtime.handle().metrics().num_alive_tasks();
    let memory = resident_bytes();

    let drain = closes_counted(watch, CLIENTS * CYCLES_EACH);
    test_support::at_once(CLIENTS, move |_| {
        for _ in 0..CYCLES_EACH {
            let mut stream = client(address);
            read_greeting(&mut stream);
        }
    });
    assert_eq!(
        drain.join().unwrap(),
        CLIENTS * CYCLES_EACH,
        "every cycle served and closed"
    );
    assert_eq!(
        server.pool_status().accepted,
        (CLIENTS * CYCLES_EACH) as u64
    );
    assert!(server.active_connections().is_empty());
    assert_eq!(
        settled_descriptors(descriptors),
        descriptors,
        "descriptors after the churn"
    );
    assert_eq!(
        settled_tasks(&runtime, tasks),
        tasks,
        "tasks after the churn"
    );
    let grown = resident_bytes().saturating_sub(memory);
    assert!(grown < 64 * 1024 * 1024, "memory grew by {grown} bytes");
}

#[test]
fn shutdown_with_500_clients_connected_closes_every_one_and_ends_every_task() {
    const CLIENTS: usize = 500;
    let _alone = alone();
    let (runtime, mut server, receiver) = common::server(|_| Greeter::default());
    let before = open_descriptors();
    let tasks = runtime.handle().metrics().num_alive_tasks();
    server.set_limits(2, CLIENTS + 10).unwrap();
    let address = server.listen().unwrap();
    let mut clients: Vec<_> = (0..CLIENTS).map(|_| client(address)).collect();
    for stream in &mut clients {
        read_greeting(stream);
    }
    let mut watch = Watch::new(receiver);
    watch.until_n(CLIENTS, "connected", |e| {
        matches!(e, Event::Connected { .. })
    });
    assert_eq!(server.active_connections().len(), CLIENTS);

    let drain = closes_counted(watch, CLIENTS);
    assert!(server.shutdown(Duration::from_secs(10)), "every task ended");
    assert_eq!(
        drain.join().unwrap(),
        CLIENTS,
        "every socket reported closed"
    );
    for stream in &mut clients {
        let mut rest = Vec::new();
        // The server's end is gone: the client reads the end of the stream (or a reset).
        let _ = std::io::Read::read_to_end(stream, &mut rest);
    }
    drop(clients);
    assert_eq!(settled_tasks(&runtime, tasks), tasks);
    assert_eq!(settled_descriptors(before), before);
}

/// A connection whose task waits for room for its events (nobody takes them, and the client's
/// upload spent the channel's budget for Data) still closes when the server shuts down: the
/// shutdown reaches the task while it waits, and every task ends.
#[test]
fn shutdown_closes_a_connection_whose_task_waits_for_room_for_its_events() {
    let _alone = alone();
    let (runtime, mut server, receiver) = common::server(|_| Greeter::default());
    let tasks = runtime.handle().metrics().num_alive_tasks();
    server.set_limits(1, 10).unwrap();
    let address = server.listen().unwrap();
    let mut peer = client(address);
    read_greeting(&mut peer);
    // At most 256 MiB, four times the budget: the write fails once the server has closed.
    let mut upload = peer.try_clone().unwrap();
    let uploader = std::thread::spawn(move || {
        let block = vec![0x5a_u8; 1024 * 1024];
        for _ in 0..256 {
            if std::io::Write::write_all(&mut upload, &block).is_err() {
                break;
            }
        }
    });
    let waits = test_support::within_patience(|| (receiver.waits() > 0).then_some(()));
    assert!(waits.is_some(), "the socket's task waits for room");
    assert!(server.shutdown(Duration::from_secs(10)), "every task ended");
    drop(peer);
    uploader.join().unwrap();
    drop(receiver);
    assert_eq!(settled_tasks(&runtime, tasks), tasks);
}

/// The soak test, sized for a 2-core machine: 3,000 clients connected at once are all greeted
/// and held; once they leave, the process is back to the descriptors and tasks it had before.
#[test]
fn three_thousand_concurrent_connections_are_all_greeted_and_leave_nothing_behind() {
    const CLIENTS: usize = 3_000;
    let _alone = alone();
    // Both ends of every connection live in this process, as the apps raise their own limit.
    let limits = serversocket_files::open_files::raise_to_hard().expect("Linux has the limit");
    let needed = 2 * CLIENTS as u64 + 100;
    assert!(
        limits.soft.is_none_or(|soft| soft >= needed),
        "this test needs {needed} open files; the hard limit allows {limits:?}"
    );
    let (runtime, server, mut watch, address) = settled_server(CLIENTS + 10);
    let descriptors = open_descriptors();
    let tasks = runtime.handle().metrics().num_alive_tasks();

    // Events must be taken while the clients connect (the channel is bounded).
    let drain = std::thread::spawn(move || {
        let (mut connected, mut closed) = (0, 0);
        while closed < CLIENTS {
            match watch.receiver.recv_timeout(common::PATIENCE) {
                Some(Event::Connected { .. }) => connected += 1,
                Some(Event::Closed { .. }) => closed += 1,
                Some(_) => {}
                None => break,
            }
        }
        (connected, closed)
    });
    let mut clients: Vec<_> = (0..CLIENTS).map(|_| client(address)).collect();
    for stream in &mut clients {
        read_greeting(stream);
    }
    assert_eq!(
        server.active_connections().len(),
        CLIENTS,
        "all held at once"
    );
    assert_eq!(server.pool_status().accepted, CLIENTS as u64);
    drop(clients);
    assert_eq!(
        drain.join().unwrap(),
        (CLIENTS, CLIENTS),
        "every client connected and, once gone, closed"
    );
    assert!(server.active_connections().is_empty());
    assert_eq!(
        settled_descriptors(descriptors),
        descriptors,
        "descriptors after every client left"
    );
    assert_eq!(
        settled_tasks(&runtime, tasks),
        tasks,
        "tasks after every client left"
    );
}

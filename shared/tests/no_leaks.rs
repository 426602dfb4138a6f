//! StopListening and shutdown leave no file descriptor and no task behind.
//! Alone in its own test binary: it counts the whole process's open descriptors.

#![cfg(target_os = "linux")]
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Watch, client, read_greeting};
use serversocket::seed::Greeter;
use serversocket::{Event, Runtime, ServerSocket, event_channel};

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn stop_listening_and_shutdown_leave_no_descriptor_or_task_behind() {
    let runtime = Runtime::new().unwrap();
    let (events, receiver) = event_channel(None);
    let mut watch = Watch::new(receiver);
    let before = open_descriptors();

    let mut server = ServerSocket::new(&runtime, events, |_| Greeter::default());
    server.set_port(0);
    server.set_limits(3, 10).unwrap();
    let address = server.listen().unwrap();
    let mut clients: Vec<_> = (0..5).map(|_| client(address)).collect();
    for stream in &mut clients {
        read_greeting(stream);
    }
    watch.until_n(5, "connected", |e| matches!(e, Event::Connected { .. }));
    assert!(
        open_descriptors() >= before + 1 + 2 * 5,
        "listener and both ends of 5 connections"
    );

    server.stop_listening();
    server.close_all();
    watch.until("stopped", |e| matches!(e, Event::Stopped));
    watch.until_n(5, "closed", |e| matches!(e, Event::Closed { .. }));
    drop(clients);
    assert_eq!(
        open_descriptors(),
        before,
        "after StopListening and closing"
    );

    // Listen again, then drop everything through shutdown: nothing may remain.
    server.listen().unwrap();
    let mut late = client(server.local_address().unwrap());
    read_greeting(&mut late);
    assert!(server.shutdown(Duration::from_secs(5)), "every task ended");
    drop(late);
    assert_eq!(open_descriptors(), before, "after shutdown");
}

//! A flood of 10,000 connections to a real ServerSocket with the capture on and nobody taking
//! its segments: every connection is served, and the segments the full channel had no room
//! for are counted as dropped, never waited for.
//!
//! Capturing needs CAP_NET_RAW, which root has (CI runs as root): the test fails, saying why,
//! where the capture cannot start.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serversocket::Event;
use serversocket::seed::Greeter;
use serversocket_capture::Capture;
use serversocket_capture::capture::CHANNEL_SEGMENTS;
use test_support::sockets::{client, read_greeting, server};
use test_support::within_patience;

/// Connections in all.
const CONNECTIONS: usize = 10_000;

/// Clients connecting at once, each one connection after another.
const CLIENTS: usize = 20;

#[test]
fn a_flood_of_ten_thousand_connections_loses_none_and_counts_the_segments_it_drops() {
    let (_runtime, mut server, mut receiver) = server(|_id| Greeter::default());
    server.set_limits(2, 100).unwrap();
    let address = server.listen().unwrap();
    let capture = Capture::start(address.port(), "the test").unwrap_or_else(|error| {
        panic!("this test captures packets and needs CAP_NET_RAW (CI runs as root): {error}")
    });
    // The events are taken as a window or a headless program takes them; the segments not.
    let stop = Arc::new(AtomicBool::new(false));
    let events = std::thread::spawn({
        let stop = Arc::clone(&stop);
        move || {
            let mut connected = 0;
            while !stop.load(Ordering::Relaxed) {
                if let Some(Event::Connected { .. }) =
                    receiver.recv_timeout(Duration::from_millis(50))
                {
                    connected += 1;
                }
            }
            connected
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..CONNECTIONS / CLIENTS {
                    let mut stream = client(address);
                    read_greeting(&mut stream);
                    // Closed with a RST rather than a FIN: ten thousand connections left in
                    // TIME_WAIT for a minute would slow every kernel sample of the tests
                    // that run after this one.
                    socket2::SockRef::from(&stream)
                        .set_linger(Some(Duration::ZERO))
                        .unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("every client was greeted");
    }
    let connected = within_patience(|| server.pool_status().connected.is_empty().then_some(()));
    assert!(connected.is_some(), "every connection closed");
    stop.store(true, Ordering::Relaxed);
    assert_eq!(
        events.join().unwrap(),
        CONNECTIONS,
        "the server connected every client"
    );
    // Once the thread has found the kernel's queue empty, its counts are final.
    let idle = capture.idle_reads();
    within_patience(|| (capture.idle_reads() > idle + 1).then_some(()))
        .expect("the capture catches up");
    let (captured, dropped) = (capture.captured(), capture.dropped());
    assert!(
        captured >= 5 * CONNECTIONS as u64,
        "at least a handshake's three segments, a greeting and a RST a connection: {captured}"
    );
    assert_eq!(
        captured - dropped,
        CHANNEL_SEGMENTS as u64,
        "the channel is full"
    );
    assert_eq!(capture.segments().len(), CHANNEL_SEGMENTS);
}

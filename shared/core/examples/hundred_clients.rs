//! A client that opens 100 sockets at once against a server (the seed's server by default) and
//! says how many connected and how many were greeted.
//!
//! Run `cargo run -p serversocket --example seed_server` first (its MaximumSocketsConnected
//! of 10 makes 90 of them wait), then
//! `cargo run -p serversocket --example hundred_clients [HOST] [PORT]`.

mod arguments;

use std::collections::BTreeSet;
use std::time::Duration;

use serversocket::{Event, Passive, Runtime, SocketIds, TcpSocket, event_channel};

/// What became of the sockets.
#[derive(Debug, Default)]
struct Tally {
    connected: BTreeSet<u64>,
    greeted: BTreeSet<u64>,
    failed: usize,
}

fn main() -> Result<(), serversocket::SocketError> {
    let host = arguments::argument(1).unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = arguments::port(2, 2002)?;
    let runtime = Runtime::new()?;
    // Until nothing has happened for three seconds.
    let tally = run(&runtime, &host, port, 100, Duration::from_secs(3), |_| {
        false
    });
    println!(
        "{} connected, {} greeted, {} failed",
        tally.connected.len(),
        tally.greeted.len(),
        tally.failed
    );
    Ok(())
}

/// Connects `count` sockets and counts what happens until `quiet` passes with no event or
/// `enough` says so.
fn run(
    runtime: &Runtime,
    host: &str,
    port: u16,
    count: usize,
    quiet: Duration,
    enough: impl Fn(&Tally) -> bool,
) -> Tally {
    let (events, mut receiver) = event_channel(None);
    let ids = SocketIds::new();
    // Kept, so the sockets stay open: a socket whose every handle is dropped closes.
    let _sockets: Vec<TcpSocket> = (0..count)
        .map(|_| TcpSocket::builder(host, port).connect(runtime, &ids, Passive, events.clone()))
        .collect();
    let mut tally = Tally::default();
    while let Some(event) = receiver.recv_timeout(quiet) {
        match event {
            Event::Connected { socket, .. } => {
                tally.connected.insert(socket.0);
            }
            Event::Data { socket, .. } => {
                tally.greeted.insert(socket.0);
            }
            Event::Error { .. } => tally.failed += 1,
            _ => {}
        }
        if enough(&tally) {
            break;
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hundred_sockets_connect_and_are_greeted() {
        let (runtime, _server, _watch, address) = test_support::sockets::greeting_server(10, 100);
        let tally = run(
            &runtime,
            "127.0.0.1",
            address.port(),
            100,
            test_support::PATIENCE,
            |tally| tally.greeted.len() == 100,
        );
        assert_eq!(tally.connected.len(), 100, "{tally:?}");
        assert_eq!(tally.greeted.len(), 100, "{tally:?}");
        assert_eq!(tally.failed, 0);
    }
}

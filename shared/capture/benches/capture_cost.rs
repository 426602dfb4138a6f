//! `capture_cost`: what capturing costs a server's accept rate. The ServerSocket pool with the
//! seed's greeter, connect-greet-close cycles [`CONCURRENCY`] at a time (`accept_rate` of
//! `shared/core/benches/pool.rs`), with a capture of its port running against without, in one
//! run: in turn, the order swapped each round, so a drifting machine favours neither. With the
//! capture on, its segments are taken as a window takes them (tied to their connections and
//! kept in the rings) by a thread of their own. Printed as
//! `RATIO capture_cost <median on/off> (spread …)`. Goal: >= 0.8.
//!
//! Needs CAP_NET_RAW (run as root): `cargo bench -p serversocket-capture --bench capture_cost`
//! (`-- --quick` for a smaller run). Loopback only; every loop is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serversocket::seed::Greeter;
use serversocket::{Runtime, ServerSocket, event_channel};
use serversocket_capture::{Capture, Conversations, End, Rings};
use test_support::bench::{self, Args, CONCURRENCY, Measure, greeted, two_workers};

/// No single client operation may take longer; the bench fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

fn main() {
    let args = Args::from_env();
    let (total, rounds) = if args.quick { (500, 5) } else { (5_000, 9) };
    let clients = two_workers();
    let rate = |capturing: bool| {
        let server = Server::start(capturing);
        let address = server.address;
        let rate = bench::cycles_per_second(&clients, total, move || greeted(address, PATIENCE));
        drop(server);
        rate
    };
    let (measures, ratios) = bench::on_against_off("capture_cost", rounds, "conn/s", rate);
    println!("capture_cost: {rounds} rounds, captured/uncaptured sorted: {ratios}");
    let measures = [Measure::median(measures)];
    bench::print_ratio_lines(&measures, 2);
    bench::print_table(&measures, 1);
}

/// The pool with the seed's greeter, its events drained by a thread the way a window drains
/// them, and, when capturing, a capture of its port whose segments a thread takes.
struct Server {
    address: SocketAddr,
    /// Stops the segments' thread.
    stop: Arc<AtomicBool>,
    _server: ServerSocket,
    _runtime: Runtime,
}

impl Server {
    fn start(capturing: bool) -> Self {
        let runtime = Runtime::new().unwrap();
        let (events, mut receiver) = event_channel(None);
        std::thread::spawn(move || {
            while receiver.recv_timeout(Duration::from_secs(3600)).is_some() {
                std::thread::sleep(Duration::from_millis(1));
                while receiver.try_recv().is_some() {}
            }
        });
        let mut server = ServerSocket::new(&runtime, events, |_| Greeter::default());
        server.set_port(0);
        server.set_limits(2, CONCURRENCY * 2).unwrap();
        let address = server.listen().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        if capturing {
            let capture = Capture::start(address.port(), "the bench").unwrap_or_else(|error| {
                panic!("capture_cost needs CAP_NET_RAW (run as root): {error}")
            });
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut conversations = Conversations::new(End::Server, address.port());
                let mut rings = Rings::default();
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    // Taken a batch at a time, as a window's frame takes them.
                    if let Ok(segment) = capture.segments().recv_timeout(Duration::from_millis(50))
                    {
                        conversations.add(segment, Instant::now(), &mut seen);
                        std::thread::sleep(Duration::from_millis(1));
                        while let Ok(segment) = capture.segments().try_recv() {
                            conversations.add(segment, Instant::now(), &mut seen);
                        }
                    }
                    conversations.release_overdue(Instant::now(), &mut seen);
                    seen.drain(..).for_each(|seen| rings.push(seen));
                }
            });
        }
        Self {
            address,
            stop,
            _server: server,
            _runtime: runtime,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

//! The headless printer's cost a JSON line, as it is (the everyday events' lines written by
//! hand, byte by byte) beside the typed record written by `serde_json::to_writer` (what every
//! other line is): the measure that decides which path the everyday lines take. Both stamp
//! each line with the clock and the same once-a-second stamp cache and hand the line to a
//! writer in one `write_all`, as the printer does. Printed as
//! `RATIO <name> <median typed/hand> (spread <lowest>–<highest> over <n> rounds; …)` lines:
//! above 1.0 the typed record is slower. Run from the workspace root:
//! `cargo bench -p serversocket-report --bench print` (`-- --quick` for a smaller run).
//!
//! - `typed_vs_hand`: a connection's five everyday lines (add_socket, connected, send_complete,
//!   error 102, closed), in turn, as a printing server writes them.
//! - `typed_vs_hand_<kind>`: one kind alone, to see where a difference comes from.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant, SystemTime};

use serversocket::{Event, SocketError, SocketId};
use serversocket_report::{Printer, Record, Side, Stamps};

/// Lines a round prints (each way).
const LINES: usize = 300_000;

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let rounds = if quick { 3 } else { 9 };
    let lines = if quick { LINES / 5 } else { LINES };
    let everyday = everyday();
    let mut measures = vec![("typed_vs_hand", everyday.clone())];
    for (name, event) in [
        ("add_socket", 0),
        ("connected", 1),
        ("send_complete", 2),
        ("error", 3),
        ("closed", 4),
    ] {
        let name: &'static str = format!("typed_vs_hand_{name}").leak();
        measures.push((name, vec![everyday[event].clone()]));
    }
    for (name, events) in measures {
        let mut runs = Vec::new();
        for round in 0..rounds {
            // Each way goes first in every other round, so neither always has the warm cache.
            let (ours, reference) = if round % 2 == 0 {
                let ours = ours(&events, lines);
                (ours, reference(&events, lines))
            } else {
                let reference = reference(&events, lines);
                (ours(&events, lines), reference)
            };
            runs.push((ours, reference));
        }
        runs.sort_by(|a, b| ratio(*a).total_cmp(&ratio(*b)));
        let (ours, reference) = runs[rounds / 2];
        println!(
            "RATIO {name} {:.2} (spread {:.2}–{:.2} over {rounds} rounds; ours {:.0} ns a line, reference {:.0} ns a line, the median round)",
            ratio((ours, reference)),
            ratio(runs[0]),
            ratio(runs[rounds - 1]),
            per_line(ours, lines),
            per_line(reference, lines),
        );
    }
}

fn ratio((ours, reference): (Duration, Duration)) -> f64 {
    ours.as_secs_f64() / reference.as_secs_f64()
}

#[allow(clippy::cast_precision_loss)]
fn per_line(took: Duration, lines: usize) -> f64 {
    took.as_secs_f64() * 1e9 / lines as f64
}

/// A connection's everyday events, as a server that greets and is hung up on sees them.
fn everyday() -> Vec<Event> {
    let socket = SocketId(1_234);
    let peer = "127.0.0.1:46116".parse().unwrap();
    vec![
        Event::AddSocket { socket },
        Event::Connected {
            socket,
            local: "127.0.0.1:2002".parse().unwrap(),
            remote: peer,
        },
        Event::SendComplete {
            socket,
            user_aborted: false,
        },
        Event::Error {
            socket: Some(socket),
            error: SocketError::LostConnection {
                peer,
                reason: "the peer closed the connection".into(),
                cause: None,
            },
        },
        Event::Closed { socket },
    ]
}

/// A writer that keeps nothing, standing for the output's queue.
struct Discard(u64);

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += black_box(buf.len()) as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Each event made a typed record and written with `serde_json::to_writer`.
fn ours(events: &[Event], lines: usize) -> Duration {
    let mut out = Discard(0);
    let mut stamps = Stamps::default();
    let mut line = Vec::new();
    let started = Instant::now();
    for event in events.iter().cycle().take(lines) {
        let ts = stamps.at(SystemTime::now());
        line.clear();
        let record = Record::from_event(black_box(event)).unwrap();
        record.at_stamp(ts).write_to(&mut line).unwrap();
        out.write_all(&line).unwrap();
    }
    let took = started.elapsed();
    assert!(out.0 > 0);
    took
}

/// The printer as it is: the everyday lines written by hand.
fn reference(events: &[Event], lines: usize) -> Duration {
    let mut printer = Printer::new(Side::Server, true, Discard(0));
    let started = Instant::now();
    for event in events.iter().cycle().take(lines) {
        printer.print_unflushed(black_box(event));
    }
    let took = started.elapsed();
    assert!(printer.out().0 > 0);
    took
}

//! UI measures of the server window, each beside its reference, printed as
//! `RATIO <name> <median ours/reference> (spread <lowest>–<highest> over <n> rounds; …)` lines and a
//! table for docs/benchmarks.md (the harness is `test_support::bench`). Run from the workspace
//! root: `cargo bench --bench window` (`-- --quick` for a smaller run, `-- idle_repaints` for
//! one measure). The window runs in an egui_kittest harness: no display and no GPU, so a frame
//! here is layout and shape building, which is what the log's size can cost.
//!
//! - `ui_frame_100k`: one frame with 100,000 log lines and 1,000 sockets, against the same window
//!   with 100 lines and 10 sockets (goal <= 1.5: only the visible rows cost).
//! - `ui_frame_10k_sockets`: one frame with 10,000 sockets (the pool drawn as cells) and their
//!   20,000 log lines, against the same window with 10 sockets (goal <= 1.5).
//!
//! The frame measures run in rounds, ours then the reference (5 rounds in a full run, 1 with
//! `--quick`); the RATIO line gives the median round's ratio and the spread of all of them.
//! - `idle_repaints`: frames drawn in 2 s with nothing happening, after the first (goal 0),
//!   against a window with nothing in it.
//! - `busy_repaints`: frames drawn in 2 s while a client sends 1,000 messages a second, with
//!   frames paced at 60 per second as a display would, against those 120 frames; every message
//!   must reach the log (the window keeps up by taking many events per frame).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use egui_kittest::Harness;
use server_app::window::{ServerSettings, ServerWindow};
use serversocket::{Event, SocketId};
use serversocket_ui::drain::Happened;
use test_support::bench::{self, Args, Measure, in_turn};

/// Frames are paced like a 60 Hz display.
const FRAME: Duration = Duration::from_micros(16_667);

fn main() {
    let args = Args::from_env();
    let (quick, rounds) = (args.quick, args.rounds());
    let mut measures = Vec::new();
    // (log lines, sockets) of the window measured, and of its reference.
    for (name, big, small) in [
        ("ui_frame_100k", (100_000, 1_000), (100, 10)),
        ("ui_frame_10k_sockets", (20_000, 10_000), (20, 10)),
    ] {
        if args.wanted(name) {
            measures.push(ui_frame(name, big, small, quick, rounds));
        }
    }
    // How long the repaint measures watch the window.
    let span = if quick {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(2)
    };
    if args.wanted("idle_repaints") {
        measures.push(idle_repaints(span));
    }
    if args.wanted("busy_repaints") {
        measures.push(busy_repaints(span));
    }
    bench::print_report(&measures, 3);
}

/// A server window in a harness, not listening, filled with `lines` log lines over `sockets`
/// sockets (half connected, half idle).
fn filled_window(lines: usize, sockets: u64) -> Harness<'static, ServerWindow> {
    let mut window = ServerWindow::new(ServerSettings::default()).unwrap();
    let remote = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 50_000));
    let local = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 2002));
    for id in 0..sockets {
        window.record_event(
            Event::AddSocket {
                socket: SocketId(id),
            },
            Happened::now(),
        );
        if id % 2 == 0 {
            window.record_event(
                Event::Connected {
                    socket: SocketId(id),
                    local,
                    remote,
                },
                Happened::now(),
            );
        }
    }
    let data = Bytes::from_static(b"Socket 0 connected! I got something from you.");
    for line in 0..lines.saturating_sub(2 * sockets as usize) {
        let socket = SocketId(line as u64 % sockets.max(1));
        window.record_event(Event::data(socket, &data.clone()), Happened::now());
    }
    let mut harness = Harness::builder()
        .with_size(egui::vec2(680.0, 720.0))
        .build_ui_state(|ui, w: &mut ServerWindow| w.ui(ui), window);
    harness.step();
    harness
}

/// A server window listening on a free loopback port (Ctrl+L, as a user would).
fn listening_window() -> Harness<'static, ServerWindow> {
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(680.0, 720.0))
        .build_ui_state(
            |ui, w: &mut ServerWindow| w.ui(ui),
            ServerWindow::new(settings).unwrap(),
        );
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    harness.step();
    harness
}

/// The median time of one frame over `frames` frames, in milliseconds.
fn median_frame_ms(harness: &mut Harness<'static, ServerWindow>, frames: usize) -> f64 {
    let mut times: Vec<f64> = (0..frames)
        .map(|_| {
            let start = Instant::now();
            harness.step();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// One frame of a window filled with `big` (log lines, sockets), against the same window
/// filled with `small`, in `rounds` rounds.
fn ui_frame(
    name: &'static str,
    big: (usize, u64),
    small: (usize, u64),
    quick: bool,
    rounds: usize,
) -> Measure {
    let frames = if quick { 15 } else { 101 };
    let mut big = filled_window(big.0, big.1);
    let mut small = filled_window(small.0, small.1);
    Measure::of_rounds(
        name,
        "ms/frame",
        in_turn(rounds, |ours| {
            median_frame_ms(if ours { &mut big } else { &mut small }, frames)
        }),
    )
}

/// Runs the window as a display would for `span`: a frame whenever egui asked for a repaint,
/// at most one per [`FRAME`]. Returns the frames drawn.
fn paced_frames(
    harness: &mut Harness<'static, ServerWindow>,
    requests: &AtomicUsize,
    span: Duration,
) -> usize {
    let end = Instant::now() + span;
    let mut frames = 0;
    while Instant::now() < end {
        // As eframe does: draw when asked to, by a callback or by a repaint still pending.
        let asked = requests.swap(0, Ordering::SeqCst) > 0;
        if asked || harness.ctx.has_requested_repaint() {
            harness.step();
            frames += 1;
        }
        std::thread::sleep(FRAME);
    }
    frames
}

/// Counts repaint requests of the harness's context.
fn count_repaints(harness: &Harness<'static, ServerWindow>) -> Arc<AtomicUsize> {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    harness.ctx.set_request_repaint_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    requests
}

/// Installs the counter, then lets the window settle (egui asks for a frame or two more after
/// content changes size; at most 20): measuring starts with nothing pending.
fn counting_from_now(harness: &mut Harness<'static, ServerWindow>) -> Arc<AtomicUsize> {
    let requests = count_repaints(harness);
    harness.step();
    for _ in 0..20 {
        if !harness.ctx.has_requested_repaint() {
            break;
        }
        harness.step();
    }
    requests.store(0, Ordering::SeqCst);
    requests
}

fn idle_repaints(span: Duration) -> Measure {
    // Listening, with its whole idle pool (Listening + 2 AddSocket lines), then nothing happens.
    let mut listening = listening_window();
    for _ in 0..100 {
        if listening.state().log().entries().len() >= 3 {
            break;
        }
        listening.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut empty = filled_window(0, 0);
    let ours_requests = counting_from_now(&mut listening);
    let reference_requests = counting_from_now(&mut empty);
    let ours = paced_frames(&mut listening, &ours_requests, span);
    let reference = paced_frames(&mut empty, &reference_requests, span);
    Measure::once("idle_repaints", ours as f64, reference as f64, "frames")
}

fn busy_repaints(span: Duration) -> Measure {
    let mut harness = listening_window();
    let requests = counting_from_now(&mut harness);
    let address = harness.state().local_address().expect("listening");
    let messages = (span.as_millis() as usize).max(1);
    let sender = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream.set_nodelay(true).unwrap();
        let start = Instant::now();
        for index in 0..messages {
            // One message a millisecond: 1,000 events a second.
            let due = start + Duration::from_millis(index as u64);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            stream.write_all(b"x").unwrap();
        }
        stream
    });
    let frames = paced_frames(&mut harness, &requests, span + Duration::from_millis(300));
    let _stream = sender.join().unwrap();
    // Take what is still queued, then check nothing was lost.
    for _ in 0..100 {
        harness.step();
    }
    let received: usize = harness
        .state()
        .log()
        .entries()
        .iter()
        .filter_map(|entry| match &entry.event {
            Event::Data { bytes, .. } => Some(*bytes),
            _ => None,
        })
        .sum();
    assert_eq!(received, messages, "every message reached the window");
    let display_frames = (span + Duration::from_millis(300)).as_secs_f64() / FRAME.as_secs_f64();
    Measure::once(
        "busy_repaints",
        frames as f64,
        display_frames.floor(),
        "frames",
    )
}

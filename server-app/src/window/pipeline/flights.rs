//! What moves through the pipeline: each connection as a dot named by its client's port (and,
//! with Capture packets on, by the segment that moved it: SYN, SYN-ACK and ACK, then its
//! last), stage after stage as its events happen, and each socket AddSocket makes sliding into the
//! pool. Slow animation stretches every move and starts the moves of a burst one after
//! another, so each can be followed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serversocket::Event;
use serversocket_ui::RowState;
use serversocket_ui::packets::{Arrival, Packets};

use super::Stage;

/// How long a connection takes to move from one stage to the next when nothing slows it.
const STEP: Duration = Duration::from_millis(300);
/// Slow animation draws every move this many times slower.
const SLOW_FACTOR: u32 = 4;
/// Moves of one burst start this far apart (seconds), so each can be told apart; further
/// apart with slow animation, so each can be followed.
const STAGGER: f64 = 0.04;
const SLOW_STAGGER: f64 = 0.5;
/// At most this many connections drawn in flight; a burst beyond it shows as counts.
const MOST_FLIGHTS: usize = 24;
/// A move not yet drawn this long after it would have ended is not drawn at all: it happened
/// while the window was minimized or covered, and a dot of a connection long gone sliding in
/// once the window is back would show what is not happening.
const STALE_AFTER: Duration = Duration::from_secs(1);
/// How often the pipeline is drawn while something moves (about 60 frames a second).
pub const FRAME: Duration = Duration::from_millis(16);

/// What moves along the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mover {
    /// A client's connection, from the kernel to a pooled socket.
    Connection,
    /// An idle socket AddSocket made, sliding into the pool from its far edge.
    NewSocket,
}

/// Where a moving thing is on its way: at a stage, or at a stage's far edge (where a new
/// socket comes from: AddSocket makes it, no connection brings it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spot {
    At(Stage),
    Edge(Stage),
}

/// Something moving through the pipeline, stage after stage.
#[derive(Debug, Clone)]
struct Flight {
    /// A connection or a new socket.
    mover: Mover,
    /// The spots it passes, first to last; it is drawn no more once at the last (the
    /// stage's count has it).
    path: Vec<Spot>,
    /// When it starts moving, in the window's clock (egui's input time), set when it is first
    /// drawn: events can be recorded with no window (benchmarks), and the moves of a burst
    /// start one after another.
    started: Option<f64>,
    /// How long the whole way takes at normal speed: the slow-motion delay, or a moment per
    /// stage the eye can follow.
    takes: Duration,
    /// When the event that set it moving was sent (the socket's moment, not the window's).
    sent: Instant,
    /// How long it takes as drawn (slow animation stretches it), set with `started`.
    drawn_for: f64,
    /// The client's port (the connection's name in both windows), or the new socket's id.
    label: String,
    /// A connection's client port, to find its segments.
    client_port: Option<u16>,
}

impl Flight {
    /// What a screen reader (and a test) is told about it.
    fn name(&self) -> String {
        match self.mover {
            Mover::Connection => {
                let to = match self.path.last() {
                    Some(Spot::At(stage) | Spot::Edge(stage)) => stage.name(),
                    None => "",
                };
                format!("Connection {} moving to {to}", self.label)
            }
            Mover::NewSocket => format!(
                "New idle socket {} (AddSocket) sliding into the pool",
                self.label
            ),
        }
    }
}

/// Everything moving now or about to, oldest first.
#[derive(Debug, Default)]
pub struct Flights {
    /// Oldest first; at most [`MOST_FLIGHTS`].
    flights: VecDeque<Flight>,
    /// Slow animation: every move drawn slower, and the moves of a burst one after another.
    pub slow: bool,
    /// When the next move may start (the moves of a burst are staggered).
    next_start: f64,
}

impl Flights {
    /// Follows an event: a connection accepted or handed over starts moving, an idle socket
    /// AddSocket made slides into the pool. `handoff` is the slow-motion delay: an accepted
    /// connection takes that long to reach the listener, where it waits for its handoff.
    /// `sent` is when the socket sent the event.
    pub fn record(&mut self, event: &Event, handoff: Duration, sent: Instant) {
        use Spot::{At, Edge};
        let flight = |mover, path: &[Spot], takes, label: String| Flight {
            mover,
            path: path.to_vec(),
            started: None,
            takes,
            sent,
            drawn_for: 0.0,
            label,
            client_port: None,
        };
        let port = |remote: &std::net::SocketAddr| format!(":{}", remote.port());
        let new = match event {
            Event::AddSocket { socket } => Some(flight(
                Mover::NewSocket,
                &[Edge(Stage::Idle), At(Stage::Idle)],
                STEP * 2,
                socket.to_string(),
            )),
            // Slow motion: the connection arrives, leaves the kernel's queue and waits at the
            // listener for its handoff.
            Event::Accepted { remote, handoff_in } => Some(flight(
                Mover::Connection,
                &[At(Stage::Clients), At(Stage::Kernel), At(Stage::Listener)],
                (*handoff_in).max(STEP * 2),
                port(remote),
            )),
            // In slow motion the connection already waited at the listener (Accepted): now
            // the idle socket takes it. Otherwise it goes all the way: it arrived, waited in
            // the accept queue, the listener accepted it and a pooled socket took it.
            Event::Connected { remote, .. } => {
                let path: &[Spot] = if handoff.is_zero() {
                    &[
                        At(Stage::Clients),
                        At(Stage::Kernel),
                        At(Stage::Listener),
                        At(Stage::Idle),
                        At(Stage::Connected),
                    ]
                } else {
                    &[At(Stage::Listener), At(Stage::Idle), At(Stage::Connected)]
                };
                let steps = u32::try_from(path.len() - 1).unwrap_or(1);
                Some(flight(Mover::Connection, path, STEP * steps, port(remote)))
            }
            _ => None,
        };
        if let Some(mut new) = new {
            new.client_port = match event {
                Event::Accepted { remote, .. } | Event::Connected { remote, .. } => {
                    Some(remote.port())
                }
                _ => None,
            };
            if self.flights.len() >= MOST_FLIGHTS {
                self.flights.pop_front();
            }
            self.flights.push_back(new);
        }
    }

    /// Whether anything moves (or is about to), so the window keeps drawing.
    #[must_use]
    pub fn is_moving(&self) -> bool {
        !self.flights.is_empty()
    }

    /// The names of what moves now, as a screen reader is told them.
    #[cfg(test)]
    pub fn moving(&self) -> Vec<String> {
        self.flights.iter().map(Flight::name).collect()
    }

    /// This frame's time: the moves not yet started start (unless they would have ended long
    /// ago: [`STALE_AFTER`]), the ones at their end are done.
    pub fn advance(&mut self, now: f64) {
        self.flights.retain(|flight| {
            flight.started.is_some() || flight.sent.elapsed() <= flight.takes + STALE_AFTER
        });
        self.start(now);
        self.flights.retain(|flight| {
            flight
                .started
                .is_none_or(|started| now - started < flight.drawn_for)
        });
    }

    /// Gives the moves not yet started their start: now, or after the one before (a burst
    /// moves one after another), at the speed the slow animation toggle says now.
    fn start(&mut self, now: f64) {
        let (stagger, factor) = if self.slow {
            (SLOW_STAGGER, f64::from(SLOW_FACTOR))
        } else {
            (STAGGER, 1.0)
        };
        for flight in self.flights.iter_mut().filter(|f| f.started.is_none()) {
            let start = now.max(self.next_start);
            flight.started = Some(start);
            flight.drawn_for = flight.takes.as_secs_f64() * factor;
            self.next_start = start + stagger;
        }
    }

    /// The moving connections (a dot with the client's port) and new sockets (a tile with
    /// the socket's number), each where it is on its way; each is named for a screen reader.
    /// With `packets` (Capture packets on), a connection's dot also names the segment that
    /// brought it to the stage it is leaving: its SYN, the SYN-ACK and ACK that queued it,
    /// then its last segment.
    pub fn ui(
        &self,
        ui: &mut egui::Ui,
        boxes: &[(Stage, egui::Rect)],
        now: f64,
        packets: Option<&Packets>,
    ) {
        let spot = |spot: Spot, lane: f32| {
            let stage = match spot {
                Spot::At(stage) | Spot::Edge(stage) => stage,
            };
            // Naive mode has no pool: its connections go from the listener to connected.
            let rect = boxes
                .iter()
                .find(|(s, _)| *s == stage)
                .or_else(|| boxes.iter().find(|(s, _)| *s == Stage::Listener))
                .map(|(_, rect)| *rect)?;
            let foot = rect.center_bottom() - egui::vec2(0.0, 14.0 + lane);
            Some(match spot {
                Spot::At(_) => foot,
                // Along the foot, under the stage's words, from its right edge.
                Spot::Edge(_) => egui::pos2(rect.right() - 10.0, foot.y),
            })
        };
        for (index, flight) in self.flights.iter().enumerate() {
            let Some(started) = flight.started else {
                continue;
            };
            if now < started || flight.path.len() < 2 {
                continue;
            }
            let lane = (index % 3) as f32 * 4.0;
            let done = ((now - started) / flight.drawn_for).clamp(0.0, 1.0) as f32;
            let legs = (flight.path.len() - 1) as f32;
            let leg = ((done * legs).floor() as usize).min(flight.path.len() - 2);
            // Eased within each leg: it sets off and arrives gently, so each stage it passes
            // can be seen.
            let t = done * legs - leg as f32;
            let t = t * t * (3.0 - 2.0 * t);
            let (Some(from), Some(to)) = (
                spot(flight.path[leg], lane),
                spot(flight.path[leg + 1], lane),
            ) else {
                continue;
            };
            let at = from + (to - from) * t;
            let (shape, color) = match flight.mover {
                Mover::Connection => (
                    egui::Rect::from_center_size(at, egui::vec2(10.0, 10.0)),
                    RowState::Connected.color(),
                ),
                Mover::NewSocket => (
                    egui::Rect::from_center_size(at, egui::vec2(12.0, 9.0)),
                    RowState::Idle.color(),
                ),
            };
            if flight.mover == Mover::Connection {
                ui.painter().circle_filled(at, 5.0, color);
            } else {
                ui.painter().rect_filled(shape, 2.0, color);
            }
            // A connection's port at its right; a new socket, coming from the right edge,
            // has its number at its left, inside the box.
            let (offset, align) = match flight.mover {
                Mover::Connection => (egui::vec2(7.0, 0.0), egui::Align2::LEFT_CENTER),
                Mover::NewSocket => (egui::vec2(-8.0, 0.0), egui::Align2::RIGHT_CENTER),
            };
            // The stage it is leaving: arriving (its SYN), then queued by the kernel.
            let leaving = match flight.path[leg] {
                Spot::At(stage) | Spot::Edge(stage) => stage,
            };
            let segment = packets.zip(flight.client_port).and_then(|(packets, port)| {
                let arrival = match leaving {
                    Stage::Clients => Arrival::Arriving,
                    Stage::Kernel => Arrival::Queued,
                    _ => Arrival::Beyond,
                };
                packets.moved_by(port, arrival)
            });
            let label = match segment {
                Some(segment) => format!("{} {segment}", flight.label),
                None => flight.label.clone(),
            };
            ui.painter().text(
                at + offset,
                align,
                &label,
                egui::FontId::proportional(10.0),
                ui.visuals().strong_text_color(),
            );
            let name = flight.name();
            let response = ui.interact(
                shape,
                ui.scope_id().with(("moving", index)),
                egui::Sense::hover(),
            );
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serversocket::SocketId;

    #[test]
    fn connections_and_new_sockets_start_moving_as_they_happen_and_a_burst_is_capped() {
        use Spot::{At, Edge};
        let mut pipeline = Flights::default();
        let remote = "127.0.0.1:46116".parse().unwrap();
        let local = "127.0.0.1:2002".parse().unwrap();
        pipeline.record(
            &Event::AddSocket {
                socket: SocketId(0),
            },
            Duration::ZERO,
            Instant::now(),
        );
        assert_eq!(
            pipeline.moving(),
            ["New idle socket 0 (AddSocket) sliding into the pool"]
        );
        assert_eq!(
            pipeline.flights[0].path,
            [Edge(Stage::Idle), At(Stage::Idle)]
        );
        pipeline.record(
            &Event::Accepted {
                remote,
                handoff_in: Duration::from_secs(2),
            },
            Duration::from_secs(2),
            Instant::now(),
        );
        let accepted = &pipeline.flights[1];
        assert_eq!(
            accepted.path,
            [At(Stage::Clients), At(Stage::Kernel), At(Stage::Listener)]
        );
        assert_eq!(
            accepted.takes,
            Duration::from_secs(2),
            "slow motion moves slowly"
        );
        assert_eq!(accepted.label, ":46116", "named by the client's port");
        for _ in 0..100 {
            pipeline.record(
                &Event::Connected {
                    socket: SocketId(0),
                    local,
                    remote,
                },
                Duration::ZERO,
                Instant::now(),
            );
        }
        assert_eq!(pipeline.flights.len(), MOST_FLIGHTS);
        let last = pipeline.flights.back().unwrap();
        assert_eq!(last.path.len(), 5, "from arriving to connected");
        assert_eq!(last.takes, STEP * 4);
        assert_eq!(last.name(), "Connection :46116 moving to Connected");
    }

    /// A window minimized or covered while connections came and went does not play their
    /// moves once it is back: they are over.
    #[test]
    fn a_move_that_would_have_ended_long_before_it_is_drawn_is_not_drawn() {
        let connected = Event::Connected {
            socket: SocketId(0),
            local: "127.0.0.1:2002".parse().unwrap(),
            remote: "127.0.0.1:46116".parse().unwrap(),
        };
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(10))
            .expect("the clock runs for more than 10 s");
        let mut pipeline = Flights::default();
        pipeline.record(&connected, Duration::ZERO, long_ago);
        pipeline.record(&connected, Duration::ZERO, Instant::now());
        pipeline.advance(100.0);
        assert_eq!(pipeline.flights.len(), 1, "only the move happening now");
        assert_eq!(pipeline.flights[0].started, Some(100.0));
    }

    #[test]
    fn slow_animation_stretches_the_moves_and_starts_a_burst_one_after_another() {
        let remote = "127.0.0.1:46116".parse().unwrap();
        let local = "127.0.0.1:2002".parse().unwrap();
        let connected = Event::Connected {
            socket: SocketId(0),
            local,
            remote,
        };
        for slow in [false, true] {
            let mut pipeline = Flights {
                slow,
                ..Flights::default()
            };
            for _ in 0..3 {
                pipeline.record(&connected, Duration::ZERO, Instant::now());
            }
            pipeline.start(10.0);
            let starts: Vec<f64> = pipeline.flights.iter().filter_map(|f| f.started).collect();
            let (stagger, factor) = if slow {
                (SLOW_STAGGER, f64::from(SLOW_FACTOR))
            } else {
                (STAGGER, 1.0)
            };
            assert_eq!(starts.len(), 3);
            for (index, start) in starts.iter().enumerate() {
                assert!(
                    (start - (10.0 + index as f64 * stagger)).abs() < 1e-9,
                    "{starts:?}"
                );
            }
            for flight in &pipeline.flights {
                assert!((flight.drawn_for - (STEP * 4).as_secs_f64() * factor).abs() < 1e-9);
            }
        }
    }
}

//! One socket's life at a glance: its events in order (AddSocket → Connected → DataAvailable →
//! SendComplete → Closed), each with the time since the one before, shown when a socket is
//! selected. Repeats in a row fold into one step ("DataAvailable ×12").

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use serversocket::{Event, SocketId};

use crate::log_entry::LogEntry;

/// The most steps drawn; earlier ones are counted, not shown.
const SHOWN_STEPS: usize = 40;

/// The most events kept one by one (for the Packets view, which draws each beside the
/// segments): the newest, as many as the view draws rows.
const KEPT_EVENTS: usize = 300;

/// About how wide one step is drawn ("DataAvailable +12 µs »"), in points: the steps shown are
/// as many as fit two lines, so a long life (an echo's thousand replies) never takes the
/// log's room (it took twelve lines at half a 1366 screen).
const STEP_WIDTH: f32 = 190.0;

/// One step of a socket's sequence: an event by its Xojo name, possibly repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The event's name as Xojo calls it (`Connected`, `DataAvailable`, `Error 102` …).
    pub name: String,
    /// When the first of the run happened.
    pub at: SystemTime,
    /// How many happened in a row.
    pub repeats: usize,
    /// The seed's line of the last of the run, for the tooltip.
    pub line: String,
    /// A failure (a reset, a refusal, a time-out), drawn in red as the log draws its line; a
    /// peer's orderly close (Xojo's Error 102 all the same) is not one.
    pub failure: bool,
}

/// The steps of one socket, built as the log grows.
#[derive(Debug, Clone, Default)]
pub struct Sequence {
    /// The socket followed, if any.
    socket: Option<SocketId>,
    /// Its steps so far.
    steps: Vec<Step>,
    /// Its newest events, one step each, unfolded: each at its own moment with its own line
    /// (a fold's one dot sat at the first DataAvailable's time with the last one's text).
    events: std::collections::VecDeque<Step>,
}

impl Sequence {
    /// Starts over, following `socket` (or nobody).
    pub fn follow(&mut self, socket: Option<SocketId>) {
        self.socket = socket;
        self.steps.clear();
        self.events.clear();
    }

    /// Adds `entry` if it is the followed socket's.
    pub fn push(&mut self, entry: &LogEntry) {
        if self.socket.is_none() || entry.socket() != self.socket {
            return;
        }
        let name = step_name(&entry.event);
        if self.events.len() == KEPT_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(Step {
            name: name.clone(),
            at: entry.at,
            repeats: 1,
            line: entry.line.clone(),
            failure: entry.is_error(),
        });
        match self.steps.last_mut() {
            Some(last) if last.name == name => {
                last.repeats += 1;
                last.line.clone_from(&entry.line);
                last.failure |= entry.is_error();
            }
            _ => self.steps.push(Step {
                name,
                at: entry.at,
                repeats: 1,
                line: entry.line.clone(),
                failure: entry.is_error(),
            }),
        }
    }

    /// The steps so far.
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The newest events one by one (at most 300, as many as the Packets view draws rows),
    /// oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Step> {
        self.events.iter()
    }

    /// Draws the steps as a wrapped chain of labels, each with the time since the previous.
    pub fn ui(&self, ui: &mut egui::Ui) {
        let Some(socket) = self.socket else {
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("Socket {socket}:"))
                .on_hover_text("This socket's events in order, with the time since the one before");
            if self.steps.is_empty() {
                ui.weak("no events yet");
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let fit = ((ui.available_width() * 2.0 / STEP_WIDTH).floor() as usize).max(3);
            let hidden = self.steps.len().saturating_sub(fit.min(SHOWN_STEPS));
            if hidden > 0 {
                ui.weak(format!("… {hidden} earlier steps »"));
            }
            let mut previous = hidden
                .checked_sub(1)
                .and_then(|last_hidden| self.steps.get(last_hidden))
                .map(|step| step.at);
            for (index, step) in self.steps.iter().enumerate().skip(hidden) {
                if index > hidden {
                    ui.weak("»");
                }
                let mut text = step.name.clone();
                if step.repeats > 1 {
                    let _ = write!(text, " ×{}", step.repeats);
                }
                // One phrase: "+0 µs" never splits across two lines.
                let when = if let Some(before) = previous {
                    format!(
                        "+{}",
                        short(step.at.duration_since(before).unwrap_or_default())
                    )
                    .replace(' ', "\u{a0}")
                } else {
                    let stamp = humantime::format_rfc3339_millis(step.at).to_string();
                    stamp.get(11..23).unwrap_or(&stamp).to_owned()
                };
                let color = if step.failure {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().strong_text_color()
                };
                ui.label(egui::RichText::new(text).color(color))
                    .on_hover_text(&step.line);
                ui.weak(when);
                previous = Some(step.at);
            }
        });
    }
}

/// The Xojo name of what an event reports.
fn step_name(event: &Event) -> String {
    match event {
        Event::AddSocket { .. } => "AddSocket".to_owned(),
        Event::Connecting { .. } => "Connect".to_owned(),
        Event::Connected { .. } => "Connected".to_owned(),
        Event::Handshaking { .. } => "Connected(TCP)".to_owned(),
        Event::Secured { tls, .. } => format!(
            "TLS handshake {:.1} ms ({}, {})",
            tls.handshake.as_secs_f64() * 1000.0,
            tls.protocol,
            tls.cipher
        ),
        Event::Data { .. } => "DataAvailable".to_owned(),
        Event::SendProgress { .. } => "SendProgress".to_owned(),
        Event::SendComplete { .. } => "SendComplete".to_owned(),
        Event::Error { error, .. } => format!("Error {}", error.code()),
        Event::Closed { .. } => "Closed".to_owned(),
        Event::Released { .. } => "Released".to_owned(),
        Event::Listening { .. } => "Listen".to_owned(),
        Event::Accepted { .. } => "Accepted".to_owned(),
        Event::LimitsChanged { .. } => "Limits".to_owned(),
        Event::AcceptQueue { .. } => "AcceptQueue".to_owned(),
        Event::KernelState {
            view: Some(view), ..
        } => format!("TCP {}", view.state),
        Event::KernelState { view: None, .. } => "TCP gone".to_owned(),
        Event::Stopped => "StopListening".to_owned(),
        Event::ListenerClosed => "Listener closed (gap)".to_owned(),
        Event::ListenerReopened { .. } => "Listener reopened".to_owned(),
        Event::Note { .. } => "Note".to_owned(),
        // An event this window does not know yet still shows, by its debug name.
        other => format!("{other:?}")
            .split([' ', '{', '('])
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// A duration as a person reads it: `350 µs`, `12 ms`, `1.5 s`.
fn short(duration: Duration) -> String {
    if duration < Duration::from_millis(1) {
        format!("{} µs", duration.as_micros())
    } else if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventLog;
    use serversocket::SocketError;
    use serversocket_report::Role;

    #[test]
    fn follows_one_socket_and_folds_repeats() {
        let mut log = EventLog::new(Role::Server);
        let (one, two) = (SocketId(1), SocketId(2));
        log.push(Event::AddSocket { socket: one }, SystemTime::now());
        log.push(Event::AddSocket { socket: two }, SystemTime::now());
        for _ in 0..3 {
            log.push(
                Event::data(one, &bytes::Bytes::from_static(b"x")),
                SystemTime::now(),
            );
        }
        log.push(Event::Closed { socket: one }, SystemTime::now());
        let mut sequence = Sequence::default();
        sequence.follow(Some(one));
        for entry in log.entries() {
            sequence.push(entry);
        }
        let names: Vec<(&str, usize)> = sequence
            .steps()
            .iter()
            .map(|step| (step.name.as_str(), step.repeats))
            .collect();
        assert_eq!(
            names,
            vec![("AddSocket", 1), ("DataAvailable", 3), ("Closed", 1)]
        );
        sequence.follow(None);
        sequence.push(&log.entries()[0]);
        assert!(sequence.steps().is_empty());
    }

    /// The Packets view draws each event at its own moment, and red is for failures: a
    /// peer's orderly close (Error 102 all the same) is not one, an idle time-out is.
    #[test]
    fn each_event_is_kept_and_only_failures_are_failures() {
        let mut log = EventLog::new(Role::Server);
        let socket = SocketId(0);
        let peer: std::net::SocketAddr = "127.0.0.1:46116".parse().expect("address");
        let start = SystemTime::now();
        for (second, text) in [(0, &b"one"[..]), (1, b"two")] {
            log.push(
                Event::data(socket, &bytes::Bytes::from_static(text)),
                start + Duration::from_secs(second),
            );
        }
        let closed = SocketError::LostConnection {
            peer,
            reason: "the peer closed the connection".into(),
            cause: None,
        };
        let timed_out = SocketError::IdleTimedOut {
            peer,
            timeout: std::time::Duration::from_secs(5),
        };
        for error in [closed, timed_out] {
            log.push(
                Event::Error {
                    socket: Some(socket),
                    error,
                },
                start,
            );
        }
        let mut sequence = Sequence::default();
        sequence.follow(Some(socket));
        for entry in log.entries() {
            sequence.push(entry);
        }
        let events: Vec<(&str, Duration, bool)> = sequence
            .events()
            .map(|step| {
                let since = step.at.duration_since(start).unwrap_or_default();
                (step.name.as_str(), since, step.failure)
            })
            .collect();
        assert_eq!(
            events,
            [
                ("DataAvailable", Duration::ZERO, false),
                ("DataAvailable", Duration::from_secs(1), false),
                ("Error 102", Duration::ZERO, false),
                ("Error 102", Duration::ZERO, true),
            ]
        );
        assert!(sequence.events().all(|step| step.repeats == 1));
    }

    /// An echo's thousand replies in a row, alternating DataAvailable and SendComplete, are
    /// drawn in two lines or three at most at half a 1366 screen (they took twelve, the log
    /// and the details pane losing their room).
    #[test]
    fn a_long_life_takes_at_most_a_few_lines() {
        let mut log = EventLog::new(Role::Server);
        let socket = SocketId(0);
        let at = SystemTime::now();
        log.push(Event::AddSocket { socket }, at);
        for _ in 0..1000 {
            log.push(Event::data(socket, &bytes::Bytes::from_static(b"x")), at);
            log.push(
                Event::SendComplete {
                    socket,
                    user_aborted: false,
                },
                at,
            );
        }
        let mut sequence = Sequence::default();
        sequence.follow(Some(socket));
        for entry in log.entries() {
            sequence.push(entry);
        }
        let ctx = egui::Context::default();
        let (mut height, mut line) = (0.0, 0.0);
        let mut output = ctx.run_ui(
            egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(
                    egui::Pos2::ZERO,
                    egui::vec2(683.0, 768.0),
                )),
                ..egui::RawInput::default()
            },
            |ui| {
                let drawn = ui.scope(|ui| sequence.ui(ui));
                height = drawn.response.rect.height();
                line = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
            },
        );
        // Nothing is painted here.
        output.textures_delta.clear();
        assert!(
            height <= 3.0 * line,
            "{height} points high, a line is about {line}"
        );
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(short(Duration::from_micros(350)), "350 µs");
        assert_eq!(short(Duration::from_millis(12)), "12 ms");
        assert_eq!(short(Duration::from_millis(1500)), "1.5 s");
    }
}

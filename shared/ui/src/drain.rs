//! Takes events from the channel at the start of a frame, within a time budget, so a flood of
//! events can never freeze the window: what is left is taken next frame. Each event comes with
//! the moment it happened ([`Happened`]), not the moment the frame took it: a frame takes
//! what came in the last 16 ms at once, and the log, a socket's sequence beside its packets,
//! and the timeline's gaps must keep the times the sockets saw.

use std::time::{Duration, Instant, SystemTime};

use serversocket::{Event, EventReceiver};

/// How long one frame may spend taking events.
pub const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// How long one pass may spend taking events while the window draws nothing (minimized or
/// covered): there is no frame to leave time for, and eframe sleeps 10 ms after each such
/// pass, so a frame's budget would leave the sockets waiting for the window most of the time
/// (a minimized server's "fell behind" chip counted five times the waits of a shown one).
pub const HIDDEN_BUDGET: Duration = Duration::from_millis(16);

/// When an event happened, on both of the window's clocks: the wall clock of the log, the
/// packets and the lessons' records, and the monotonic one of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Happened {
    /// On the wall clock: when the socket's task sent the event.
    pub at: SystemTime,
    /// The same moment on the monotonic clock.
    pub instant: Instant,
}

impl Happened {
    /// Now: for what the window itself reports (a failed Listen, a write refused), which
    /// happens as it is shown.
    #[must_use]
    pub fn now() -> Self {
        Self {
            at: SystemTime::now(),
            instant: Instant::now(),
        }
    }

    /// `sent`, on both clocks, placed from `now` (the two clocks read once, for a whole
    /// frame's events) by how long before or after it `sent` is.
    #[must_use]
    pub fn from_wall(sent: SystemTime, now: Self) -> Self {
        let instant = match sent.duration_since(now.at) {
            Ok(after) => now.instant.checked_add(after),
            Err(before) => now.instant.checked_sub(before.duration()),
        };
        Self {
            at: sent,
            instant: instant.unwrap_or(now.instant),
        }
    }
}

/// Hands every waiting event to `on_event`, with when it happened, until the channel is empty
/// or the budget is spent; in the latter case asks for another frame. Never blocks.
pub fn drain_events(
    receiver: &mut EventReceiver,
    ctx: &egui::Context,
    mut on_event: impl FnMut(Event, Happened),
) -> usize {
    let now = Happened::now();
    let start = now.instant;
    let hidden = ctx.input(|input| {
        let viewport = input.viewport();
        viewport.minimized == Some(true) || viewport.occluded == Some(true)
    });
    let budget = if hidden { HIDDEN_BUDGET } else { FRAME_BUDGET };
    let mut taken = 0;
    while let Some(event) = receiver.try_recv() {
        let happened = receiver
            .sent_at()
            .map_or(now, |sent| Happened::from_wall(sent, now));
        on_event(event, happened);
        taken += 1;
        if start.elapsed() > budget {
            ctx.request_repaint();
            break;
        }
    }
    taken
}

/// A chip that says the window made its sockets wait, shown once it did: the sockets found
/// the event channel full `waits` times (see [`EventReceiver::waits`]). A window is meant
/// never to slow what it watches; when it does, the learner must not take the slowness for
/// the server's.
pub fn fell_behind_ui(ui: &mut egui::Ui, receiver: &EventReceiver) {
    let waits = receiver.waits();
    if waits > 0 {
        crate::theme::chip(
            ui,
            format!("window fell behind: sockets waited {waits}×"),
            crate::theme::VERMILLION,
            "The sockets found this window's event queue full and waited for it to take their \
             events: for that time the window, not the network, slowed them down",
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    #[test]
    fn a_moment_on_the_wall_clock_keeps_its_distance_from_now_on_the_monotonic_one() {
        let now = Happened::now();
        let gap = Duration::from_millis(20);
        let sent = now.at.checked_sub(gap).expect("a moment after 1970");
        let earlier = Happened::from_wall(sent, now);
        assert_eq!(earlier.at, sent);
        assert_eq!(
            Some(earlier.instant),
            now.instant.checked_sub(gap),
            "as far before"
        );
        let later = Happened::from_wall(now.at + gap, now);
        assert_eq!(later.instant, now.instant + gap);
    }
}

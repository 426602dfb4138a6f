//! Takes events from the channel at the start of a frame, within a time budget, so a flood of
//! events can never freeze the window: what is left is taken next frame.

use std::time::{Duration, Instant};

use serversocket::{Event, EventReceiver};

/// How long one frame may spend taking events.
pub const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// How long one pass may spend taking events while the window draws nothing (minimized or
/// covered): there is no frame to leave time for, and eframe sleeps 10 ms after each such
/// pass, so a frame's budget would leave the sockets waiting for the window most of the time
/// (a minimized server's "fell behind" chip counted five times the waits of a shown one).
pub const HIDDEN_BUDGET: Duration = Duration::from_millis(16);

/// Hands every waiting event to `on_event` until the channel is empty or the budget is spent;
/// in the latter case asks for another frame. Never blocks.
pub fn drain_events(
    receiver: &mut EventReceiver,
    ctx: &egui::Context,
    mut on_event: impl FnMut(Event),
) -> usize {
    let start = Instant::now();
    let hidden = ctx.input(|input| {
        let viewport = input.viewport();
        viewport.minimized == Some(true) || viewport.occluded == Some(true)
    });
    let budget = if hidden { HIDDEN_BUDGET } else { FRAME_BUDGET };
    let mut taken = 0;
    while let Some(event) = receiver.try_recv() {
        on_event(event);
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

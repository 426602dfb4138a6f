//! Takes events from the channel at the start of a frame, within a time budget, so a flood of
//! events can never freeze the window: what is left is taken next frame.

use std::time::{Duration, Instant};

use serversocket::{Event, EventReceiver};

/// How long one frame may spend taking events.
pub const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// Hands every waiting event to `on_event` until the channel is empty or the budget is spent;
/// in the latter case asks for another frame. Never blocks.
pub fn drain_events(
    receiver: &mut EventReceiver,
    ctx: &egui::Context,
    mut on_event: impl FnMut(Event),
) -> usize {
    let start = Instant::now();
    let mut taken = 0;
    while let Some(event) = receiver.try_recv() {
        on_event(event);
        taken += 1;
        if start.elapsed() > FRAME_BUDGET {
            ctx.request_repaint();
            break;
        }
    }
    taken
}

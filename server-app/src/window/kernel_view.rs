//! The kernel's side of the listener as the window draws it, in front of the pool: connections
//! the kernel completed and holds in the accept queue (one small tile each), its capacity (the
//! backlog), half-open connections, overflows, and the Pause accepting toggle that lets a
//! learner fill the queue. What the window heard of the queue is the state's
//! ([`KernelQueue`]).

use serversocket::ServerSocket;

use super::state::KernelQueue;

/// Waiting connections drawn as tiles; beyond this a count says how many more.
const MOST_TILES: u32 = 48;
/// A waiting connection's tile, in points: smaller than a socket's, it has no socket yet.
const TILE: egui::Vec2 = egui::vec2(14.0, 22.0);
/// The colour of a connection waiting in the kernel: neither idle nor served.
pub const WAITING_COLOR: egui::Color32 = serversocket_ui::theme::IN_KERNEL;

/// The accept queue's row: Pause accepting, one tile per waiting connection, the numbers,
/// all on one line (wrapping only when the window is narrow), so the log keeps its room.
pub fn ui(ui: &mut egui::Ui, kernel: &KernelQueue, server: &ServerSocket) {
    ui.horizontal_wrapped(|ui| {
        ui.heading("In the kernel's accept queue");
        let mut paused = server.is_accepting_paused();
        if ui
            .toggle_value(&mut paused, "Pause accepting")
            .on_hover_text("The listener stays open but the pool accepts nothing: new clients wait in the kernel's accept queue, and once it is full the kernel drops them (overflow)")
            .changed()
        {
            server.set_accepting_paused(paused);
        }
        if let Some(error) = kernel.unavailable() {
            ui.weak(format!(
                "{error}: the pool works the same, only this view is missing."
            ));
            return;
        }
        let Some(queue) = kernel.queue() else {
            ui.weak("Not listening: no accept queue.");
            return;
        };
        let tip = "A connection the kernel completed (the handshake is done, the client thinks it is connected) that no socket of the pool has accepted yet";
        for _ in 0..queue.waiting.min(MOST_TILES) {
            let (rect, response) = ui.allocate_exact_size(TILE, egui::Sense::hover());
            ui.painter().rect_filled(rect, 3.0, WAITING_COLOR);
            response.on_hover_text(tip);
        }
        if queue.waiting > MOST_TILES {
            ui.label(format!("+{} more", queue.waiting - MOST_TILES));
        }
        // One phrase, never broken inside ("(capacity" | "1024)").
        serversocket_ui::theme::phrase(
            ui,
            format!(
                "{}\u{a0}waiting (capacity\u{a0}{})",
                queue.waiting, queue.capacity
            ),
        )
        .on_hover_text("Accept queue: connections the kernel holds for the listener. Capacity is the backlog, as the system allows it");
        ui.weak(format!("·\u{a0}{}\u{a0}half-open", queue.syn_recv))
            .on_hover_text("SYN queue: connections whose handshake has begun (SYN received) but not finished, on this port");
        // One phrase, moved whole to the next line when it does not fit: broken after
        // "dropped", its "system-wide" read as the queue's.
        let dropped = egui::RichText::new(format!(
            "·\u{a0}{}\u{a0}dropped system-wide since\u{a0}Listen",
            queue.overflows
        ));
        let dropped = if queue.overflows > 0 {
            dropped.color(ui.visuals().warn_fg_color)
        } else {
            dropped.weak()
        };
        serversocket_ui::theme::phrase(ui, dropped)
        .on_hover_text("Overflow: connection attempts the kernel dropped because a listen queue was full (ListenOverflows). The counter is the whole system's (network namespace), so other servers' overflows count too");
    });
}

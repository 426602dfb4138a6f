//! The views under the pipeline that share one place, one at a time, so the table and the log
//! below keep their room on a small screen: the pool's tiles, the timeline, the kernel's
//! accept queue, the selected connection's packets.

/// Which view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// One tile per socket.
    #[default]
    Tiles,
    /// The sockets over time.
    Timeline,
    /// The connections waiting in the kernel, and Pause accepting.
    Kernel,
    /// The selected connection's TCP segments.
    Packets,
}

/// The tab strip, and at its right the pipeline's slow animation toggle; `naive` leaves out
/// the kernel's queue, which naive mode does not sample.
pub fn tabs_ui(
    ui: &mut egui::Ui,
    view: &mut View,
    naive: bool,
    slow_animation: &mut bool,
    summary: impl FnOnce(&mut egui::Ui),
) {
    ui.horizontal(|ui| {
        ui.selectable_value(
            view,
            View::Tiles,
            if naive { "Sockets" } else { "Pool tiles" },
        )
        .on_hover_text("One tile per socket, coloured by state; click one to select it");
        ui.selectable_value(view, View::Timeline, "Timeline")
            .on_hover_text("The sockets over time: levels as steps, accepts per second as bars");
        if !naive {
            ui.selectable_value(view, View::Kernel, "Kernel queue")
                .on_hover_text(
                    "The connections the kernel holds for the pool, and Pause accepting",
                );
        }
        ui.selectable_value(view, View::Packets, "Packets").on_hover_text(
            "The selected connection's TCP segments (SYN, SYN-ACK, data, FIN, RST) beside its socket's events",
        );
        ui.separator();
        ui.toggle_value(slow_animation, "Slow animation").on_hover_text(
            "Draw each connection's way through the pipeline slower, and the connections of a burst one after another, so each can be followed (the sockets themselves are not slowed: that is the Slow motion setting)",
        );
        ui.separator();
        // Last, in the room left: cut short on a narrow window, never drawn under a control
        // (it was under Slow animation when that was pinned to the right).
        summary(ui);
    });
    if naive && *view == View::Kernel {
        *view = View::Tiles;
    }
}

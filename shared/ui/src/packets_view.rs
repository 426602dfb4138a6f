//! The Packets view: the selected connection's TCP segments as a sequence diagram, the client
//! on the left and the server on the right, one arrow a segment, slanted down the way time
//! runs (the handshake, data and its ACKs, each side's FIN, a RST), with the socket's own
//! events (Connected, DataAvailable, SendComplete, Closed) on the same time axis, on this
//! window's side, so a learner sees which segment made which event. Hover an arrow for every
//! field of its segment.
//!
//! The rows go in time order, one a segment or event, each with the time since the
//! connection's first segment (its SYN), in both windows alike: the handshake takes
//! microseconds and a goodbye may come minutes later, so the axis is the order of things, and
//! the times are written beside it. A pooled socket's AddSocket comes before its connection,
//! at a time before the SYN ("−4.251 s": it waited idle that long).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use egui::{Align2, Color32, FontId, Pos2, Sense, Stroke, vec2};
use serversocket::SocketId;
use serversocket_capture::{End, Seen};

use crate::packets::Packets;
use crate::sequence::Step;
use crate::theme;

/// One row's height.
const ROW: f32 = 26.0;

/// How many rows are drawn at most: the newest.
const SHOWN_ROWS: usize = 300;

/// A row: a segment, or one of the socket's events.
enum Row<'a> {
    /// A segment between the two ends.
    Segment(&'a Seen),
    /// An event of this window's socket.
    Event(&'a Step),
}

impl Row<'_> {
    fn at(&self) -> SystemTime {
        match self {
            Row::Segment(seen) => seen.segment.at,
            Row::Event(step) => step.at,
        }
    }
}

/// What the Packets view draws: a window's capture, and the connection selected in it.
#[derive(Clone, Copy)]
pub struct Selected<'a> {
    /// The window's capture.
    pub packets: &'a Packets,
    /// Which end the window is.
    pub end: End,
    /// The selected socket, if any.
    pub socket: Option<SocketId>,
    /// The selected socket's events one by one, oldest first (the window's sequence of that
    /// socket, unfolded: each DataAvailable its own dot at its own moment).
    pub events: &'a [&'a Step],
}

/// Draws the Packets view of the selected connection.
fn packets_ui(ui: &mut egui::Ui, selected: Selected<'_>) {
    let Selected {
        packets,
        end,
        socket,
        events,
    } = selected;
    header_ui(ui, packets);
    let Some(socket) = socket else {
        ui.weak(match end {
            End::Server => {
                "Select a socket (click its row or tile) to see the packets of its connection."
            }
            End::Client => "Select a socket (click its row) to see the packets of its connection.",
        });
        return;
    };
    let segments = packets.of_socket(socket);
    if segments.is_empty() {
        ui.weak(if packets.is_capturing() {
            format!("No packets of socket {socket} captured yet.")
        } else {
            format!(
                "No packets of socket {socket} yet: they are captured while Capture packets is on."
            )
        });
        return;
    }
    let mut rows: Vec<Row<'_>> = segments.iter().map(|seen| Row::Segment(seen)).collect();
    rows.extend(events.iter().map(|step| Row::Event(step)));
    rows.sort_by_key(Row::at);
    // Timed from the connection's first segment, not the first row: a pooled socket's
    // AddSocket, seconds earlier, made every time of the server's diagram "+4.251 s" while the
    // client's read "+0.930 ms" for the same connection.
    let first = segments
        .iter()
        .map(|seen| seen.segment.at)
        .min()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let skipped = rows.len().saturating_sub(SHOWN_ROWS);
    if skipped > 0 {
        ui.weak(format!("{skipped} earlier rows not shown"));
    }
    let client = segments.first().map_or(0, |seen| seen.client.port());
    // Both ways: at its narrowest the diagram is wider than a half-screen window's view.
    egui::ScrollArea::both()
        .id_salt("packets")
        .auto_shrink([false, true])
        .stick_to_bottom(true)
        .show(ui, |ui| {
            diagram_ui(ui, &rows[skipped..], first, end, client);
        });
}

/// The capture's state in one line: capturing or why not, and what was counted.
fn header_ui(ui: &mut egui::Ui, packets: &Packets) {
    ui.horizontal_wrapped(|ui| {
        if let Some(problem) = packets.problem() {
            ui.colored_label(theme::VERMILLION, problem);
            return;
        }
        let tally = packets.tally();
        ui.label(if packets.is_capturing() {
            "Capturing"
        } else {
            "Not capturing"
        });
        ui.weak(format!(
            "{} segments kept · {} RST · {} SYN sent again · {} dropped by the window (no room)",
            packets.kept(),
            tally.resets,
            tally.syn_retransmits,
            packets.dropped()
        ))
        .on_hover_text(
            "RST: a connection refused or torn down. A SYN sent again: the first got no answer (a full accept queue drops it), so the client's kernel sends it again after 1 s, then again ever more slowly (how often depends on the kernel). Segments the window had no room for were captured and then dropped here; what the kernel drops before the capture is counted by its gaps",
        );
        if tally.gaps > 0 {
            theme::chip(
                ui,
                format!(
                    "capture missed segments: {} {}",
                    tally.gaps,
                    if tally.gaps == 1 { "gap" } else { "gaps" }
                ),
                theme::VERMILLION,
                "Some segments are missing from the capture: a connection's sequence numbers jump ahead. Under heavy traffic (a large upload) the kernel's buffer for the capture overflows and it drops what does not fit; the diagram and an exported file lack them",
            );
        }
    });
}

/// The narrowest the diagram is drawn (the time, two lifelines and a label between them);
/// narrower, it scrolls sideways.
const MIN_DIAGRAM_WIDTH: f32 = 360.0;

/// The two lifelines and a row each for `rows`.
fn diagram_ui(ui: &mut egui::Ui, rows: &[Row<'_>], first: SystemTime, end: End, client: u16) {
    // The width one sees, not more: the view can be laid out wider than the window shows
    // (a wide row above it), and the server's lifeline was drawn under the Lessons panel.
    let visible = ui.clip_rect().right() - ui.cursor().left();
    let width = ui.available_width().min(visible).max(MIN_DIAGRAM_WIDTH);
    let height = ROW * (rows.len() as f32 + 1.0);
    let (rect, _) = ui.allocate_exact_size(vec2(width, height), Sense::hover());
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    let time_width = 90.0;
    let client_x = rect.left() + time_width + 40.0;
    let server_x = rect.right() - 60.0;
    let font = FontId::proportional(12.0);
    painter.text(
        Pos2::new(client_x, rect.top() + ROW / 2.0),
        Align2::CENTER_CENTER,
        format!("client :{client}"),
        font.clone(),
        text,
    );
    painter.text(
        Pos2::new(server_x, rect.top() + ROW / 2.0),
        Align2::CENTER_CENTER,
        "server",
        font.clone(),
        text,
    );
    for x in [client_x, server_x] {
        painter.line_segment(
            [Pos2::new(x, rect.top() + ROW), Pos2::new(x, rect.bottom())],
            Stroke::new(1.0, weak),
        );
    }
    let ours_x = match end {
        End::Server => server_x,
        End::Client => client_x,
    };
    for (index, row) in rows.iter().enumerate() {
        let top = rect.top() + ROW * (index as f32 + 1.0);
        painter.text(
            Pos2::new(rect.left() + 4.0, top + ROW / 2.0),
            Align2::LEFT_CENTER,
            time_from(first, row.at()),
            FontId::monospace(11.0),
            weak,
        );
        let row_rect = egui::Rect::from_min_max(
            Pos2::new(rect.left(), top),
            Pos2::new(rect.right(), top + ROW),
        );
        match row {
            Row::Segment(seen) => {
                let (from, to) = if seen.from_client {
                    (client_x, server_x)
                } else {
                    (server_x, client_x)
                };
                let colour = colour(seen);
                // Below the label, which sits at the row's top.
                let start = Pos2::new(from, top + 13.0);
                let tip = Pos2::new(to, top + ROW - 2.0);
                arrow(&painter, start, tip, Stroke::new(2.0, colour));
                let label = label(seen);
                painter.text(
                    Pos2::new(f32::midpoint(client_x, server_x), top),
                    Align2::CENTER_TOP,
                    &label,
                    font.clone(),
                    colour,
                );
                // Named for a screen reader (and a test's `get_by_label`) as it is drawn.
                let response = ui.interact(
                    row_rect,
                    ui.scope_id().with(("segment", index)),
                    Sense::hover(),
                );
                response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &label));
                response.on_hover_text(details(seen));
            }
            Row::Event(step) => {
                let centre = Pos2::new(ours_x, top + ROW / 2.0);
                painter.circle_filled(centre, 4.0, theme::BLUE);
                let (x, align) = match end {
                    End::Server => (ours_x - 8.0, Align2::RIGHT_CENTER),
                    End::Client => (ours_x + 8.0, Align2::LEFT_CENTER),
                };
                painter.text(
                    Pos2::new(x, centre.y),
                    align,
                    &step.name,
                    font.clone(),
                    theme::BLUE,
                );
                let response = ui.interact(
                    row_rect,
                    ui.scope_id().with(("event", index)),
                    Sense::hover(),
                );
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(
                        egui::Role::Label,
                        true,
                        format!("{}, an event of this socket", step.name),
                    )
                });
                response.on_hover_text(&step.line);
            }
        }
    }
}

/// An arrow from `start` to `tip` with a small head (egui's own scales its head with its
/// length, which across a wide diagram hides the rows around it).
fn arrow(painter: &egui::Painter, start: Pos2, tip: Pos2, stroke: Stroke) {
    painter.line_segment([start, tip], stroke);
    let direction = (tip - start).normalized();
    let back = -direction * 10.0;
    let side = direction.rot90() * 4.0;
    painter.line_segment([tip, tip + back + side], stroke);
    painter.line_segment([tip, tip + back - side], stroke);
}

/// What an arrow says: its flags, numbers and length.
fn label(seen: &Seen) -> String {
    let flags = seen.segment.flags;
    let mut label = format!("{flags} seq {}", seen.seq);
    if flags.ack {
        let _ = write!(label, " ack {}", seen.ack);
    }
    if seen.segment.len > 0 {
        let _ = write!(label, " len {}", seen.segment.len);
    }
    if seen.retransmitted_syn {
        label.push_str(" (sent again)");
    }
    label
}

/// Every field of a segment, for its tooltip.
fn details(seen: &Seen) -> String {
    let segment = &seen.segment;
    // "to", not an arrow: the window's font has no arrow glyph and drew a box.
    let mut details = format!(
        "{} to {}\n{} ({})\nflags {}\nseq {} (relative; {} on the wire)\nack {} (relative; {} on the wire)\nlength {} bytes\nwindow {} (the header's value; after the handshake Wireshark shows it multiplied by the window scale the SYNs agreed)\nat {}",
        segment.source,
        segment.destination,
        if seen.from_client {
            "from the client"
        } else {
            "from the server"
        },
        seen.direction.name(),
        segment.flags,
        seen.seq,
        segment.seq,
        seen.ack,
        segment.ack,
        segment.len,
        segment.window,
        serversocket_report::stamp(segment.at),
    );
    if segment.flags.syn {
        let _ = write!(details, "\nSYN options: {}", segment.options);
    }
    match seen.socket {
        Some(socket) => {
            let _ = write!(details, "\nsocket {socket}");
        }
        // Drawn in a socket's diagram: the connection became this socket's later, after it
        // waited in the kernel's accept queue longer than the capture waits for a socket.
        None => details.push_str(
            "\nno socket held this connection yet when it was captured (it waited in the accept queue)",
        ),
    }
    details
}

/// A segment's colour: RST stands out, then SYN, FIN, data, and plain ACKs quietest.
fn colour(seen: &Seen) -> Color32 {
    let flags = seen.segment.flags;
    if flags.rst {
        theme::VERMILLION
    } else if flags.syn {
        theme::BLUE
    } else if flags.fin {
        theme::ORANGE
    } else if seen.segment.len > 0 {
        theme::BLUISH_GREEN
    } else {
        theme::GREY
    }
}

/// A row's time beside the diagram: `+0.021 ms` after the connection's first segment,
/// `−4.251 s` before it.
fn time_from(first: SystemTime, at: SystemTime) -> String {
    match at.duration_since(first) {
        Ok(since) => format!("+{}", short_duration(since)),
        Err(before) => format!("−{}", short_duration(before.duration())),
    }
}

/// `0.021 ms`, `1.250 s`: a time from the connection's first segment, short.
fn short_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
    } else {
        format!("{:.3} s", duration.as_secs_f64())
    }
}

/// The Packets view's controls, kept by each window: whether to capture, and where Export
/// writes.
#[derive(Debug, Clone)]
pub struct PacketsView {
    /// Capture packets (Listen or Connect starts the capture when on).
    pub capture: bool,
    /// Where Export .pcapng writes.
    pub export_path: String,
    /// Asks before Export replaces a file this window did not write.
    replace: crate::replace_guard::ReplaceGuard,
    /// Why the last click did not export (the file exists), until the next click.
    refused: Option<String>,
}

impl PacketsView {
    /// The controls of `end`'s window: Capture off, and Export writing a file of its own in
    /// the user's folder (not the folder the program was started from, and not the other
    /// window's file).
    #[must_use]
    pub fn new(end: End) -> Self {
        let name = match end {
            End::Server => "serversocket-server-capture.pcapng",
            End::Client => "serversocket-client-capture.pcapng",
        };
        Self {
            capture: false,
            export_path: serversocket_files::private_files::user_folder()
                .join(name)
                .display()
                .to_string(),
            replace: crate::replace_guard::ReplaceGuard::default(),
            refused: None,
        }
    }

    /// The controls (Capture packets, the export's file and Export .pcapng) and the diagram of
    /// `socket`. Returns the new state of Capture packets when the learner switched it.
    pub fn ui(&mut self, ui: &mut egui::Ui, selected: Selected<'_>) -> Option<bool> {
        let packets = selected.packets;
        let mut switched = None;
        ui.horizontal_wrapped(|ui| {
            if ui
                .toggle_value(&mut self.capture, "Capture packets")
                .on_hover_text(
                    "Capture the TCP segments to and from the server's port (needs CAP_NET_RAW: run as root, or grant it once with sudo setcap cap_net_raw,cap_net_admin=eip on the program)",
                )
                .changed()
            {
                switched = Some(self.capture);
            }
            ui.separator();
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.export_path)
                    .desired_width(180.0)
                    .hint_text("file.pcapng"),
            );
            field.on_hover_text("The pcapng file Export writes: Wireshark and tshark -r open it");
            if ui
                .add_enabled(packets.kept() > 0, egui::Button::new("Export .pcapng"))
                .on_hover_text(
                    "Write every captured segment kept to the file, for Wireshark (a file that \
                     exists is replaced only on a second click)",
                )
                .clicked()
            {
                let path = std::path::Path::new(&self.export_path);
                self.refused = self.replace.allow(path, "Export .pcapng").err();
                if self.refused.is_none() {
                    packets.export(path);
                }
            }
            if let Some(said) = self.refused.clone().or_else(|| packets.exported()) {
                ui.weak(said);
            }
        });
        packets_ui(ui, selected);
        switched
    }
}

/// The Packets view in a floating window of its own (the client's window has no place under
/// a pipeline for it), with its toggle for the top bar.
#[derive(Debug, Clone)]
pub struct PacketsWindow {
    /// The view's controls.
    pub view: PacketsView,
    /// The window is open.
    pub open: bool,
}

impl PacketsWindow {
    /// The window of `end`'s side, closed.
    #[must_use]
    pub fn new(end: End) -> Self {
        Self {
            view: PacketsView::new(end),
            open: false,
        }
    }

    /// The "Packets" toggle, for a window's top bar.
    pub fn toggle_ui(&mut self, ui: &mut egui::Ui) -> egui::Response {
        ui.toggle_value(&mut self.open, "Packets").on_hover_text(
            "The selected connection's TCP segments (SYN, SYN-ACK, data, FIN, RST) beside its socket's events",
        )
    }

    /// The window, while it is open; returns the new state of Capture packets when switched.
    pub fn show(&mut self, ctx: &egui::Context, selected: Selected<'_>) -> Option<bool> {
        let mut switched = None;
        if self.open {
            let view = &mut self.view;
            // At the bottom right, over the log: the top bar's toggle and Connect, and the
            // Sockets list a learner selects a row of, stay in reach.
            let corner = ctx.content_rect().right_bottom() - egui::vec2(16.0, 16.0);
            egui::Window::new("Packets: the selected connection")
                .open(&mut self.open)
                .pivot(egui::Align2::RIGHT_BOTTOM)
                .default_pos(corner)
                .default_width(560.0)
                .default_height(320.0)
                .show(ctx, |ui| {
                    switched = view.ui(ui, selected);
                });
        }
        switched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_from_the_connections_first_segment_before_it_negative() {
        let syn = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(time_from(syn, syn), "+0.000 ms");
        assert_eq!(
            time_from(syn, syn + Duration::from_micros(930)),
            "+0.930 ms"
        );
        assert_eq!(
            time_from(syn, syn + Duration::from_millis(2_500)),
            "+2.500 s"
        );
        assert_eq!(
            time_from(syn, syn - Duration::from_millis(4_251)),
            "−4.251 s"
        );
    }
}

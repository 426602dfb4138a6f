//! The pool drawn for a learner: one tile per socket, coloured by state, so AddSocket refilling the pool and the
//! cap at MaximumSocketsConnected can be seen happening.

use std::net::SocketAddr;

use serversocket::SocketId;
use serversocket_ui::{RowState, SocketRow, SocketRows};

/// How many closed sockets stay on show: enough to see the churn, not a wall of grey.
const CLOSED_TILES: usize = 12;

/// Tiles this size, in points.
const TILE: egui::Vec2 = egui::vec2(64.0, 30.0);

/// Past this many tiles the pool is drawn as small cells instead ([`super::dense_pool`]):
/// about the most tiles three scrolling lines can make sense of.
const DENSE_FROM: usize = 300;

/// One tile per idle or connected socket and the last few closed ones, oldest first, after a
/// dashed tile per connection waiting for its slow-motion handoff; hovering explains the state.
/// Returns the socket whose tile was clicked (the window then shows its events).
pub fn tiles_ui(ui: &mut egui::Ui, rows: &SocketRows, waiting: &[SocketAddr]) -> Option<SocketId> {
    // Which tiles to show: every idle or connected socket and the last few closed ones.
    let closed = rows.count(RowState::Closed)
        + rows.count(RowState::Released)
        + rows.count(RowState::Failed);
    let shown = || {
        let mut closed_skipped = 0;
        rows.iter().filter(move |row| {
            let skip = row.is_finished() && closed_skipped + CLOSED_TILES < closed;
            closed_skipped += usize::from(skip);
            !skip
        })
    };
    // Counted from the kept tallies (all but the last CLOSED_TILES finished rows are left
    // out): the dense view then walks only as far as the cells in view, not all the rows.
    let shown_count = rows.len() - closed.saturating_sub(CLOSED_TILES);
    if waiting.len() + shown_count > DENSE_FROM {
        return super::dense_pool::cells_ui(ui, shown_count, shown, waiting.len(), hover_text);
    }
    let shown: Vec<&SocketRow> = shown().collect();
    // The closed sockets left out are said by a tile of their own, before the ones shown: the
    // summary counted 20 closed over 12 closed tiles, with nothing saying where 8 went.
    let left_out = closed.saturating_sub(CLOSED_TILES);
    let before_shown = waiting.len() + usize::from(left_out > 0);
    let tile_count = before_shown + shown.len();
    // Only the rows of tiles in view are drawn, so a pool of thousands costs what a few do.
    let spacing = ui.spacing().item_spacing;
    let per_row =
        (((ui.available_width() + spacing.x) / (TILE.x + spacing.x)).floor() as usize).max(1);
    let row_count = tile_count.div_ceil(per_row);
    let line_height = TILE.y + spacing.y;
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("tiles")
        .max_height(line_height * 3.0 - spacing.y)
        .auto_shrink([false, true])
        .show_viewport(ui, |ui, viewport| {
            ui.set_height((line_height * row_count as f32 - spacing.y).max(0.0));
            // Only the lines that meet the view: `show_rows` would draw a line more, and at
            // a thousand sockets that hidden line's tiles were a third of the pool's cost.
            let first = ((viewport.min.y / line_height).floor() as usize).min(row_count);
            let end = ((viewport.max.y / line_height).ceil() as usize).clamp(first, row_count);
            let top = ui.max_rect().top() + first as f32 * line_height;
            let lines =
                egui::Rect::from_x_y_ranges(ui.max_rect().x_range(), top..=ui.max_rect().bottom());
            ui.scope_builder(egui::UiBuilder::new().max_rect(lines), |ui| {
                ui.skip_ahead_auto_ids(first);
                for line in first..end {
                    ui.horizontal(|ui| {
                        for index in (line * per_row..(line + 1) * per_row)
                            .take_while(|&index| index < tile_count)
                        {
                            if let Some(remote) = waiting.get(index) {
                                waiting_tile_ui(ui, *remote);
                            } else if index < before_shown {
                                left_out_tile_ui(ui, left_out);
                            } else {
                                let row = shown[index - before_shown];
                                if tile_ui(ui, row).clicked() {
                                    clicked = Some(row.id);
                                }
                            }
                        }
                    });
                }
            });
        });
    clicked
}

/// A connection the listener accepted that waits for its slow-motion handoff: dashed, no
/// socket yet.
fn waiting_tile_ui(ui: &mut egui::Ui, remote: SocketAddr) {
    let (rect, response) = ui.allocate_exact_size(TILE, egui::Sense::hover());
    let color = ui.visuals().warn_fg_color;
    let corners = [
        rect.left_top(),
        rect.right_top(),
        rect.right_bottom(),
        rect.left_bottom(),
        rect.left_top(),
    ];
    ui.painter()
        .extend(egui::Shape::dashed_line(&corners, (1.5, color), 4.0, 3.0));
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        format!("waiting\n:{}", remote.port()),
        egui::FontId::proportional(11.0),
        ui.visuals().strong_text_color(),
    );
    let name = format!("Connection from {remote} waiting for a handoff");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Status, true, &name));
    response.on_hover_text(format!(
        "Accepted from {remote}: the listener will hand it to the oldest idle socket of the pool when the slow-motion delay is over."
    ));
}

/// The closed sockets older than the last [`CLOSED_TILES`], counted on one tile: they are
/// still in the log and, while the kernel keeps their connections, in Active connections.
fn left_out_tile_ui(ui: &mut egui::Ui, count: usize) {
    let (rect, response) = ui.allocate_exact_size(TILE, egui::Sense::hover());
    let color = RowState::Closed.color();
    ui.painter()
        .rect_stroke(rect, 4.0, (1.0, color), egui::StrokeKind::Inside);
    tile_text_ui(ui, rect, format!("+{count}\nearlier"));
    let name = format!("{count} earlier closed or released sockets not shown");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Status, true, &name));
    response.on_hover_text(format!(
        "{count} earlier closed or released {}: only the last {CLOSED_TILES} finished ones have tiles, so the \
         pool stays readable. Every socket's lines stay in the log (type its number in the \
         log's filter, e.g. \"Socket 3 \").",
        if count == 1 { "socket" } else { "sockets" },
    ));
}

/// One socket's tile: its id and state in the state's colour, explained on hover.
fn tile_ui(ui: &mut egui::Ui, row: &SocketRow) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(TILE, egui::Sense::click());
    let color = row.state.color();
    ui.painter()
        .rect_filled(rect, 4.0, color.gamma_multiply(0.35));
    ui.painter()
        .rect_stroke(rect, 4.0, (1.5, color), egui::StrokeKind::Inside);
    // A closed socket's connection may live on in the kernel (TIME_WAIT when this side
    // closed first): the tile follows it until the kernel forgets it.
    let text = match row.kernel {
        Some(view) if row.state == RowState::Closed => {
            format!("{} {}\n{}", row.id, row.state.word(), view.state)
        }
        _ => format!("{}\n{}", row.id, row.state.word()),
    };
    tile_text_ui(ui, rect, text);
    let name = format!("Socket {} tile: {}", row.id, row.state.word());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Status, true, &name));
    response.on_hover_text(hover_text(row))
}

/// `text` in the middle of a tile, in a smaller font when it would not fit ("CLOSE_WAIT" and a
/// large id are wider than the tile at 11 points).
fn tile_text_ui(ui: &egui::Ui, rect: egui::Rect, text: String) {
    const SIZE: f32 = 11.0;
    let color = ui.visuals().strong_text_color();
    let room = rect.width() - 6.0;
    let painter = ui.painter();
    let mut galley = painter.layout_no_wrap(text.clone(), egui::FontId::proportional(SIZE), color);
    if galley.size().x > room {
        let smaller = (SIZE * room / galley.size().x).max(7.0);
        galley = painter.layout_no_wrap(text, egui::FontId::proportional(smaller), color);
    }
    let corner = rect.center() - galley.size() / 2.0;
    painter.galley(corner, galley, color);
}

/// What hovering a socket's tile (or cell) says: its state explained, its peer, the kernel's
/// view of its connection.
fn hover_text(row: &SocketRow) -> String {
    let remote = row
        .remote
        .map(|r| format!("\nPeer: {r}"))
        .unwrap_or_default();
    let kernel = row
        .kernel
        .map(|view| format!("\nIn the kernel: {}", view.describe()))
        .unwrap_or_default();
    format!(
        "Socket {}: {}{remote}{kernel}\nClick to see its events in order.",
        row.id,
        row.state.explanation()
    )
}

/// The pool in one line, "The pool: 2 idle · 3 connected of at most 10 · 1 closed", drawn in
/// the row of the view's tabs (a line of its own was a row less of the table on a short
/// screen). `max` is none in naive mode, which has no pool.
pub fn summary_ui(
    ui: &mut egui::Ui,
    rows: &SocketRows,
    waiting: &[SocketAddr],
    max: Option<usize>,
) {
    // Naive mode has no pool: its sockets are the connections the one socket served.
    let name = if max.is_some() { "The pool" } else { "Sockets" };
    let cap = max
        .map(|max| format!(" of at most {max}"))
        .unwrap_or_default();
    let handoffs = if waiting.is_empty() {
        String::new()
    } else {
        format!(" · {} waiting for a handoff", waiting.len())
    };
    // No idle sockets wait in naive mode: its one socket listens, and it said "0 idle".
    let connected = format!("{} connected{cap}", rows.count(RowState::Connected));
    let mut parts = match max {
        Some(_) => vec![
            format!("{name}: {} idle", rows.count(RowState::Idle)),
            connected,
        ],
        None => vec![format!("{name}: {connected}")],
    };
    parts.push(format!("{} closed{handoffs}", rows.count(RowState::Closed)));
    // Idle sockets let go were never connections: counted apart, once there are any.
    let released = rows.count(RowState::Released);
    if released > 0 {
        parts.push(format!("{released} released"));
    }
    let line = parts.join(" · ");
    // Where the row has too little room, whole parts are left out from the end ("of at …"
    // was cut mid-phrase), the whole line on hover; with no room for the first, it is cut.
    let width = |text: &str| serversocket_ui::theme::unwrapped_width(ui, &text.into());
    let room = ui.available_size_before_wrap().x;
    let shown = (1..=parts.len())
        .rev()
        .map(|count| {
            let mut text = parts[..count].join(" · ");
            if count < parts.len() {
                text.push_str(" · …");
            }
            text
        })
        .find(|text| width(text) <= room);
    let whole = |text: String| {
        egui::Label::new(egui::RichText::new(text).weak()).wrap_mode(egui::TextWrapMode::Extend)
    };
    match shown {
        Some(text) if text == line => {
            ui.add(whole(line));
        }
        Some(text) => {
            ui.add(whole(text)).on_hover_text(line);
        }
        // Cut, the label shows its whole text on hover by itself (a tooltip of our own showed
        // a second copy under it).
        None => {
            ui.add(egui::Label::new(egui::RichText::new(line).weak()).truncate());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::kittest::Queryable;
    use serversocket::Event;
    use serversocket_report::Role;

    /// Twenty closed sockets: the last twelve have tiles, and one tile counts the eight before
    /// them (the summary said 20 closed over 12 tiles, and nothing said where 8 went).
    #[test]
    fn closed_sockets_before_the_last_twelve_are_counted_on_a_tile() {
        let mut rows = SocketRows::default();
        for id in 0..20 {
            rows.apply(
                Role::Server,
                &Event::AddSocket {
                    socket: SocketId(id),
                },
            );
            rows.apply(
                Role::Server,
                &Event::Closed {
                    socket: SocketId(id),
                },
            );
        }
        let harness = egui_kittest::Harness::new_ui(|ui| {
            tiles_ui(ui, &rows, &[]);
        });
        assert!(
            harness
                .query_by_label("8 earlier closed or released sockets not shown")
                .is_some()
        );
        assert!(harness.query_by_label("Socket 8 tile: closed").is_some());
        assert!(harness.query_by_label("Socket 7 tile: closed").is_none());
    }

    /// Idle sockets the pool let go (Stop Listening, a lower Min) never had a connection:
    /// their tiles say released and the summary counts them apart. They read "closed", with
    /// "the connection ended" on hover, and were counted among the closed connections.
    #[test]
    fn idle_sockets_let_go_are_released_not_closed() {
        let mut rows = SocketRows::default();
        for id in 0..2 {
            let socket = SocketId(id);
            rows.apply(Role::Server, &Event::AddSocket { socket });
            rows.apply(Role::Server, &Event::Released { socket });
        }
        let harness = egui_kittest::Harness::new_ui(|ui| {
            summary_ui(ui, &rows, &[], Some(10));
            tiles_ui(ui, &rows, &[]);
        });
        assert!(harness.query_by_label("Socket 0 tile: released").is_some());
        assert!(harness.query_by_label("Socket 1 tile: released").is_some());
        assert!(
            harness
                .query_by_label(
                    "The pool: 0 idle · 0 connected of at most 10 · 0 closed · 2 released"
                )
                .is_some()
        );
    }

    /// Naive mode has no pool, so no idle sockets to count: it said "Sockets: 0 idle".
    #[test]
    fn naive_mode_counts_no_idle_sockets() {
        let rows = SocketRows::default();
        let harness = egui_kittest::Harness::new_ui(|ui| {
            summary_ui(ui, &rows, &[], None);
        });
        assert!(
            harness
                .query_by_label("Sockets: 0 connected · 0 closed")
                .is_some()
        );
    }
}

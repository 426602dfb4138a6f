//! The pool at ten thousand sockets: one small cell per socket, coloured by its state, in a
//! grid that draws only the lines in view. A tile with its id and state cannot be read by the
//! thousand, but a field of colours shows at a glance how much of the pool is idle, connected
//! or closing; hovering a cell names its socket and a click selects it, as a tile would.

use serversocket::SocketId;
use serversocket_ui::SocketRow;

/// A cell's side, in points: small enough that a few thousand fit in view.
const CELL: f32 = 7.0;
/// The gap between cells, so neighbours of one colour still read as separate sockets.
const GAP: f32 = 1.0;
/// Lines of cells in view at once; the rest scroll.
const LINES_IN_VIEW: f32 = 14.0;

/// Draws `waiting` dashed-colour cells (connections waiting for a handoff) then one cell per
/// row that `shown` yields (`count` of them). Returns the socket whose cell was clicked.
///
/// Only the rows up to the last cell in view are walked: a row is a cache line or more, and
/// walking ten thousand of them every frame cost a tenth of a millisecond.
pub fn cells_ui<'a, Rows: Iterator<Item = &'a SocketRow>>(
    ui: &mut egui::Ui,
    count: usize,
    shown: impl Fn() -> Rows,
    waiting: usize,
    hover_text: impl Fn(&SocketRow) -> String,
) -> Option<SocketId> {
    let pitch = CELL + GAP;
    let total = waiting + count;
    let per_line = ((ui.available_width() + GAP) / pitch).floor().max(1.0) as usize;
    let lines = total.div_ceil(per_line);
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("dense pool")
        .max_height(pitch * LINES_IN_VIEW)
        .auto_shrink([false, true])
        .show_viewport(ui, |ui, viewport| {
            let height = (pitch * lines as f32 - GAP).max(0.0);
            let (rect, response) = ui.allocate_exact_size(
                egui::vec2(ui.available_width(), height),
                egui::Sense::click(),
            );
            let name = format!("Dense pool: {count} sockets, {waiting} waiting");
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &name));
            // Only the lines that meet the view are painted: a screenful, whatever the pool.
            let first = ((viewport.min.y / pitch).floor() as usize).min(lines);
            let end = ((viewport.max.y / pitch).ceil() as usize).clamp(first, lines);
            let painter = ui.painter_at(rect);
            let warn = ui.visuals().warn_fg_color;
            let in_view = (first * per_line).min(total)..(end * per_line).min(total);
            // The rows whose cells are in view (after the waiting cells).
            let first_row = in_view.start.saturating_sub(waiting);
            let visible: Vec<&SocketRow> = shown()
                .skip(first_row)
                .take(in_view.end.saturating_sub(waiting).saturating_sub(first_row))
                .collect();
            let row_at = |row: usize| {
                row.checked_sub(first_row)
                    .and_then(|at| visible.get(at).copied())
                    .or_else(|| shown().nth(row))
            };
            for index in in_view {
                let color = match index.checked_sub(waiting) {
                    None => warn.gamma_multiply(0.5),
                    Some(row) => row_at(row).map_or(warn, |row| row.state.color()),
                };
                painter.rect_filled(cell_rect(rect, per_line, index), 1.0, color);
            }
            // Which cell the pointer is on, from its position: no widget per cell.
            let under_pointer = response.hover_pos().and_then(|pos| {
                let offset = pos - rect.min;
                let column = (offset.x / pitch).floor() as usize;
                let line = (offset.y / pitch).floor() as usize;
                let index = line * per_line + column;
                (column < per_line && index < total).then_some(index)
            });
            if let Some(index) = under_pointer {
                painter.rect_stroke(
                    cell_rect(rect, per_line, index).expand(1.0),
                    1.0,
                    (1.5, ui.visuals().strong_text_color()),
                    egui::StrokeKind::Outside,
                );
                let row = index.checked_sub(waiting).and_then(row_at);
                if response.clicked() {
                    clicked = row.map(|row| row.id);
                }
                response.on_hover_ui_at_pointer(|ui| {
                    ui.label(row.map_or_else(
                        || "A connection the listener accepted, waiting for its slow-motion handoff to an idle socket.".to_owned(),
                        &hover_text,
                    ));
                });
            }
        });
    clicked
}

/// Where cell `index` is drawn inside `rect`.
fn cell_rect(rect: egui::Rect, per_line: usize, index: usize) -> egui::Rect {
    let pitch = CELL + GAP;
    let top_left = rect.min
        + egui::vec2(
            (index % per_line) as f32 * pitch,
            (index / per_line) as f32 * pitch,
        );
    egui::Rect::from_min_size(top_left, egui::vec2(CELL, CELL))
}

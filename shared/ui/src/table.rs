//! The socket table both windows show: one row per socket with its number and client port,
//! state, bytes, last event or error and a Close button (its addresses and a Send box are in the
//! selected socket's details). Drawing only reports what the user asked for ([`RowAction`]);
//! the window carries it out through the library.

use egui_extras::{Column, TableBuilder};
use serversocket::SocketId;

use crate::{RowState, SocketRow};

/// What the user asked of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowAction {
    /// Write these bytes to the socket (the text typed, its escapes applied).
    Send(SocketId, Vec<u8>),
    /// Close (disconnect) the socket.
    Close(SocketId),
    /// Show only this socket's log lines.
    Select(SocketId),
}

/// Draws the rows, and under them the details pane of the `selected` socket if it is among
/// them; `close_label` is the seed's word for closing ("Disconnect" on the server, "Close" on
/// the client). Returns what the user clicked.
pub fn socket_table_ui<'a>(
    ui: &mut egui::Ui,
    rows: impl Iterator<Item = &'a mut SocketRow>,
    close_label: &str,
    selected: Option<SocketId>,
) -> Vec<RowAction> {
    let mut actions = Vec::new();
    let mut rows: Vec<&mut SocketRow> = rows.collect();
    let row_height = ui.spacing().interact_size.y + 4.0;
    // What is left (the log has a panel of its own), less the details pane of a selected
    // socket; but always a few rows.
    let details_room = if selected.is_some() {
        6.0 * row_height
    } else {
        0.0
    };
    let header = HEADER_HEIGHT + ui.spacing().item_spacing.y;
    let max_height = (ui.available_height() - header - details_room).clamp(3.0 * row_height, 400.0);
    // Narrower than every column (a window beside the Lessons panel at half a 1366 screen),
    // the bytes leave the table for the socket's tooltip and the state is cut, so the last
    // event, what a lesson asks about, keeps its room.
    let narrow = ui.available_width() < FULL_WIDTH;
    // One line per row: long text is cut (hover shows it); a window narrower still scrolls
    // the table sideways.
    egui::ScrollArea::horizontal()
        .id_salt((close_label, "sideways"))
        .show(ui, |ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            let size = (row_height, max_height);
            rows_ui(
                ui,
                &mut rows,
                size,
                (close_label, narrow),
                selected,
                &mut actions,
            );
        });
    if let Some(row) = rows.iter_mut().find(|row| Some(row.id) == selected)
        && let Some(action) = crate::details_ui(ui, row)
    {
        actions.push(action);
    }
    actions
}

/// A whole count with its thousands apart, `12,345,678`: a long run of digits was hard to read
/// (the status chip's "12345678 B in").
#[must_use]
pub fn grouped_digits(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A byte count short enough for the In / out column, four characters at most: whole below
/// 1 KiB, then in binary thousands, millions and billions, rounded, with a tenth below ten
/// (`25K`, `5.9M`, `34M`). "35651584 / 4…" and then "6021K / 39…" were cut, and 12,345,678
/// bytes read "11M"; the hover gives the whole numbers.
fn compact_bytes(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 10, "K"), (1 << 20, "M"), (1 << 30, "G")];
    if bytes < 1 << 10 {
        return bytes.to_string();
    }
    let bytes = u128::from(bytes);
    for (index, (size, unit)) in UNITS.into_iter().enumerate() {
        let size = u128::from(size);
        let tenths = (bytes * 10 + size / 2) / size;
        let last = index == UNITS.len() - 1;
        if tenths < 100 {
            return format!("{}.{}{unit}", tenths / 10, tenths % 10);
        }
        let whole = (bytes + size / 2) / size;
        if whole < 1000 || last {
            return format!("{whole}{unit}");
        }
    }
    unreachable!("the last unit always answers")
}

/// The columns' titles' row, in points (the rows' height is given apart from it).
const HEADER_HEIGHT: f32 = 20.0;

/// The State column: wide enough for the kernel's TCP state beside the socket's own,
/// "connected ESTABLISHED" (at 140 every row read "ESTABLIS…"); a TLS version after them is
/// cut first.
const STATE: f32 = 156.0;

/// The State column when the table is narrow: the socket's own state whole, the kernel's cut
/// (the details pane and the hover give it whole).
const NARROW_STATE: f32 = 104.0;

/// The least room the last event gets.
const LEAST_LAST_EVENT: f32 = 120.0;

/// How wide the table's every column is, with the spaces between them: narrower, the table
/// drops the bytes ([`HEADERS_NARROW`]).
const FULL_WIDTH: f32 = 116.0 + STATE + 80.0 + 80.0 + LEAST_LAST_EVENT + 4.0 * 8.0;

/// The columns' titles and what their hover says.
const HEADERS: [(&str, &str); 5] = [
    (
        "Socket",
        "The socket's number, and the client's port: the same in both windows",
    ),
    (
        "State",
        "The socket's state, and the kernel's TCP state of its connection",
    ),
    ("In / out", "Bytes received / bytes sent"),
    ("", ""),
    (
        "Last event",
        "What happened last, or the error and its meaning",
    ),
];

/// [`HEADERS`] of a narrow table: the bytes are in the socket's hover.
const HEADERS_NARROW: [(&str, &str); 4] = [HEADERS[0], HEADERS[1], HEADERS[3], HEADERS[4]];

/// The table itself; `(row_height, max_height)` in points. Only the essential columns, so
/// it fits the window: the socket and its client port, state, peer, bytes and last event, and
/// a Close button; the rest (addresses, time, kernel view, Send) is in the details pane of the
/// selected socket ([`crate::details`]).
fn rows_ui(
    ui: &mut egui::Ui,
    rows: &mut [&mut SocketRow],
    (row_height, max_height): (f32, f32),
    (close_label, narrow): (&str, bool),
    selected: Option<SocketId>,
    actions: &mut Vec<RowAction>,
) {
    let columns: &[(&str, &str)] = if narrow { &HEADERS_NARROW } else { &HEADERS };
    TableBuilder::new(ui)
        .id_salt(close_label)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .striped(true)
        .resizable(false)
        .auto_shrink([false, true])
        .max_scroll_height(max_height)
        // egui_extras keeps a scrolling table at least 200 points high by default, which left
        // the log no room once there were many connections.
        .min_scrolled_height(max_height)
        .sense(egui::Sense::click())
        // Wide enough for "10 · client :46116" whole: its port is what lesson 1 asks.
        .column(Column::exact(116.0))
        // Then State ([`STATE`]), the bytes and the Close button, and the last event.
        .column(Column::exact(if narrow { NARROW_STATE } else { STATE }).clip(true))
        .columns(Column::exact(80.0), if narrow { 1 } else { 2 })
        .column(Column::remainder().at_least(LEAST_LAST_EVENT).clip(true))
        .header(HEADER_HEIGHT, |mut header| {
            for (title, tip) in columns {
                header.col(|ui| {
                    ui.strong(*title).on_hover_text(*tip);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut table_row| {
                let row = &mut *rows[table_row.index()];
                let id = row.id;
                table_row.set_selected(selected == Some(id));
                let mut select = false;
                table_row.col(|ui| {
                    let name = match row.client_label() {
                        Some(client) => format!("{id} · {client}"),
                        None => id.to_string(),
                    };
                    // The whole name on hover: a narrow column cuts it ("client :39…"), and
                    // its port is what a learner may be asked.
                    let bytes = if narrow {
                        format!(
                            "\n{} B in / {} B out",
                            grouped_digits(row.bytes_in),
                            grouped_digits(row.bytes_out)
                        )
                    } else {
                        String::new()
                    };
                    let tip = format!(
                        "Socket {name}{bytes}\nSelect this socket: its details, its tile and only its log lines"
                    );
                    select |= ui
                        .selectable_label(selected == Some(id), name)
                        .on_hover_text(tip)
                        .clicked();
                });
                table_row.col(|ui| crate::kernel_view::state_cell_ui(ui, row));
                if !narrow {
                    table_row.col(|ui| {
                        ui.label(format!(
                            "{} / {}",
                            compact_bytes(row.bytes_in),
                            compact_bytes(row.bytes_out)
                        ))
                        .on_hover_text(format!(
                            "{} bytes received / {} bytes sent",
                            row.bytes_in, row.bytes_out
                        ));
                    });
                }
                table_row.col(|ui| {
                    if ui
                        .add_enabled(
                            row.state == RowState::Connected,
                            egui::Button::new(close_label).small(),
                        )
                        .on_hover_text("Close this connection")
                        .clicked()
                    {
                        actions.push(RowAction::Close(id));
                    }
                });
                table_row.col(|ui| match (row.last_error, row.closed_by_peer) {
                    (Some((code, meaning)), Some(words)) if row.state == RowState::Closed => {
                        ui.label(words).on_hover_text(format!(
                            "The peer closed the connection in good order, the normal end; the seed reports it as Error {code} ({meaning}): {}",
                            row.last_event
                        ));
                    }
                    (Some((code, meaning)), _) if row.state != RowState::Connected => {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("Error {code} ({meaning})"),
                        )
                        .on_hover_text(&row.last_event);
                    }
                    // Cut, a label shows its whole text on hover by itself (a tooltip of our
                    // own showed it twice).
                    _ => {
                        ui.label(&row.last_event);
                    }
                });
                if select || table_row.response().clicked() {
                    actions.push(RowAction::Select(id));
                }
            });
        });
}

#[cfg(test)]
mod tests {
    use super::{compact_bytes, grouped_digits};

    #[test]
    fn digits_are_grouped_by_thousands() {
        for (count, shown) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (12_345_678, "12,345,678"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(grouped_digits(count), shown);
        }
    }

    #[test]
    fn byte_counts_fit_the_column() {
        for (bytes, shown) in [
            (0, "0"),
            (1023, "1023"),
            (1024, "1.0K"),
            (10_239, "10K"),
            (26_022, "25K"),
            (1_023_000, "999K"),
            (1_048_000, "1.0M"),
            (6_165_504, "5.9M"),
            (12_345_678, "12M"),
            (35_651_584, "34M"),
            (41_943_040, "40M"),
            (12 << 30, "12G"),
            (5000 << 30, "5000G"),
        ] {
            assert_eq!(compact_bytes(bytes), shown, "{bytes}");
        }
    }
}

//! The socket table both windows show: one row per socket with its state, addresses, bytes,
//! last event or error, a Send box and a Close button. Drawing only reports what the user
//! asked for ([`RowAction`]); the window carries it out through the library.

use egui_extras::{Column, TableBuilder};
use serversocket::SocketId;

use crate::{RowState, SocketRow};

/// What the user asked of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowAction {
    /// Write this text to the socket.
    Send(SocketId, String),
    /// Close (disconnect) the socket.
    Close(SocketId),
    /// Show only this socket's log lines.
    Select(SocketId),
}

/// Draws the rows; `close_label` is the seed's word for closing ("Disconnect" on the server,
/// "Close" on the client). Returns what the user clicked.
pub fn socket_table_ui<'a>(
    ui: &mut egui::Ui,
    rows: impl Iterator<Item = &'a mut SocketRow>,
    close_label: &str,
    selected: Option<SocketId>,
) -> Vec<RowAction> {
    let mut actions = Vec::new();
    let mut rows: Vec<&mut SocketRow> = rows.collect();
    let row_height = ui.spacing().interact_size.y + 4.0;
    // At most 40% of what is left, and never so much that the log below (the main view: its
    // filter row and a few lines) is squeezed to a sliver; but always a few rows.
    let log_room = 8.0 * row_height;
    let max_height = (ui.available_height() * 0.4)
        .min(ui.available_height() - log_room)
        .clamp(3.0 * row_height, 260.0);
    // One line per row: long text is cut (hover shows it), buttons sit side by side; a narrow
    // window scrolls the table sideways.
    egui::ScrollArea::horizontal()
        .id_salt((close_label, "sideways"))
        .show(ui, |ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            let size = (row_height, max_height);
            rows_ui(ui, &mut rows, size, close_label, selected, &mut actions);
        });
    actions
}

/// The table itself; `(row_height, max_height)` in points.
fn rows_ui(
    ui: &mut egui::Ui,
    rows: &mut [&mut SocketRow],
    (row_height, max_height): (f32, f32),
    close_label: &str,
    selected: Option<SocketId>,
    actions: &mut Vec<RowAction>,
) {
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
        .column(Column::exact(50.0))
        // State is wide enough for the kernel's TCP state beside the socket's own.
        .column(Column::exact(150.0))
        .column(Column::exact(230.0))
        .column(Column::exact(130.0))
        .column(Column::exact(60.0))
        .column(Column::exact(70.0))
        .column(Column::exact(80.0))
        .column(Column::remainder().at_least(170.0).clip(true))
        .header(20.0, |mut header| {
            for title in [
                "Socket",
                "State",
                "Send",
                "Remote",
                "Local port",
                "Since",
                "In / out",
                "Last event",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut table_row| {
                let row = &mut *rows[table_row.index()];
                let id = row.id;
                table_row.set_selected(selected == Some(id));
                table_row.col(|ui| {
                    if ui
                        .selectable_label(selected == Some(id), id.to_string())
                        .on_hover_text("Show only this socket's log lines")
                        .clicked()
                    {
                        actions.push(RowAction::Select(id));
                    }
                });
                table_row.col(|ui| crate::kernel_view::state_cell_ui(ui, row));
                table_row.col(|ui| {
                    ui.add_enabled_ui(row.state == RowState::Connected, |ui| {
                        let response = ui.add(
                            egui::TextEdit::singleline(&mut row.draft)
                                .hint_text("text to send")
                                .desired_width(80.0),
                        );
                        let enabled = response.enabled();
                        response.widget_info(|| {
                            egui::WidgetInfo::labeled(
                                egui::Role::TextInput,
                                enabled,
                                format!("Text for socket {id}"),
                            )
                        });
                        let entered =
                            response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                        if (ui
                            .button("Send")
                            .on_hover_text("Write this text to the socket")
                            .clicked()
                            || entered)
                            && !row.draft.is_empty()
                        {
                            actions.push(RowAction::Send(id, std::mem::take(&mut row.draft)));
                        }
                        if ui
                            .button(close_label)
                            .on_hover_text("Close this connection")
                            .clicked()
                        {
                            actions.push(RowAction::Close(id));
                        }
                    });
                });
                table_row.col(|ui| {
                    ui.label(row.remote.map_or_else(|| "—".to_owned(), |r| r.to_string()));
                });
                table_row.col(|ui| {
                    ui.label(
                        row.local
                            .map_or_else(|| "—".to_owned(), |l| l.port().to_string()),
                    );
                });
                table_row.col(|ui| {
                    let since = row
                        .since
                        .map(|at| humantime::format_rfc3339_seconds(at).to_string());
                    ui.label(
                        since
                            .as_deref()
                            .and_then(|at| at.get(11..19))
                            .unwrap_or("—"),
                    )
                    .on_hover_text("When it connected (UTC)");
                });
                table_row.col(|ui| {
                    ui.label(format!("{} / {}", row.bytes_in, row.bytes_out))
                        .on_hover_text("Bytes received / bytes sent");
                });
                table_row.col(|ui| match row.last_error {
                    Some((code, meaning)) if row.state != RowState::Connected => {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("Error {code} ({meaning})"),
                        );
                    }
                    _ => {
                        ui.label(&row.last_event).on_hover_text(&row.last_event);
                    }
                });
            });
        });
}

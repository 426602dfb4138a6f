//! The details pane of the selected socket: what the table has no room for. Its two
//! addresses, when it connected, what the kernel says of its connection, its last event or
//! error with the error's meaning, and a box to send it text.

use crate::{RowAction, RowState, SocketRow};

/// Draws the pane for `row` in a few wrapped lines. Returns what the user asked.
pub fn details_ui(ui: &mut egui::Ui, row: &mut SocketRow) -> Option<RowAction> {
    let mut action = None;
    let id = row.id;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            let name = match row.client_label() {
                Some(client) => format!("Socket {id} · {client}"),
                None => format!("Socket {id}"),
            };
            ui.strong(name);
            // The word the row's State shows: "connected" in green here beside "in accept
            // queue" in the row read as two answers.
            if crate::kernel_view::in_accept_queue(row) {
                ui.colored_label(crate::kernel_view::IN_ACCEPT_QUEUE_COLOR, "in accept queue")
                    .on_hover_text(crate::kernel_view::IN_ACCEPT_QUEUE_TIP);
            } else {
                ui.colored_label(row.state.color(), row.state.word())
                    .on_hover_text(row.state.explanation());
            }
            if let (Some(local), Some(remote)) = (row.local, row.remote) {
                ui.label(format!("here {local}, peer {remote}"))
                    .on_hover_text("This socket's own address, and its peer's");
            }
            if let Some(since) = row.since {
                let at = humantime::format_rfc3339_seconds(since).to_string();
                if let Some(time) = at.get(11..19) {
                    ui.weak(format!("since {time} UTC"));
                }
            }
            if let Some(view) = row.kernel {
                ui.weak(format!("kernel: {}", view.describe()));
            }
        });
        ui.horizontal_wrapped(|ui| match row.last_error {
            Some((code, meaning)) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Error {code}: {meaning}."),
                );
                ui.weak(&row.last_event);
            }
            None => {
                ui.weak(&row.last_event);
            }
        });
        if row.state == RowState::Connected {
            ui.horizontal(|ui| {
                let response = ui.add(
                    egui::TextEdit::singleline(&mut row.draft)
                        .hint_text(r"text to send, \r\n escapes")
                        .desired_width(160.0),
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
                // The send box's escapes, so both send the same bytes for the same text (a
                // line-based peer such as `nc` needs the `\n` this box could not send).
                let bytes = serversocket_report::escapes::unescape(&row.draft);
                let clicked = ui
                    .add_enabled(bytes.is_ok(), egui::Button::new("Send"))
                    .on_hover_text(r"Write these bytes to the socket (escapes: \r \n \t \\ \xNN)")
                    .clicked();
                match bytes {
                    Ok(bytes) if (clicked || entered) && !bytes.is_empty() => {
                        row.draft.clear();
                        action = Some(RowAction::Send(id, bytes));
                    }
                    Ok(_) => {}
                    Err(problem) => {
                        ui.colored_label(ui.visuals().error_fg_color, problem.to_string());
                    }
                }
            });
        }
    });
    action
}

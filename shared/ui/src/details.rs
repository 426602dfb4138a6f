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
            ui.colored_label(row.state.color(), row.state.word())
                .on_hover_text(row.state.explanation());
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
                        .hint_text("text to send")
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
                if (ui
                    .button("Send")
                    .on_hover_text("Write this text to the socket")
                    .clicked()
                    || entered)
                    && !row.draft.is_empty()
                {
                    action = Some(RowAction::Send(id, std::mem::take(&mut row.draft)));
                }
            });
        }
    });
    action
}

//! The window's switch for how much the library traces on the terminal (the Developer menu);
//! the tracing itself is `serversocket_app::diagnostics`, shared with the headless mode.

use serversocket_app::diagnostics::{LEVELS, LevelSwitch};

/// The level picker.
pub fn level_switch_ui(ui: &mut egui::Ui, switch: &mut LevelSwitch) {
    let label = ui.label("Trace:");
    let mut level = switch.level().to_owned();
    egui::ComboBox::from_id_salt("trace level")
        .selected_text(&level)
        .show_ui(ui, |ui| {
            for choice in LEVELS {
                ui.selectable_value(&mut level, choice.to_owned(), choice);
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(
            "How much the socket library reports on the terminal (like RUST_LOG): \\
             info shows each Listen and accept error, debug every socket's Connected and close",
        );
    switch.set(&level);
}

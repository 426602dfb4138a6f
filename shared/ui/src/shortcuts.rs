//! The keyboard shortcuts, in one place so the windows, their tooltips and docs/windows.md agree.
//! `COMMAND` is Ctrl, or ⌘ on a Mac.

use egui::{Key, KeyboardShortcut, Modifiers};

/// Server: Listen, or Stop Listening while listening.
pub const LISTEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
/// Client: Connect the next socket.
pub const CONNECT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
/// Client: Connect ×N.
pub const CONNECT_BURST: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::N);
/// Both: clear the log.
pub const CLEAR_LOG: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
/// Both: put the cursor in the log's filter box.
pub const FOCUS_FILTER: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);

/// Both: bring the other window (server or client) to the front.
pub const SHOW_OTHER: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::F6);

/// True (once) when the user pressed `shortcut` this frame.
#[must_use]
pub fn pressed(ui: &egui::Ui, shortcut: &KeyboardShortcut) -> bool {
    ui.input_mut(|input| input.consume_shortcut(shortcut))
}

/// A tooltip with the shortcut named after it: "Clear the log (Ctrl+K)".
#[must_use]
pub fn tip(ui: &egui::Ui, text: &str, shortcut: &KeyboardShortcut) -> String {
    format!("{text} ({})", ui.ctx().format_shortcut(shortcut))
}

/// A window's main action (Listen, Connect): a button, enabled when `enabled`, whose tooltip
/// says `what` it does and names its `shortcut`, and which is outlined when a lesson's step
/// points at `lesson_mark`.
pub fn action_button(
    ui: &mut egui::Ui,
    text: impl Into<egui::WidgetText>,
    enabled: bool,
    what: &str,
    (shortcut, lesson_mark): (&KeyboardShortcut, &str),
) -> egui::Response {
    steady_action_button(ui, text, "", enabled, what, (shortcut, lesson_mark))
}

/// An [`action_button`] at least as wide as it would be with the text `widest`, so that a
/// button whose words change (Listen, Stop Listening) never moves what stands after it.
pub fn steady_action_button(
    ui: &mut egui::Ui,
    text: impl Into<egui::WidgetText>,
    widest: &str,
    enabled: bool,
    what: &str,
    (shortcut, lesson_mark): (&KeyboardShortcut, &str),
) -> egui::Response {
    let tip = tip(ui, what, shortcut);
    let widest = egui::WidgetText::from(widest)
        .into_galley(ui, None, f32::INFINITY, egui::TextStyle::Button)
        .size()
        .x;
    let min_width = widest + 2.0 * ui.spacing().button_padding.x;
    let button = ui
        .add_enabled(
            enabled,
            egui::Button::new(text).min_size(egui::vec2(min_width, 0.0)),
        )
        .on_hover_text(&tip)
        // Greyed, it says what it does and why it cannot now: the reason is written in red by
        // the setting that stops it (above Listen, beside Connect ×N).
        .on_disabled_hover_text(format!(
            "{tip}. Not now: a setting cannot be used, and says why in red"
        ));
    crate::lesson_panel::mark(ui, lesson_mark, &button);
    button
}

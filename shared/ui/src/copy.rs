//! Copy buttons: text to the system clipboard (eframe's `clipboard` feature: X11 and
//! Wayland), and "Copied N lines" just under the button, so the learner knows it went (a copy is
//! otherwise invisible until pasted).
//!
//! Every Copy button of both windows goes through [`copy_button_ui`], so one test of the real
//! binary under X11 (`server-app/tests/clipboard.rs`) proves the path from a copy to the
//! desktop's clipboard for all of them. That test cannot click (a real eframe window has no
//! accessibility tree here), so [`PRESS_COPY`] presses a button by its name on the first frame
//! it has something to copy: the same function as a click, from there on.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable that presses one Copy button once, by name (`report`, `shown`,
/// `selected`), on the first frame that draws it with something to copy: for the test of the
/// system clipboard.
pub const PRESS_COPY: &str = "SERVERSOCKET_PRESS_COPY";

/// How long "Copied N lines" stays under its button, in seconds.
const SHOWN_FOR_S: f64 = 4.0;

/// What was copied last through one button: how many lines, and when (egui's clock).
#[derive(Debug, Clone, Copy)]
struct Copied {
    lines: usize,
    at: f64,
}

/// A Copy button named `name` (unique in the window), greyed unless `enabled`: clicked (or
/// pressed through [`PRESS_COPY`]), it puts `text()` on the clipboard; for a few seconds after,
/// "Copied N lines" shows under it, over the window (nothing in the row moves). Returns the
/// button's response.
pub fn copy_button_ui(
    ui: &mut egui::Ui,
    (name, enabled): (&str, bool),
    label: impl Into<egui::WidgetText>,
    tip: &str,
    text: impl FnOnce() -> String,
) -> egui::Response {
    let id = egui::Id::unique(("copied", name));
    let response = ui
        .add_enabled(enabled, egui::Button::new(label))
        .on_hover_text(tip);
    let now = ui.input(|input| input.time);
    let clicked = response.clicked();
    if clicked || hook_wants(name) {
        let text = text();
        // The hook waits for something to copy (a log fills only once the window works).
        if clicked || (!text.is_empty() && take_hook()) {
            let lines = line_count(&text);
            ui.ctx().copy_text(text);
            ui.ctx()
                .data_mut(|data| data.insert_temp(id, Copied { lines, at: now }));
        }
    }
    let copied: Option<Copied> = ui.ctx().data(|data| data.get_temp(id));
    if let Some(copied) = copied {
        let age = now - copied.at;
        if age < SHOWN_FOR_S {
            // Over the window, under the button, like a tooltip: in the row, the words would
            // push every control after the button aside for as long as they show.
            egui::Area::new(id.with("shown"))
                .order(egui::Order::Tooltip)
                .fixed_pos(response.rect.left_bottom() + egui::vec2(0.0, 2.0))
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.label(copied_words(copied.lines));
                    });
                });
            // Repaint when the words are due to go, though nothing else happens.
            ui.ctx()
                .request_repaint_after_secs((SHOWN_FOR_S - age) as f32);
        }
    }
    response
}

/// "Copied 1 line", "Copied 120 lines".
#[must_use]
pub fn copied_words(lines: usize) -> String {
    if lines == 1 {
        "Copied 1 line".to_owned()
    } else {
        format!("Copied {lines} lines")
    }
}

/// Lines in `text` as a text editor counts them (a last line without a newline counts).
fn line_count(text: &str) -> usize {
    text.lines().count()
}

/// Whether [`PRESS_COPY`] names this button and has not pressed it yet.
fn hook_wants(name: &str) -> bool {
    static WANTED: OnceLock<Option<String>> = OnceLock::new();
    WANTED
        .get_or_init(|| std::env::var(PRESS_COPY).ok())
        .as_deref()
        .is_some_and(|wanted| wanted == name)
        && !PRESSED.load(Ordering::Relaxed)
}

/// Presses the hook's button: true the first time only.
fn take_hook() -> bool {
    !PRESSED.swap(true, Ordering::Relaxed)
}

/// The hook's button was pressed (once per run).
static PRESSED: AtomicBool = AtomicBool::new(false);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_count_lines() {
        assert_eq!(copied_words(line_count("a\nb\n")), "Copied 2 lines");
        assert_eq!(copied_words(line_count("only")), "Copied 1 line");
        assert_eq!(copied_words(line_count("")), "Copied 0 lines");
    }
}

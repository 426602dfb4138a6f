//! The log's place in a window: a panel along the bottom that the learner resizes by its top
//! edge (egui remembers the height between runs), never shorter than eight lines (five on a
//! short screen, three on a 600-high one), so that however much the rest of the window shows, the log stays readable;
//! the window's main view fills what is left above it, scrolled on a short screen with a
//! scroll bar that shows it is.

/// How many lines of the log show at the least.
pub const LEAST_LINES: f32 = 8.0;

/// How many show at the least in a window under [`SHORT_WINDOW`] points high: at 600 the
/// eight lines left the connections' table no room at all under the pipeline and the tiles.
pub const LEAST_LINES_SHORT: f32 = 5.0;

/// A window lower than this is short (a 768-high screen, less its title bar and panel).
pub const SHORT_WINDOW: f32 = 700.0;

/// How many show at the least in a window under [`TINY_WINDOW`] points high: on a 600-high
/// screen five lines left the client's Sockets table room for one row during a lesson.
pub const LEAST_LINES_TINY: f32 = 3.0;

/// A window lower than this is on a 600-high screen (1024×600, 800×600), less its title bar
/// (and the client window a title bar lower still, when the two stand one behind the other).
pub const TINY_WINDOW: f32 = 600.0;

/// Draws `contents` (the log's filter row and its lines) in the window's bottom panel.
pub fn log_panel(ui: &mut egui::Ui, contents: impl FnOnce(&mut egui::Ui)) {
    let spacing = ui.spacing().item_spacing.y;
    let line = ui.text_style_height(&egui::TextStyle::Monospace) + spacing;
    // The filter row (about 960 points wide: two rows in a narrower window) and the margin.
    let header_rows = if ui.available_width() >= 960.0 {
        1.0
    } else {
        2.0
    };
    let header = header_rows * (ui.spacing().interact_size.y + spacing) + 8.0;
    let height = ui.ctx().content_rect().height();
    let lines = if height < TINY_WINDOW {
        LEAST_LINES_TINY
    } else if height < SHORT_WINDOW {
        LEAST_LINES_SHORT
    } else {
        LEAST_LINES
    };
    let least = header + lines * line;
    egui::Panel::bottom("log")
        .resizable(true)
        .min_size(least)
        .default_size(least)
        .show(ui, |ui| {
            ui.add_space(4.0);
            contents(ui);
        });
}

/// The window's main view above the log: what is left of the window, scrolled vertically
/// when it does not fit (a short screen), the log keeping its panel.
pub fn main_view(ui: &mut egui::Ui, id_salt: &str, contents: impl FnOnce(&mut egui::Ui)) {
    egui::CentralPanel::default().show(ui, |ui| {
        // A solid bar, not egui's floating one that shows only under the pointer: on a short
        // screen the connections' table is below the fold, and nothing else says so.
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::vertical()
            .id_salt(id_salt)
            .auto_shrink(false)
            .show(ui, contents);
    });
}

//! The library's own diagnostics (`tracing`, one span per socket) on the terminal, and the
//! window's switch for how much of them to show. `RUST_LOG` sets the level at start, as usual.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// The levels the switch offers, quietest first.
const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// Changes how much the library traces to the terminal while the program runs.
#[derive(Debug)]
pub struct LevelSwitch {
    /// Swaps the filter in place.
    handle: reload::Handle<EnvFilter, Registry>,
    /// What the switch shows.
    level: String,
}

/// Sends diagnostics to stderr, filtered by `RUST_LOG` (default: warnings and errors), and
/// returns the switch that changes the filter later.
#[must_use]
pub fn install() -> LevelSwitch {
    let from_environment = std::env::var("RUST_LOG").ok();
    let level = from_environment
        .clone()
        .unwrap_or_else(|| "warn".to_owned());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("warn"));
    let (filter, handle) = reload::Layer::new(filter);
    // A second install (tests) keeps the first subscriber; the switch then changes nothing.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // Colours for a person at a terminal, not escape codes in a `2> log` file.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .try_init();
    LevelSwitch { handle, level }
}

impl LevelSwitch {
    /// The level picker.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let label = ui.label("Trace:");
        let before = self.level.clone();
        egui::ComboBox::from_id_salt("trace level")
            .selected_text(&self.level)
            .show_ui(ui, |ui| {
                for level in LEVELS {
                    ui.selectable_value(&mut self.level, level.to_owned(), level);
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "How much the socket library reports on the terminal (like RUST_LOG): \\
                 info shows each Listen and accept error, debug every socket's Connected and close",
            );
        if self.level != before
            && let Ok(filter) = EnvFilter::try_new(&self.level)
        {
            let _ = self.handle.reload(filter);
        }
    }
}

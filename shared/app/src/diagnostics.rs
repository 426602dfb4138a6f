//! The library's own diagnostics (`tracing`, one span per socket) on the terminal, for the
//! window and the headless mode alike, and the switch that changes how much of them to show.
//! `RUST_LOG` sets the level at start, as usual. (The window draws the switch:
//! `serversocket_ui::diagnostics`.)

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// The levels the switch offers, quietest first.
pub const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// Changes how much the library traces to the terminal while the program runs.
#[derive(Debug)]
pub struct LevelSwitch {
    /// Swaps the filter in place.
    handle: reload::Handle<EnvFilter, Registry>,
    /// The level in force, as the switch shows it.
    level: String,
}

/// Warnings and errors, but rustls's own warnings: a handshake a peer fails ("Received a
/// ClientHello handshake message while expecting ServerHello") is the socket's Error event
/// already, in the library's words; rustls said it again on stderr in its own.
const QUIET_RUSTLS: &str = "warn,rustls=error";

/// The filter of `level`: at `warn`, rustls's warnings left out ([`QUIET_RUSTLS`]); `None`
/// when it is no filter.
fn filter(level: &str) -> Option<EnvFilter> {
    EnvFilter::try_new(if level == "warn" { QUIET_RUSTLS } else { level }).ok()
}

/// Sends diagnostics to stderr, filtered by `RUST_LOG` (default: warnings and errors, rustls's
/// warnings left out), and returns the switch that changes the filter later.
#[must_use]
pub fn install() -> LevelSwitch {
    let from_environment = std::env::var("RUST_LOG").ok();
    let level = from_environment
        .clone()
        .unwrap_or_else(|| "warn".to_owned());
    let filter = filter(&level).unwrap_or_else(|| EnvFilter::new(QUIET_RUSTLS));
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
    /// The level in force (a `RUST_LOG` filter, or one of [`LEVELS`]).
    #[must_use]
    pub fn level(&self) -> &str {
        &self.level
    }

    /// Traces at `level` from now on; a level that is no filter changes nothing.
    pub fn set(&mut self, level: &str) {
        if level == self.level {
            return;
        }
        if let Some(filter) = filter(level) {
            level.clone_into(&mut self.level);
            let _ = self.handle.reload(filter);
        }
    }
}

//! The server's status as chips: where it listens, its Handle, connected of Max, idle of Min,
//! what waits in the kernel, totals. Each chip is one unbreakable phrase, so a narrow window
//! moves whole chips to the next line instead of cutting "address in use" in two.

use serversocket::{PoolStatus, SocketError};
use serversocket_kernel::AcceptQueue;
use serversocket_ui::theme::{self, chip};
use serversocket_ui::{RowState, SocketRows};

/// What the naive single socket did since Listen, for its chips.
#[derive(Debug, Clone, Copy)]
pub struct NaiveStatus {
    /// How long it stays closed after each connection.
    pub relisten_delay_ms: u64,
    /// Connections it accepted, while it listens (none before Listen).
    pub accepted: Option<u64>,
    /// How many times it closed, and for how long in all.
    pub gaps: (u64, std::time::Duration),
}

/// The pool's chips. The counts are the events' (`rows`, `accepted`), as the rows, tiles and
/// pipeline beside them are, so under load they all tell the same moment (the pool's own
/// counts run ahead of the events a frame has taken); the limits and the listener are the
/// pool's settings.
pub fn pool_chips_ui(
    ui: &mut egui::Ui,
    status: &PoolStatus,
    accepted: u64,
    rows: &SocketRows,
    queue: Option<AcceptQueue>,
) {
    match status.listening {
        Some(address) => {
            chip(
                ui,
                format!("Listening on {address}"),
                theme::LISTENER,
                "IsListening is true: the listening socket accepts connections on this LocalAddress",
            );
            chip(
                ui,
                format!("Handle {}", status.handle.unwrap_or(-1)),
                theme::GREY,
                "The listening socket's OS handle (file descriptor)",
            );
        }
        None => not_listening_chip_ui(ui),
    }
    chip(
        ui,
        format!(
            "{} connected / Max {}",
            rows.count(RowState::Connected),
            status.limits.max
        ),
        RowState::Connected.color(),
        "Connected sockets, and MaximumSocketsConnected: beyond it the pool accepts no more and clients wait in the kernel",
    );
    chip(
        ui,
        format!(
            "{} idle / Min {}",
            rows.count(RowState::Idle),
            status.limits.min
        ),
        RowState::Idle.color(),
        "Idle sockets ready in the pool, and MinimumSocketsAvailable: AddSocket refills the pool up to it",
    );
    if let Some(queue) = queue {
        chip(
            ui,
            format!("{} waiting in the kernel", queue.waiting),
            theme::IN_KERNEL,
            "Connections the kernel completed that no socket took yet (the accept queue)",
        );
    }
    let (bytes_in, bytes_out) = rows.bytes_total();
    chip(
        ui,
        format!("{accepted} accepted"),
        theme::GREY,
        "Connections accepted since the window opened, or since a lesson started over",
    );
    chip(
        ui,
        format!(
            "{} B in · {} B out",
            serversocket_ui::table::grouped_digits(bytes_in),
            serversocket_ui::table::grouped_digits(bytes_out)
        ),
        theme::GREY,
        "Bytes received from and sent to every client",
    );
}

/// The naive socket's chips: no pool, no Min or Max, only the one socket and its gaps.
pub fn naive_chips_ui(ui: &mut egui::Ui, naive: NaiveStatus) {
    let (gaps, closed) = naive.gaps;
    let Some(accepted) = naive.accepted else {
        not_listening_chip_ui(ui);
        chip(
            ui,
            "Naive mode: one socket, no pool",
            theme::LISTENER,
            "Listen opens one listening socket that closes on each connection and listens again: no pool, so no Min or Max",
        );
        return;
    };
    chip(
        ui,
        "Naive mode: one socket",
        theme::LISTENER,
        "No pool: one listening socket that closes on each connection and listens again",
    );
    chip(
        ui,
        format!("re-listens after {} ms", naive.relisten_delay_ms),
        theme::GREY,
        "While the listener is closed, nothing listens on the port: connections arriving then are refused or reset by the OS",
    );
    chip(
        ui,
        format!("{accepted} accepted"),
        RowState::Connected.color(),
        "Connections the single socket accepted",
    );
    chip(
        ui,
        format!(
            "listener closed {gaps} time{}, {} ms in all",
            if gaps == 1 { "" } else { "s" },
            closed.as_millis()
        ),
        theme::VERMILLION,
        "The listener's gaps: each time it closed to serve a connection, and how long the port had no listener",
    );
}

/// Either server before Listen.
fn not_listening_chip_ui(ui: &mut egui::Ui) {
    chip(
        ui,
        "Not listening",
        theme::GREY,
        "IsListening is false; Handle is -1",
    );
}

/// The last listener error, with its code and meaning, in one chip.
pub fn error_chip_ui(ui: &mut egui::Ui, error: &SocketError) {
    chip(
        ui,
        format!("Error {} ({})", error.code(), error.meaning()),
        theme::VERMILLION,
        &error.to_string(),
    );
}

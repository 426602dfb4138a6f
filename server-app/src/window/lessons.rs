//! The server window's side of a lesson: the settings a lesson's step applies to the server.
//! (The Lessons panel itself is the shell's: `serversocket_ui::shell`.)

use serversocket_lessons::{ServerMode, Settings};

use super::ServerWindow;

/// What a step sets, applied as if the learner had typed it: stopping first, Min and Max at
/// once (even while listening), the rest at the next Listen. Client settings are the client's.
pub(super) fn apply(window: &mut ServerWindow, settings: &Settings) {
    if settings.stop == Some(true) {
        // Stop Listening, then Disconnect all, so the step's Listen button reads Listen and
        // no connection of before holds a Max place. In this order: a place a closing
        // connection frees while the listener still listens would go to a client waiting in
        // the kernel's queue, a new connection in the middle of the reset.
        if window.server.is_listening() {
            window.stop_listening();
        }
        window.server.close_all();
        // The rows of before go as they finish closing: none is taken for this step's.
        window.server.rows.forget_all();
        // A log shown for one socket of before would hide the new sockets' lines.
        window.log_view.socket_filter = None;
        // The counts start over with the session: "accepted" and the pool's AddSocket calls;
        // and a Listen of before's error chip ("Error 105") is not this step's.
        window.server.accepted = 0;
        window.server.listener_error = None;
        window.pipeline.forget_add_sockets();
    }
    if let Some(mode) = settings.mode {
        window.settings.naive = mode == ServerMode::Naive;
    }
    let port_before = window.settings.port.clone();
    settings.apply_port(
        &mut window.settings.port,
        &mut window.settings.lesson_port_before,
    );
    // The last Listen's error was of the port of before: beside the step's port, its
    // "Error 105" chip read as this port's.
    if window.settings.port != port_before {
        window.server.listener_error = None;
    }
    if let Some(backlog) = settings.backlog {
        window.settings.backlog = backlog;
    }
    if let Some(tls) = settings.tls {
        window.tls.enabled = tls;
    }
    if let Some(paused) = settings.paused {
        window.server.socket.set_accepting_paused(paused);
    }
    if let Some(capture) = settings.capture {
        window.packets_view.capture = capture;
        window.switch_capture(capture);
        // The step speaks of the Packets view: it is in front, as if the learner had opened it.
        if capture {
            window.view = super::views::View::Packets;
        }
    }
    if settings.min.is_some() || settings.max.is_some() {
        window.settings.min = settings.min.unwrap_or(window.settings.min);
        window.settings.max = settings.max.unwrap_or(window.settings.max);
        window.apply_limits();
    }
}

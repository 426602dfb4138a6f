//! A socket's kernel side in its row: the TCP state the kernel reports next to the socket's
//! own, and, for a client whose server runs on this machine, "in the server's accept queue"
//! while the server's kernel holds the connection but no server socket has accepted it.

use serversocket_kernel::TcpView;

use crate::SocketRow;

/// The colour of a connection the server's kernel holds in its accept queue (the server
/// window draws those waiting connections in the same colour).
pub const IN_ACCEPT_QUEUE_COLOR: egui::Color32 = crate::theme::IN_KERNEL;

/// What a learner is told about a client waiting in the server's accept queue.
pub const IN_ACCEPT_QUEUE_TIP: &str = "Accepted by the server's kernel, not yet by a server socket: the handshake is done, so connect succeeded, but the connection waits in the listener's accept queue until the server accepts it (e.g. its pool is at MaximumSocketsConnected)";

/// True while the server's kernel holds this client's connection in its accept queue.
#[must_use]
pub fn in_accept_queue(row: &SocketRow) -> bool {
    row.waits_in_accept_queue()
}

/// The State cell: the socket's state in its colour, then the kernel's TCP state; hovering
/// gives the kernel's queues and RTT.
pub fn state_cell_ui(ui: &mut egui::Ui, row: &SocketRow) {
    if in_accept_queue(row) {
        ui.colored_label(IN_ACCEPT_QUEUE_COLOR, "in accept queue")
            .on_hover_text(IN_ACCEPT_QUEUE_TIP);
    } else {
        ui.colored_label(row.state.color(), row.state.word())
            .on_hover_text(row.state.explanation());
    }
    // What the column cannot hold is cut at its end. While a secure socket is connected its
    // TLS version comes first (the kernel's ESTABLISHED says nothing "connected" does not,
    // and the version was cut to a lone "·"); otherwise the kernel's state does (TIME_WAIT
    // after a close is what the learner looks for).
    let kernel = |ui: &mut egui::Ui| {
        if let Some(view) = row.kernel {
            ui.weak(view.state.name()).on_hover_text(kernel_tip(&view));
        }
    };
    let tls = |ui: &mut egui::Ui| {
        if let Some(tls) = &row.tls {
            ui.weak(&tls.protocol).on_hover_text(format!(
                "Secured with TLS: {}, cipher suite {}, handshake {:.1} ms",
                tls.protocol,
                tls.cipher,
                tls.handshake.as_secs_f64() * 1000.0
            ));
        }
    };
    if row.state == crate::RowState::Connected {
        tls(ui);
        kernel(ui);
    } else {
        kernel(ui);
        tls(ui);
    }
}

/// The tooltip of a kernel state.
fn kernel_tip(view: &TcpView) -> String {
    format!(
        "What the kernel says of this connection: {}.\nUnread: bytes that arrived and the program has not read. Unacknowledged: bytes sent that the peer has not confirmed. RTT: the kernel's estimate of a round trip.",
        view.describe()
    )
}

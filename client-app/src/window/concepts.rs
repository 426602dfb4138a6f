//! The client's concepts, floating over the window like the server's: what connecting is, the
//! kernel's SYN_SENT, refused against reset, TIME_WAIT and ephemeral ports, each with a "Now:"
//! line pointing at what the window shows.

use serversocket_ui::{RowState, SocketRows};

/// One concept: its title, the explanation, and what it means on screen now.
struct Concept {
    title: &'static str,
    explanation: &'static str,
    now: String,
}

/// The concepts window, while `open`.
pub fn window_ui(ctx: &egui::Context, open: &mut bool, rows: &SocketRows) {
    let height = (ctx.content_rect().height() - 80.0).max(200.0);
    egui::Window::new("Concepts")
        .open(open)
        .anchor(egui::Align2::RIGHT_TOP, [-8.0, 40.0])
        .default_width(320.0)
        .default_height(height)
        .max_height(height)
        .resizable(true)
        .show(ctx, |ui| {
            ui.weak("What each part is, and where it is on screen now.");
            egui::ScrollArea::vertical().show(ui, |ui| {
                for concept in concepts(rows) {
                    egui::CollapsingHeader::new(concept.title)
                        .default_open(false)
                        .show(ui, |ui| {
                            ui.label(concept.explanation);
                            ui.label(
                                egui::RichText::new(format!("Now: {}", concept.now))
                                    .color(ui.visuals().hyperlink_color),
                            );
                        });
                }
            });
        });
}

/// The concepts with their live pointers.
fn concepts(rows: &SocketRows) -> Vec<Concept> {
    let ports: Vec<String> = rows
        .iter()
        .filter(|row| row.state == RowState::Connected)
        .filter_map(serversocket_ui::SocketRow::client_label)
        .take(3)
        .collect();
    vec![
        Concept {
            title: "Connect",
            explanation: "Connect asks the server's kernel for a connection: a three-way handshake (SYN, SYN-ACK, ACK). When it completes, the socket is Connected, even if the server's program has not accepted it yet: the connection may wait in the server's accept queue.",
            now: format!(
                "{} connecting, {} connected.",
                rows.count(RowState::Connecting),
                rows.count(RowState::Connected)
            ),
        },
        Concept {
            title: "SYN_SENT",
            explanation: "The kernel's state of a client socket that sent its SYN and waits for the answer. A server that does not answer (a full queue, a firewall) leaves it there while the kernel retries after 1 s, 3 s, 7 s…, until the connect times out.",
            now: format!(
                "{} sockets are connecting; the State column shows the kernel's state beside the socket's.",
                rows.count(RowState::Connecting)
            ),
        },
        Concept {
            title: "Refused or reset",
            explanation: "Refused: nothing listened on the port, and the server's kernel answered the SYN with a reset: the connection never existed (error 102 before Connected). Reset: the connection existed and the other side's kernel cut it (error 102 after Connected), e.g. a listener that closed with the connection still in its queue.",
            now: format!(
                "{} refused, {} cut before the server sent anything.",
                rows.refused(),
                rows.dropped_unserved()
            ),
        },
        Concept {
            title: "TIME_WAIT",
            explanation: "The side that closes first keeps the connection's name (its two addresses) for about a minute, so a late packet of the old connection cannot be taken for part of a new one. A client that closes first holds it, and its port stays taken meanwhile.",
            now: format!("{} sockets closed.", rows.count(RowState::Closed)),
        },
        Concept {
            title: "Ephemeral ports",
            explanation: "A client does not choose its port: the OS gives it a free one from its ephemeral range (on Linux 32768–60999). The pair of addresses names the connection, so the same port shows as the peer's port in the server window: \"client :46116\" is one connection in both windows.",
            now: if ports.is_empty() {
                "no connection yet.".to_owned()
            } else {
                format!("connected as {}.", ports.join(", "))
            },
        },
    ]
}

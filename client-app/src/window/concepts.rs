//! The client's concepts, floating over the window like the server's: what connecting is, the
//! kernel's SYN_SENT, refused against reset, TIME_WAIT, ephemeral ports, the segments on the
//! wire, and TLS (the
//! handshake, the certificate check, CA, pin, close_notify), each with a "Now:" line pointing
//! at what the window shows.

use serversocket_ui::packets::{self, Packets};
use serversocket_ui::tls_concepts::{
    CA, CERTIFICATE, CLOSE_NOTIFY, FINGERPRINT, HANDSHAKE, close_notify_now, concept_ui,
    handshake_now,
};
use serversocket_ui::{RowState, SocketRows};

use super::tls_setting::TlsSetting;

/// One concept: its title, the explanation, and what it means on screen now.
struct Concept {
    title: &'static str,
    explanation: &'static str,
    now: String,
}

/// The concepts window, while `open`, over `over` (the room the panels leave).
pub fn window_ui(
    ctx: &egui::Context,
    open: &mut bool,
    over: egui::Rect,
    rows: &SocketRows,
    tls: &TlsSetting,
    packets: &Packets,
) {
    serversocket_ui::concepts_window::concepts_window(ctx, open, over).show(ctx, |ui| {
        ui.weak("What each part is, and where it is on screen now.");
        egui::ScrollArea::vertical().show(ui, |ui| {
            for concept in concepts(rows) {
                concept_ui(ui, concept.title, concept.explanation, &concept.now);
            }
            concept_ui(
                ui,
                packets::CONCEPT_TITLE,
                packets::CONCEPT,
                &packets::concept_now(packets),
            );
            ui.separator();
            ui.strong("TLS");
            for concept in tls_concepts(rows, tls) {
                concept_ui(ui, concept.title, concept.explanation, &concept.now);
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
            explanation: "The kernel's state of a client socket that sent its SYN and waits for the answer. A server that does not answer (a full queue, a firewall) leaves it there while the kernel retries after 1 s, then again ever more slowly (how often depends on the kernel), until the connect times out.",
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
            now: {
                let closed = rows.count(RowState::Closed);
                let waiting: Vec<String> = rows
                    .iter()
                    .filter(|row| {
                        row.kernel
                            .is_some_and(|tcp| tcp.state == serversocket_kernel::TcpState::TimeWait)
                    })
                    .map(|row| row.id.to_string())
                    .collect();
                let closed = match closed {
                    1 => "1 socket closed".to_owned(),
                    n => format!("{n} sockets closed"),
                };
                match waiting.as_slice() {
                    [] => format!("{closed}; none in TIME_WAIT."),
                    [one] => format!("{closed}; socket {one} is in TIME_WAIT."),
                    many => format!("{closed}; sockets {} are in TIME_WAIT.", many.join(", ")),
                }
            },
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

/// The TLS concepts, pointing at the TLS row's choice and the secure sockets.
fn tls_concepts(rows: &SocketRows, tls: &TlsSetting) -> Vec<Concept> {
    let saved = tls.saved();
    let off = "TLS is off: tick TLS, then Connect to a server started with --tls (or `openssl s_server`).";
    let when_on = |now: String| if saved.enabled { now } else { off.to_owned() };
    let trust = if saved.insecure {
        "any certificate is accepted (insecure): the connection is encrypted, but the server is not checked.".to_owned()
    } else if !saved.pin.trim().is_empty() {
        "only the pinned certificate is trusted, whoever signed it; the name and expiry are not checked.".to_owned()
    } else {
        "a certificate is trusted when it names the host typed in Address, has not expired, and a trusted CA signed it.".to_owned()
    };
    let ca = if saved.insecure || !saved.pin.trim().is_empty() {
        "no CA is asked: the pin or 'accept any certificate' decides.".to_owned()
    } else if saved.ca.trim().is_empty() {
        "the system's roots only: a server's self-signed certificate fails with \"unknown CA\" until its file is given as CA file.".to_owned()
    } else {
        format!("the system's roots and {}.", saved.ca.trim())
    };
    let pin = if saved.pin.trim().is_empty() {
        "no pin: copy the server window's fingerprint (Copy) into pin to trust exactly its certificate.".to_owned()
    } else {
        format!("pinned to {}.", saved.pin.trim())
    };
    vec![
        Concept {
            title: "TLS handshake",
            explanation: HANDSHAKE,
            now: when_on(
                handshake_now(rows).unwrap_or_else(|| {
                    "no socket has connected since TLS was turned on.".to_owned()
                }),
            ),
        },
        Concept {
            title: "Certificate check",
            explanation: CERTIFICATE,
            now: when_on(trust),
        },
        Concept {
            title: "CA (certificate authority)",
            explanation: CA,
            now: when_on(ca),
        },
        Concept {
            title: "Fingerprint and pin",
            explanation: FINGERPRINT,
            now: when_on(pin),
        },
        Concept {
            title: "close_notify",
            explanation: CLOSE_NOTIFY,
            now: close_notify_now(rows),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every explanation reads as whole sentences.
    #[test]
    fn explanations_are_whole_sentences() {
        for concept in concepts(&SocketRows::default()) {
            test_support::assert_whole_sentences(concept.title, concept.explanation);
        }
        test_support::assert_whole_sentences(packets::CONCEPT_TITLE, packets::CONCEPT);
    }
}

//! The TLS concepts both concepts panels explain (handshake, certificate, CA, fingerprint,
//! close_notify), written once, with the "Now:" lines either window can read from its rows.

use crate::{RowState, SocketRows};

/// The handshake, as both sides see it.
pub const HANDSHAKE: &str = "After TCP connects, client and server exchange a few messages before any data: they agree on a protocol version and a cipher suite, the server proves it holds its certificate's key, and both derive the keys that encrypt the rest. Xojo's SSLSocket fires Connected only once this is done.";

/// What a certificate is.
pub const CERTIFICATE: &str = "A signed statement binding a name (localhost, 127.0.0.1) to a public key. The server sends it in the handshake; the client checks the name is the one it connected to, that it has not expired, and who signed it. A check that fails is an error, and the socket never fires Connected.";

/// Who signs certificates, and why a self-signed one is trusted by nobody until told.
pub const CA: &str = "Whoever signed a certificate. A client trusts a certificate when a CA it already trusts (the system's roots, or a CA file it is given) signed it. A generated certificate is self-signed, its own CA: no client trusts it until told to (a CA file, a pin, or 'accept any certificate').";

/// What a fingerprint is and what pinning it means.
pub const FINGERPRINT: &str = "The SHA-256 hash of the certificate: a short, unique name for exactly this certificate. Pinning it trusts this one certificate whoever signed it; comparing it by eye tells you that you reached the right server.";

/// TLS's goodbye.
pub const CLOSE_NOTIFY: &str = "TLS's goodbye: a small encrypted message sent before TCP's FIN, so the peer knows the data ended on purpose and was not cut off by an attacker. Closing a secure socket here sends it.";

/// Draws one concept as both panels do: a header that opens on its explanation and the
/// "Now:" line pointing at the window.
pub fn concept_ui(ui: &mut egui::Ui, title: &str, explanation: &str, now: &str) {
    egui::CollapsingHeader::new(title)
        .default_open(false)
        .show(ui, |ui| {
            ui.label(explanation);
            ui.label(
                egui::RichText::new(format!("Now: {now}")).color(ui.visuals().hyperlink_color),
            );
        });
}

/// The handshakes now: the sockets handshaking, else the last one done with its protocol,
/// cipher and duration; `None` when no socket has been secure yet.
#[must_use]
pub fn handshake_now(rows: &SocketRows) -> Option<String> {
    let handshaking: Vec<String> = rows
        .iter()
        .filter(|row| row.state == RowState::Handshaking)
        .map(|row| row.id.to_string())
        .collect();
    if !handshaking.is_empty() {
        return Some(format!(
            "socket {} is handshaking (its own colour in the rows).",
            handshaking.join(", ")
        ));
    }
    let (id, tls) = rows
        .iter()
        .filter_map(|row| Some((row.id, row.tls.as_ref()?)))
        .last()?;
    Some(format!(
        "socket {id}'s handshake took {:.1} ms and agreed on {} with {}.",
        tls.handshake.as_secs_f64() * 1000.0,
        tls.protocol,
        tls.cipher
    ))
}

/// The "Now:" line of close_notify: how many secure sockets have closed.
#[must_use]
pub fn close_notify_now(rows: &SocketRows) -> String {
    let closed = rows
        .iter()
        .filter(|row| row.tls.is_some() && matches!(row.state, RowState::Closed | RowState::Failed))
        .count();
    format!("{closed} secured sockets have closed so far.")
}

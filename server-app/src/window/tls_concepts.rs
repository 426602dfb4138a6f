//! The concepts panel's TLS part: handshake, certificate, CA, fingerprint and close_notify, in
//! plain sentences, each with what it looks like in this window now.

use serversocket::tls::ServerTls;
use serversocket_ui::{RowState, SocketRows};

/// What the TLS concepts point at.
pub struct Live<'a> {
    /// The certificate new connections are secured with; `None` while TLS is off.
    pub tls: Option<&'a ServerTls>,
    /// Every socket the window knows of.
    pub rows: &'a SocketRows,
}

/// Draws the TLS concepts, in the concepts panel's style.
pub fn ui(ui: &mut egui::Ui, live: &Live<'_>) {
    for (title, explanation, now) in concepts(live) {
        egui::CollapsingHeader::new(title)
            .default_open(false)
            .show(ui, |ui| {
                ui.label(explanation);
                ui.label(
                    egui::RichText::new(format!("Now: {now}")).color(ui.visuals().hyperlink_color),
                );
            });
    }
}

/// Each concept: title, explanation, what shows it now.
fn concepts(live: &Live<'_>) -> Vec<(&'static str, &'static str, String)> {
    let handshaking: Vec<String> = live
        .rows
        .iter()
        .filter(|row| row.state == RowState::Handshaking)
        .map(|row| row.id.to_string())
        .collect();
    let last_secured = live
        .rows
        .iter()
        .filter_map(|row| Some((row.id, row.tls.as_ref()?)))
        .last();
    let handshake_now = match (live.tls, handshaking.is_empty(), last_secured) {
        (None, _, _) => "TLS is off: tick TLS, then Listen, and connect with `openssl s_client -connect 127.0.0.1:PORT -quiet`.".to_owned(),
        (Some(_), false, _) => format!("socket {} is handshaking (its own colour in the tiles).", handshaking.join(", ")),
        (Some(_), true, Some((id, tls))) => format!(
            "socket {id}'s handshake took {:.1} ms and agreed on {} with {}.",
            tls.handshake.as_secs_f64() * 1000.0,
            tls.protocol,
            tls.cipher
        ),
        (Some(_), true, None) => "no client has connected since TLS was turned on.".to_owned(),
    };
    let certificate_now = live.tls.map_or_else(
        || "TLS is off: no certificate is presented.".to_owned(),
        |tls| {
            format!(
                "every client is shown the certificate in {}.",
                tls.source().display()
            )
        },
    );
    let fingerprint_now = live.tls.map_or_else(
        || "TLS is off.".to_owned(),
        |tls| {
            format!(
                "{}: `client-app --headless --tls --pin {}` trusts exactly this certificate.",
                tls.fingerprint(),
                tls.fingerprint()
            )
        },
    );
    let closed_secure = live
        .rows
        .iter()
        .filter(|row| row.tls.is_some() && matches!(row.state, RowState::Closed | RowState::Failed))
        .count();
    vec![
        (
            "TLS handshake",
            "After TCP connects, client and server exchange a few messages before any data: they agree on a protocol version and a cipher suite, the server proves it holds its certificate's key, and both derive the keys that encrypt the rest. Xojo's SSLSocket fires Connected only once this is done.",
            handshake_now,
        ),
        (
            "Certificate",
            "A signed statement binding a name (localhost, 127.0.0.1) to a public key. The server sends it in the handshake; the client checks the name is the one it connected to, that it has not expired, and who signed it.",
            certificate_now,
        ),
        (
            "CA (certificate authority)",
            "Whoever signed a certificate. A client trusts a certificate when a CA it already trusts (the system's roots, or a CA file it is given) signed it. A generated certificate is self-signed, its own CA: no client trusts it until told to (a CA file, a pin, or 'accept any certificate').",
            live.tls.map_or_else(
                || "TLS is off.".to_owned(),
                |tls| {
                    format!(
                        "a client trusts this server with `--ca {}`.",
                        tls.source().display()
                    )
                },
            ),
        ),
        (
            "Fingerprint",
            "The SHA-256 hash of the certificate: a short, unique name for exactly this certificate. Pinning it trusts this one certificate whoever signed it; comparing it by eye tells you that you reached the right server.",
            fingerprint_now,
        ),
        (
            "close_notify",
            "TLS's goodbye: a small encrypted message sent before TCP's FIN, so the peer knows the data ended on purpose and was not cut off by an attacker. Closing a secure socket here sends it.",
            format!("{closed_secure} secured sockets have closed so far."),
        ),
    ]
}

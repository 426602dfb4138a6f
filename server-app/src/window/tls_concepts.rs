//! The server's TLS concepts: handshake, certificate, CA, fingerprint and close_notify (their
//! words are shared with the client, [`serversocket_ui::tls_concepts`]), each with what it
//! looks like in this window now.

use serversocket::tls::ServerTls;
use serversocket_ui::SocketRows;
use serversocket_ui::tls_concepts::{
    CA, CERTIFICATE, CLOSE_NOTIFY, FINGERPRINT, HANDSHAKE, close_notify_now, concept_ui,
    handshake_now,
};

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
        concept_ui(ui, title, explanation, &now);
    }
}

/// Each concept: title, explanation, what shows it now.
fn concepts(live: &Live<'_>) -> Vec<(&'static str, &'static str, String)> {
    let off = || "TLS is off.".to_owned();
    let handshake = match live.tls {
        None => "TLS is off: tick TLS, then Listen, and connect with `openssl s_client -connect 127.0.0.1:PORT -quiet`.".to_owned(),
        Some(_) => handshake_now(live.rows)
            .unwrap_or_else(|| "no client has connected since TLS was turned on.".to_owned()),
    };
    let certificate = live.tls.map_or_else(
        || "TLS is off: no certificate is presented.".to_owned(),
        |tls| {
            format!(
                "every client is shown the certificate in {}.",
                tls.source().display()
            )
        },
    );
    let ca = live.tls.map_or_else(off, |tls| {
        format!(
            "a client trusts this server with `--ca {}`.",
            tls.source().display()
        )
    });
    let fingerprint = live.tls.map_or_else(off, |tls| {
        format!(
            "{}: `client-app --headless --tls --pin {}` trusts exactly this certificate.",
            tls.fingerprint(),
            tls.fingerprint()
        )
    });
    vec![
        ("TLS handshake", HANDSHAKE, handshake),
        ("Certificate", CERTIFICATE, certificate),
        ("CA (certificate authority)", CA, ca),
        ("Fingerprint", FINGERPRINT, fingerprint),
        ("close_notify", CLOSE_NOTIFY, close_notify_now(live.rows)),
    ]
}

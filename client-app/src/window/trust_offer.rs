//! "Trust this certificate", as ssh offers on first contact: after a TLS connect failed
//! because the server's certificate is signed by a CA this client does not trust (a server's
//! own self-signed certificate, the usual case in a lab), the window shows that certificate's
//! SHA-256 fingerprint and offers to pin it. The fingerprint comes from a probe: one more
//! connection that accepts any certificate only to read which one the server presents; it
//! sends nothing and is closed as soon as the handshake is done.

use std::sync::Arc;
use std::time::Duration;

use serversocket::tls::{ClientTls, Trust};
use serversocket::{Event, EventReceiver, Passive, Runtime, SocketIds, TcpSocket, event_channel};

/// What the probe found out, or is finding out.
pub struct TrustOffer {
    /// The probe while its handshake runs.
    probe: Option<(TcpSocket, EventReceiver)>,
    /// The fingerprint the server presented (lowercase hex).
    fingerprint: Option<String>,
    /// Why the probe could not read one.
    failed: Option<String>,
}

/// What the learner chose.
pub enum Choice {
    /// Pin this fingerprint.
    Trust(String),
    /// Close the offer.
    Dismiss,
}

impl TrustOffer {
    /// Starts a probe of `host`:`port` on `runtime`; `wake` runs when it has news (the
    /// window's repaint).
    pub fn probe(
        runtime: &Runtime,
        (host, port): (&str, u16),
        timeout: Duration,
        wake: serversocket::Waker,
    ) -> Self {
        let (events, receiver) = event_channel(Some(wake));
        match ClientTls::new(Trust::AnyCertificate) {
            Ok(tls) => {
                let socket = TcpSocket::builder(host, port)
                    .timeout(timeout)
                    .tls(Arc::new(tls))
                    .connect(runtime, &SocketIds::new(), Passive, events);
                Self {
                    probe: Some((socket, receiver)),
                    fingerprint: None,
                    failed: None,
                }
            }
            Err(error) => Self {
                probe: None,
                fingerprint: None,
                failed: Some(error.to_string()),
            },
        }
    }

    /// Takes the probe's news: its handshake done (the fingerprint) or its failure.
    pub fn poll(&mut self) {
        let Some((socket, receiver)) = &mut self.probe else {
            return;
        };
        while let Some(event) = receiver.try_recv() {
            match event {
                Event::Secured { tls, .. } => {
                    self.fingerprint = tls.peer_fingerprint;
                    if self.fingerprint.is_none() {
                        self.failed = Some("the server presented no certificate".to_owned());
                    }
                }
                Event::Error { error, .. } => self.failed = Some(error.to_string()),
                _ => {}
            }
        }
        if self.fingerprint.is_some() || self.failed.is_some() {
            socket.close();
            self.probe = None;
        }
    }

    /// The fingerprint, once read.
    #[must_use]
    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// The offer under the TLS row; returns what the learner chose, if anything.
    pub fn ui(&self, ui: &mut egui::Ui) -> Option<Choice> {
        let mut choice = None;
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The server's certificate is signed by a CA this client does not trust.",
            );
            match (self.fingerprint(), &self.failed) {
                (Some(fingerprint), _) => {
                    let start = &fingerprint[..16.min(fingerprint.len())];
                    ui.label(format!("Its fingerprint: SHA-256 {start}…"))
                        .on_hover_text(format!(
                            "SHA-256 {}\nCompare it with the one the server window shows under TLS: the same, and this is your server",
                            grouped(fingerprint)
                        ));
                    if ui
                        .button("Trust this certificate")
                        .on_hover_text("Pin this fingerprint: new sockets trust exactly this certificate, whoever signed it")
                        .clicked()
                    {
                        choice = Some(Choice::Trust(fingerprint.to_owned()));
                    }
                }
                (None, Some(why)) => {
                    ui.weak(format!("Its fingerprint could not be read: {why}"));
                }
                (None, None) => {
                    ui.weak("Reading its fingerprint…");
                }
            }
            if ui.small_button("Dismiss").clicked() {
                choice = Some(Choice::Dismiss);
            }
        });
        choice
    }
}

/// `ab:cd:ef:…`, the way the server window and openssl show a fingerprint.
fn grouped(fingerprint: &str) -> String {
    fingerprint
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

//! "Trust this certificate", as ssh offers on first contact: after a TLS connect failed
//! because the server's certificate is signed by a CA this client does not trust (a server's
//! own self-signed certificate, the usual case in a lab), the window shows that certificate's
//! SHA-256 fingerprint and offers to pin it. The fingerprint is the one the refused handshake
//! presented ([`serversocket::tls::ClientTls::refused_certificate`]): no other connection is
//! made to read it, so the server sees only the learner's own.

/// The certificate a refused handshake presented, offered for trust.
pub struct TrustOffer {
    /// The fingerprint the server presented (lowercase hex), when the handshake kept it.
    fingerprint: Option<String>,
}

/// What the learner chose.
pub enum Choice {
    /// Pin this fingerprint.
    Trust(String),
    /// Close the offer.
    Dismiss,
}

impl TrustOffer {
    /// The offer of the certificate with `fingerprint`; `None` says it could not be read.
    pub fn new(fingerprint: Option<String>) -> Self {
        Self { fingerprint }
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
            match self.fingerprint() {
                Some(fingerprint) => {
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
                None => {
                    ui.weak("Its fingerprint could not be read from the refused handshake.");
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

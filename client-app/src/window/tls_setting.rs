//! The client window's TLS switch: whom a secure socket trusts (the system's roots plus a CA
//! file, a pinned fingerprint, or anyone, which is marked insecure).

use std::path::PathBuf;
use std::sync::Arc;

use serversocket::tls::{ClientTls, Trust};

use crate::tls_args::TlsArgs;

/// What the user chose for new sockets.
#[derive(Debug, Default)]
pub struct TlsSetting {
    /// Connect with TLS.
    enabled: bool,
    /// A CA file to trust besides the system's roots, as typed (empty: none).
    ca: String,
    /// A SHA-256 fingerprint to pin, as typed (empty: none).
    pin: String,
    /// Accept any certificate (insecure, for teaching).
    insecure: bool,
    /// Why the settings cannot be used.
    problem: Option<String>,
}

impl TlsSetting {
    /// Turns TLS on or off for new sockets (a lesson's step).
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Accepts any certificate, or checks it again (a lesson's step).
    pub fn set_insecure(&mut self, insecure: bool) {
        self.insecure = insecure;
    }

    /// The setting the command line asked for (`--tls`, `--ca`, `--pin`, `--tls-insecure`).
    #[must_use]
    pub fn from_args(args: &TlsArgs) -> Self {
        Self {
            enabled: args.tls,
            ca: args
                .ca
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            pin: args.pin.clone().unwrap_or_default(),
            insecure: args.tls_insecure,
            problem: None,
        }
    }

    /// The settings for sockets connected now (`None` with TLS off); `Err` when they cannot
    /// be used (the row says why, and nothing should connect).
    pub fn client_tls(&mut self) -> Result<Option<Arc<ClientTls>>, ()> {
        if !self.enabled {
            return Ok(None);
        }
        let trust = if self.insecure {
            Ok(Trust::AnyCertificate)
        } else if !self.pin.trim().is_empty() {
            Trust::pin(&self.pin)
        } else {
            let ca = self.ca.trim();
            Ok(Trust::Roots {
                ca_file: (!ca.is_empty()).then(|| PathBuf::from(ca)),
            })
        };
        match trust.and_then(ClientTls::new) {
            Ok(tls) => {
                self.problem = None;
                Ok(Some(Arc::new(tls)))
            }
            Err(error) => {
                self.problem = Some(error.to_string());
                Err(())
            }
        }
    }

    /// The TLS row.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut self.enabled, "TLS").on_hover_text(
                "Connect with TLS (Xojo's SSLSocket): after TCP connects, the TLS handshake runs, and Connected fires once the server's certificate is checked and the keys are agreed",
            );
            if !self.enabled {
                return;
            }
            ui.add_enabled_ui(!self.insecure, |ui| {
                let label = ui.label("CA file");
                ui.add(
                    egui::TextEdit::singleline(&mut self.ca)
                        .hint_text("system roots only")
                        .desired_width(110.0),
                )
                .labelled_by(label.id)
                .on_hover_text("A CA certificate (PEM) trusted besides the system's roots, e.g. the server's self-signed certificate");
                let label = ui.label("pin");
                ui.add(
                    egui::TextEdit::singleline(&mut self.pin)
                        .hint_text("SHA-256 fingerprint")
                        .desired_width(110.0),
                )
                .labelled_by(label.id)
                .on_hover_text("Trust only the certificate with this SHA-256 fingerprint (the server window shows and copies it), whoever signed it");
            });
            ui.checkbox(&mut self.insecure, "accept any certificate (insecure)")
                .on_hover_text("Checks nothing: the connection is encrypted, but to whom is unknown. For teaching only.");
            if self.insecure {
                ui.colored_label(ui.visuals().warn_fg_color, "INSECURE: the server is not checked");
            }
            if let Some(problem) = &self.problem {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
        });
    }
}

//! The server window's TLS switch: secure connections with certificate files or a generated
//! self-signed certificate, and the certificate's fingerprint with a copy button; the choice is
//! remembered between runs.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use serversocket::tls::{ServerTls, TlsFile, data_folder, file_warning};
use serversocket_ui::field::labelled;

use crate::tls_args::{DATA_FOLDER_NAME, TlsArgs};

/// The part of the choice kept between runs (in the window's settings).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SavedTls {
    /// TLS on.
    pub enabled: bool,
    /// Certificate files rather than the generated certificate.
    pub use_files: bool,
    /// The certificate chain file, as typed.
    pub cert: String,
    /// The key file, as typed.
    pub key: String,
}

/// What the user chose, and the certificate that choice gave.
#[derive(Debug, Default)]
pub struct TlsSetting {
    /// Secure new connections with TLS.
    pub enabled: bool,
    /// Use these files instead of the generated certificate.
    use_files: bool,
    /// The certificate chain file, as typed.
    cert: String,
    /// The key file, as typed.
    key: String,
    /// The certificate in use (loaded at the last Listen with TLS on).
    loaded: Option<Arc<ServerTls>>,
    /// Why the chosen certificate cannot be used.
    problem: Option<String>,
    /// What is wrong with a certificate that can still be used: a key file other users of
    /// the machine can read (the same words `--key` prints on stderr).
    warning: Option<String>,
}

impl TlsSetting {
    /// The choice remembered from the last run, with the command line's flags on top (`--tls`
    /// turns TLS on; `--cert`/`--key` choose files).
    #[must_use]
    pub fn new(saved: &SavedTls, args: &TlsArgs) -> Self {
        let mut setting = Self {
            enabled: saved.enabled || args.tls,
            use_files: saved.use_files,
            cert: saved.cert.clone(),
            key: saved.key.clone(),
            ..Self::default()
        };
        if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
            setting.use_files = true;
            setting.cert = cert.display().to_string();
            setting.key = key.display().to_string();
        }
        setting
    }

    /// The choice to remember.
    #[must_use]
    pub fn saved(&self) -> SavedTls {
        SavedTls {
            enabled: self.enabled,
            use_files: self.use_files,
            cert: self.cert.clone(),
            key: self.key.clone(),
        }
    }

    /// The certificate to listen with (`None` with TLS off), loaded or generated now; `Err`
    /// when it cannot be had (the widget then says why, and Listen should not go on).
    pub fn certificate(&mut self) -> Result<Option<Arc<ServerTls>>, ()> {
        if !self.enabled {
            return Ok(None);
        }
        let made = if self.use_files {
            ServerTls::from_pem_files(self.cert.trim().as_ref(), self.key.trim().as_ref())
        } else {
            ServerTls::self_signed_in(&data_folder(DATA_FOLDER_NAME))
        };
        self.warning = (self.use_files && made.is_ok())
            .then(|| {
                let warnings = [
                    file_warning(self.cert.trim().as_ref(), TlsFile::Certificate),
                    file_warning(self.key.trim().as_ref(), TlsFile::Key),
                    made.as_ref().ok().and_then(|tls| {
                        let problem = tls.date_problem(std::time::SystemTime::now())?;
                        Some(format!("warning: {problem}"))
                    }),
                ];
                let said = warnings.into_iter().flatten().collect::<Vec<_>>();
                (!said.is_empty()).then(|| said.join("\n"))
            })
            .flatten();
        match made {
            Ok(tls) => {
                let tls = Arc::new(tls);
                self.loaded = Some(Arc::clone(&tls));
                self.problem = None;
                Ok(Some(tls))
            }
            Err(error) => {
                self.problem = Some(error.to_string());
                Err(())
            }
        }
    }

    /// The TLS row: the switch, where the certificate comes from, its fingerprint. Locked
    /// while listening (it applies at Listen).
    pub fn ui(&mut self, ui: &mut egui::Ui, listening: bool) {
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled_ui(!listening, |ui| {
                let tip = "Secure each connection with TLS (Xojo's SSLSocket): the client and server run a handshake after TCP connects, and Connected fires once it is done. Applies at Listen, in pool mode (the naive socket is plain TCP).";
                let tip = super::settings::fixed_while_listening(tip, listening);
                let _ = serversocket_ui::field::explain(ui.checkbox(&mut self.enabled, "TLS"), &tip);
                if self.enabled {
                    ui.radio_value(&mut self.use_files, false, "generate")
                        .on_hover_text("A self-signed certificate for localhost, 127.0.0.1 and ::1, made once and kept in this app's data folder");
                    ui.radio_value(&mut self.use_files, true, "files");
                    if self.use_files {
                        labelled(
                            ui,
                            "certificate",
                            egui::TextEdit::singleline(&mut self.cert)
                                .hint_text("cert.pem")
                                .desired_width(110.0),
                            "The certificate chain, PEM, leaf first",
                        );
                        labelled(
                            ui,
                            "key",
                            egui::TextEdit::singleline(&mut self.key)
                                .hint_text("key.pem")
                                .desired_width(110.0),
                            "The certificate's private key, PEM",
                        );
                    }
                }
            });
            if let Some(problem) = &self.problem {
                // A sentence of its own, from a line's start: at a row's end it began with a
                // lone "cannot" and went on under the fields.
                ui.end_row();
                ui.colored_label(ui.visuals().error_fg_color, problem);
            } else if let Some(tls) = self.loaded.as_ref().filter(|_| self.enabled) {
                let fingerprint = tls.fingerprint();
                // One phrase: "SHA-256" ended a line with the fingerprint under it.
                serversocket_ui::theme::phrase(
                    ui,
                    format!("SHA-256 {}…", &fingerprint[..16.min(fingerprint.len())]),
                )
                .on_hover_text(format!(
                        "The certificate's SHA-256 fingerprint: {fingerprint}\nA client can pin it (--pin) to trust exactly this certificate; `openssl x509 -fingerprint -sha256` shows the same, with colons."
                    ));
                if ui.small_button("Copy").on_hover_text("Copy the whole fingerprint").clicked() {
                    ui.ctx().copy_text(fingerprint.to_owned());
                }
                if let Some(warning) = &self.warning {
                    ui.end_row();
                    ui.colored_label(ui.visuals().warn_fg_color, warning);
                }
            }
        });
    }
}

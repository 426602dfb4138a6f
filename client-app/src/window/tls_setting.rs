//! The client window's TLS switch: whom a secure socket trusts (the system's roots plus a CA
//! file, a pinned fingerprint, or anyone, which is marked insecure); the choice is remembered
//! between runs.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serversocket::tls::{ClientTls, TlsFile, Trust, file_warning};
use serversocket_ui::field::labelled;

use crate::tls_args::TlsArgs;

/// Under this many points high, the insecure warning is shortened to "INSECURE" where its
/// words do not fit on the TLS row, rather than given a line of its own.
const SHORT_SCREEN_HEIGHT: f32 = 700.0;
/// The part of the choice kept between runs (in the window's settings).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SavedTls {
    /// TLS on.
    pub enabled: bool,
    /// The CA file, as typed.
    pub ca: String,
    /// The pinned fingerprint, as typed.
    pub pin: String,
    /// Accept any certificate (the window keeps saying it is insecure).
    pub insecure: bool,
}

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
    /// A CA file that others could replace (and so choose whom we trust), said while it is in
    /// use: the user chose it, so it is used.
    warning: Option<String>,
    /// The settings the last Connect used, which remember the certificate they refused last.
    in_use: Option<Arc<ClientTls>>,
}

impl TlsSetting {
    /// Turns TLS on or off for new sockets (a lesson's step).
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// The fingerprint of the certificate `host` presented and the last Connect's settings
    /// refused, if one was.
    #[must_use]
    pub fn refused_certificate(&self, host: &str) -> Option<String> {
        self.in_use.as_ref()?.refused_certificate(host)
    }

    /// Trusts exactly the certificate with this SHA-256 fingerprint from now on (the trust
    /// offer's "Trust this certificate"), checking certificates again if they were not.
    pub fn pin_certificate(&mut self, fingerprint: String) {
        self.pin = fingerprint;
        self.insecure = false;
    }

    /// Accepts any certificate, or checks it again (a lesson's step).
    pub fn set_insecure(&mut self, insecure: bool) {
        self.insecure = insecure;
    }

    /// Trusts only the system's roots: no CA file, no pin, certificates checked (a lesson's
    /// step, and a lesson's start).
    pub fn trust_system_roots_only(&mut self) {
        self.ca.clear();
        self.pin.clear();
        self.insecure = false;
    }

    /// The choice remembered from the last run, with the command line's flags on top: `--tls`
    /// turns TLS on, and a trust flag (`--ca`, `--pin`, `--tls-insecure`) replaces the
    /// remembered trust whole, as the flags exclude each other.
    #[must_use]
    pub fn new(saved: &SavedTls, args: &TlsArgs) -> Self {
        let trust_from_args = args.ca.is_some() || args.pin.is_some() || args.tls_insecure;
        let (ca, pin, insecure) = if trust_from_args {
            (
                args.ca
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                args.pin.clone().unwrap_or_default(),
                args.tls_insecure,
            )
        } else {
            (saved.ca.clone(), saved.pin.clone(), saved.insecure)
        };
        Self {
            enabled: saved.enabled || args.tls,
            ca,
            pin,
            insecure,
            problem: None,
            warning: None,
            in_use: None,
        }
    }

    /// The choice to remember.
    #[must_use]
    pub fn saved(&self) -> SavedTls {
        SavedTls {
            enabled: self.enabled,
            ca: self.ca.clone(),
            pin: self.pin.clone(),
            insecure: self.insecure,
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
                self.warning = match tls.trust() {
                    Trust::Roots { ca_file: Some(ca) } => file_warning(ca, TlsFile::Ca),
                    _ => None,
                };
                let tls = Arc::new(tls);
                self.in_use = Some(Arc::clone(&tls));
                Ok(Some(tls))
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
                labelled(
                    ui,
                    "CA file",
                    egui::TextEdit::singleline(&mut self.ca)
                        .hint_text("system roots only")
                        .desired_width(110.0),
                    "A CA certificate (PEM) trusted besides the system's roots, e.g. the server's self-signed certificate",
                );
                labelled(
                    ui,
                    "pin",
                    egui::TextEdit::singleline(&mut self.pin)
                        .hint_text("SHA-256 fingerprint")
                        .desired_width(110.0),
                    "Trust only the certificate with this SHA-256 fingerprint (the server window shows and copies it), whoever signed it",
                );
            });
            ui.checkbox(&mut self.insecure, "accept any certificate (insecure)")
                .on_hover_text("Checks nothing: the connection is encrypted, but to whom is unknown. For teaching only.");
            if !self.insecure {
                return;
            }
            // Where the row has no room for the words but has for "INSECURE" (an 800-point
            // window), that word stands for them, the words on hover: on a short screen a
            // line of its own takes a row of sockets from view.
            let warning = "INSECURE: the server is not checked";
            let width = |text: &str| serversocket_ui::theme::unwrapped_width(ui, &text.into());
            let room = ui.available_size_before_wrap().x;
            let short = "INSECURE";
            // A tall window (half a 1366×768 screen) has the line to spare: the words show.
            let short_screen = ui.ctx().content_rect().height() < SHORT_SCREEN_HEIGHT;
            let shown = if short_screen && room < width(warning) && room >= width(short) {
                short
            } else {
                warning
            };
            let color = ui.visuals().warn_fg_color;
            serversocket_ui::theme::phrase(ui, egui::RichText::new(shown).color(color))
                .on_hover_text(warning)
                // Read by a screen reader (and a test) as what it means.
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, warning));
        });
    }

    /// Why the TLS settings cannot be used, while they cannot: drawn at the top of the main
    /// view, not in the TLS row, where its two lines pushed Connect down under the pointer.
    pub fn problem_ui(&self, ui: &mut egui::Ui) {
        if let Some(problem) = self.problem.as_ref().filter(|_| self.enabled) {
            ui.colored_label(ui.visuals().error_fg_color, format!("TLS: {problem}"));
        } else if let Some(warning) = self.warning.as_ref().filter(|_| self.enabled) {
            ui.colored_label(ui.visuals().warn_fg_color, format!("TLS: {warning}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{SavedTls, TlsSetting};
    use crate::tls_args::TlsArgs;

    #[test]
    fn the_command_line_goes_on_top_of_the_remembered_choice() {
        let saved = SavedTls {
            enabled: false,
            ca: "old-ca.pem".to_owned(),
            pin: "aa".to_owned(),
            insecure: true,
        };
        let args = TlsArgs {
            tls: true,
            ca: Some(PathBuf::from("new-ca.pem")),
            ..TlsArgs::default()
        };
        let setting = TlsSetting::new(&saved, &args);
        assert_eq!(
            setting.saved(),
            SavedTls {
                enabled: true,
                ca: "new-ca.pem".to_owned(),
                pin: String::new(),
                insecure: false,
            }
        );
        let untouched = TlsSetting::new(&saved, &TlsArgs::default());
        assert_eq!(untouched.saved(), saved);
    }
}

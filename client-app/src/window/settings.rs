//! The client's settings: where to connect, how long to wait, and the seed's behaviours as
//! toggles; validated as typed and remembered between runs.

use serde::{Deserialize, Serialize};
use serversocket::bounds::{Count, DEFAULT_IN_FLIGHT, IN_FLIGHT_CEILING};
use serversocket::server_socket::DEFAULT_PORT;
use serversocket_app::{parse_host, parse_remote_port};
use serversocket_ui::field::{labelled, number};

use crate::Args;

/// What the user set (persisted).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ClientSettings {
    /// The server's host name or address, as typed.
    pub address: String,
    /// The server's port, as typed.
    pub port: String,
    /// How many sockets Connect ×N opens.
    pub burst: usize,
    /// How many connects may be under way at once (`--in-flight`).
    pub in_flight: usize,
    /// How long a connect may take, name lookup included.
    pub timeout_seconds: u64,
    /// Write `Socket N connected!` once connected (the seed's Connected handler).
    pub say_hello: bool,
    /// Reply ` I got something from you.` to every message (the seed's DataAvailable handler).
    pub reply: bool,
    /// Log `Socket N: <data>` on DataAvailable.
    pub log_data: bool,
    /// Log `Socket N send complete.` on SendComplete.
    pub log_send_complete: bool,
    /// Log `Socket N: Error = <code> (<meaning>)` on Error.
    pub log_errors: bool,
    /// The send box's recent texts, newest first (bounded by the send box), kept between runs.
    pub send_history: Vec<String>,
    /// TLS on or off, and whom it trusts (applies to sockets connected from then on).
    pub tls: super::tls_setting::SavedTls,
    /// The lesson in progress, resumed at the next start.
    pub lesson: serversocket_ui::lesson_panel::SavedLesson,
    /// The port this window had before a lesson's step moved it (lesson 5's 2999 or 80),
    /// which a later step and the next lesson's start put back.
    pub lesson_port_before: Option<String>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            address: "127.0.0.1".to_owned(),
            port: DEFAULT_PORT.to_string(),
            burst: 10,
            in_flight: DEFAULT_IN_FLIGHT,
            timeout_seconds: serversocket::DEFAULT_CONNECT_TIMEOUT.as_secs(),
            say_hello: true,
            reply: true,
            log_data: true,
            log_send_complete: true,
            log_errors: true,
            send_history: Vec::new(),
            tls: super::tls_setting::SavedTls::default(),
            lesson: serversocket_ui::lesson_panel::SavedLesson::default(),
            lesson_port_before: None,
        }
    }
}

impl ClientSettings {
    /// The remembered settings, with command-line flags that differ from their defaults on top.
    #[must_use]
    pub fn from_args(remembered: Option<Self>, args: &Args) -> Self {
        let mut settings = remembered.unwrap_or_default();
        if args.address != "127.0.0.1" {
            settings.address.clone_from(&args.address);
        }
        if args.port != DEFAULT_PORT {
            settings.port = args.port.to_string();
        }
        if args.in_flight != DEFAULT_IN_FLIGHT {
            settings.in_flight = args.in_flight;
        }
        settings
    }

    /// Whether the seed's handlers, as toggled, log this event.
    #[must_use]
    pub fn logs(&self, event: &serversocket::Event) -> bool {
        use serversocket::Event;
        match event {
            Event::Data { .. } => self.log_data,
            Event::SendComplete { .. } => self.log_send_complete,
            Event::Error { .. } => self.log_errors,
            _ => true,
        }
    }

    /// The host and port, or why they cannot be used.
    ///
    /// # Errors
    /// A sentence saying what is wrong with the address or the port.
    pub fn validated(&self) -> Result<(String, u16), String> {
        let host = parse_host(&self.address).map_err(|error| error.to_string())?;
        let port = parse_remote_port(&self.port).map_err(|error| error.to_string())?;
        Ok((host, port))
    }

    /// Connect ×N's N, or why it cannot be used: the bounds and words of `--connect`
    /// ([`Count::Connect`]).
    ///
    /// # Errors
    /// The sentence naming the setting and the limit it passed.
    pub fn validated_burst(&self) -> Result<usize, String> {
        Count::Connect
            .check(self.burst as u64)
            .map(|_| self.burst)
            .map_err(|error| error.to_string())
    }

    /// The "at once" setting, or why it cannot be used: the bounds and words of `--in-flight`
    /// ([`Count::InFlight`]).
    ///
    /// # Errors
    /// The sentence naming the setting and the limit it passed.
    pub fn validated_in_flight(&self) -> Result<usize, String> {
        Count::InFlight
            .check(self.in_flight as u64)
            .map(|_| self.in_flight)
            .map_err(|error| error.to_string())
    }

    /// Draws the settings; returns true when Enter was pressed in the address or port field.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut enter_pressed = false;
        ui.horizontal_wrapped(|ui| {
            let address = labelled(
                ui,
                "Address:",
                egui::TextEdit::singleline(&mut self.address).desired_width(180.0),
                "The server's host name or IP address (IPv4 or IPv6)",
            );
            let port = labelled(
                ui,
                "Port:",
                egui::TextEdit::singleline(&mut self.port).desired_width(60.0),
                "The port the server listens on",
            );
            enter_pressed = (address.lost_focus() || port.lost_focus())
                && ui.input(|i| i.key_pressed(egui::Key::Enter));
            labelled(
                ui,
                "Timeout:",
                number(&mut self.timeout_seconds, 1..=120, " s"),
                "How long a connect may take, name lookup included, before it fails",
            );
            // Connect ×N's own settings, on this row so that the top row keeps its buttons
            // on one line at 800 points wide.
            labelled(
                ui,
                "N:",
                serversocket_ui::field::count(&mut self.burst, 1..=1000),
                "How many sockets Connect ×N opens",
            );
            labelled(
                ui,
                "at once:",
                serversocket_ui::field::count(&mut self.in_flight, 1..=IN_FLIGHT_CEILING),
                "How many connects may be under way at once; the others start as these connect or fail (--in-flight)",
            );
        });
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(
                &mut self.say_hello,
                "On Connected, write \"Socket N connected!\"",
            )
            .on_hover_text(
                "The seed's Connected handler (applies to sockets connected from now on)",
            );
            ui.checkbox(
                &mut self.reply,
                "On DataAvailable, reply \" I got something from you.\"",
            )
            .on_hover_text(
                "The seed's DataAvailable handler (applies to sockets connected from now on)",
            );
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Log:");
            ui.checkbox(&mut self.log_data, "DataAvailable (\"Socket N: …\")")
                .on_hover_text("The seed's DataAvailable handler logs what arrived");
            ui.checkbox(&mut self.log_send_complete, "SendComplete")
                .on_hover_text("The seed's SendComplete handler logs \"Socket N send complete.\"");
            ui.checkbox(&mut self.log_errors, "Error")
                .on_hover_text("The seed's Error handler logs \"Socket N: Error = <code>\"");
        });
        let problems = [
            self.validated().err(),
            self.validated_burst().err(),
            self.validated_in_flight().err(),
        ];
        for reason in problems.into_iter().flatten() {
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
        enter_pressed
    }
}

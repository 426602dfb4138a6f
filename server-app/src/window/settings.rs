//! The server's settings bar: NetworkInterface, Port, MinimumSocketsAvailable,
//! MaximumSocketsConnected and the greeting, validated as typed and remembered between runs.

use std::net::IpAddr;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use serversocket::bounds::{MAXIMUM_SOCKETS_CONNECTED_CEILING, MINIMUM_SOCKETS_AVAILABLE_CEILING};
use serversocket::seed::SERVER_GREETING;
use serversocket::server_socket::{
    DEFAULT_BACKLOG, DEFAULT_MAXIMUM_SOCKETS_CONNECTED, DEFAULT_MINIMUM_SOCKETS_AVAILABLE,
    DEFAULT_NETWORK_INTERFACE, DEFAULT_PORT,
};
use serversocket_app::parse_port;
use serversocket_ui::field::{count, explain, explained, labelled, number};
use serversocket_ui::lesson_panel::mark;

use crate::reply_args::ReplyKind;
use crate::{Args, DEFAULT_RELISTEN_DELAY_MS, Mode};

/// The addresses always offered in the interface picker.
const WELL_KNOWN_INTERFACES: [(&str, &str); 4] = [
    ("127.0.0.1", "IPv4 loopback: only this machine can connect"),
    ("::1", "IPv6 loopback: only this machine can connect"),
    (
        "0.0.0.0",
        "every IPv4 interface: reachable from the network",
    ),
    (
        "::",
        "every IPv6 and IPv4 interface: reachable from the network",
    ),
];

/// The longest slow-motion handoff delay the window offers.
pub const MAX_HANDOFF_DELAY_MS: u64 = 2000;

/// One choice of the interface picker: an address and what choosing it means.
pub type InterfaceChoice = (String, String);

/// The picker's choices: loopback and "every interface" first, then this machine's own
/// addresses (read once, when the window opens).
#[must_use]
pub fn interface_choices() -> Vec<InterfaceChoice> {
    let mut choices: Vec<InterfaceChoice> = WELL_KNOWN_INTERFACES
        .iter()
        .map(|(address, meaning)| ((*address).to_owned(), (*meaning).to_owned()))
        .collect();
    for interface in if_addrs::get_if_addrs().unwrap_or_default() {
        let address = interface.ip().to_string();
        if !choices.iter().any(|(known, _)| *known == address) {
            let meaning = if interface.is_loopback() {
                format!("{}: loopback, only this machine", interface.name)
            } else {
                format!("{}: reachable from its network", interface.name)
            };
            choices.push((address, meaning));
        }
    }
    choices
}

/// What the user set (persisted).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ServerSettings {
    /// NetworkInterface, as typed.
    pub interface: String,
    /// Port, as typed.
    pub port: String,
    /// MinimumSocketsAvailable.
    pub min: usize,
    /// MaximumSocketsConnected.
    pub max: usize,
    /// What each pooled socket writes when connected.
    pub greeting: String,
    /// Listen with the naive single re-listening socket instead of a ServerSocket.
    pub naive: bool,
    /// In naive mode, how long the single socket stays closed after each connection.
    pub relisten_delay_ms: u64,
    /// Slow motion: how long each accepted connection waits before its handoff (pool mode).
    pub handoff_delay_ms: u64,
    /// Close a connection silent this long, in seconds (pool mode); 0 = never, as in Xojo.
    pub idle_timeout_seconds: u64,
    /// The concepts panel is open.
    pub show_concepts: bool,
    /// How each pooled socket answers.
    pub reply: super::reply_setting::ReplySetting,
    /// The lesson in progress, resumed at the next start.
    pub lesson: serversocket_ui::lesson_panel::SavedLesson,
    /// The port this window had before a lesson's step moved it (lesson 5's 2999 or 80),
    /// which a later step and the next lesson's start put back.
    pub lesson_port_before: Option<String>,
    /// TLS on or off, and with which certificate (applies at Listen).
    pub tls: super::tls_setting::SavedTls,
    /// The backlog: how many connections the kernel may hold for the pool (applies at Listen).
    pub backlog: u32,
    /// The system's cap on the backlog (read once, not persisted).
    #[serde(skip)]
    pub backlog_cap: Option<u32>,
    /// Why the last Min/Max change was refused, a sentence for each field (not persisted).
    #[serde(skip)]
    pub limits_errors: Vec<String>,
    /// The ports the OS gives outgoing connections, read once when the settings are made (not
    /// persisted): a listener there can meet error 105 while nothing listens.
    #[serde(skip)]
    pub ephemeral_ports: Option<RangeInclusive<u16>>,
    /// The ports below which this program may not listen (read once, not persisted); `None`
    /// when it may listen on any (root) or the OS does not say.
    #[serde(skip)]
    pub privileged_below: Option<u16>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            interface: DEFAULT_NETWORK_INTERFACE.to_string(),
            port: DEFAULT_PORT.to_string(),
            min: DEFAULT_MINIMUM_SOCKETS_AVAILABLE,
            max: DEFAULT_MAXIMUM_SOCKETS_CONNECTED,
            greeting: SERVER_GREETING.to_owned(),
            naive: false,
            relisten_delay_ms: DEFAULT_RELISTEN_DELAY_MS,
            handoff_delay_ms: 0,
            idle_timeout_seconds: 0,
            show_concepts: false,
            reply: super::reply_setting::ReplySetting::default(),
            lesson: serversocket_ui::lesson_panel::SavedLesson::default(),
            lesson_port_before: None,
            tls: super::tls_setting::SavedTls::default(),
            backlog: DEFAULT_BACKLOG,
            backlog_cap: serversocket_kernel::backlog_cap().ok(),
            limits_errors: Vec::new(),
            ephemeral_ports: serversocket_kernel::ports::ephemeral_port_range(),
            privileged_below: serversocket_kernel::ports::ports_needing_privileges(),
        }
    }
}

/// The tooltip of a setting that applies at Listen: while listening it is greyed, and says
/// why beside what it is.
pub(super) fn fixed_while_listening(tip: &str, listening: bool) -> String {
    if !listening {
        return tip.to_owned();
    }
    let stop = if tip.ends_with('.') { " " } else { ". " };
    // The button's name never breaks across two lines of the tooltip ("Stop" / "Listening").
    format!("{tip}{stop}Fixed while listening: Stop\u{a0}Listening to change it")
}

/// What changed in this frame's settings bar.
#[derive(Debug, Default, Clone, Copy)]
pub struct Changes {
    /// Min or Max was edited.
    pub limits: bool,
    /// The greeting was edited.
    pub greeting: bool,
    /// The slow-motion delay was edited.
    pub slow_motion: bool,
    /// The idle timeout was edited.
    pub idle_timeout: bool,
    /// Enter was pressed in the port field.
    pub enter_pressed: bool,
}

impl ServerSettings {
    /// The remembered settings, with command-line flags that differ from their defaults on top.
    #[must_use]
    pub fn from_args(remembered: Option<Self>, args: &Args) -> Self {
        let mut settings = remembered.unwrap_or_default();
        if args.bind.ip != DEFAULT_NETWORK_INTERFACE {
            // The window binds an address without a scope: a link-local one needs the
            // headless `--bind fe80::1%IFACE`.
            settings.interface = args.bind.ip.to_string();
        }
        if args.port != DEFAULT_PORT {
            settings.port = args.port.to_string();
        }
        if args.min != DEFAULT_MINIMUM_SOCKETS_AVAILABLE {
            settings.min = args.min;
        }
        if args.max != DEFAULT_MAXIMUM_SOCKETS_CONNECTED {
            settings.max = args.max;
        }
        if args.mode == Mode::Naive {
            settings.naive = true;
        }
        if args.idle_timeout != 0 {
            settings.idle_timeout_seconds = args.idle_timeout;
        }
        if args.backlog != DEFAULT_BACKLOG {
            settings.backlog = args.backlog;
        }
        if args.relisten_delay_ms != DEFAULT_RELISTEN_DELAY_MS {
            settings.relisten_delay_ms = args.relisten_delay_ms;
        }
        // The reply flags, as headless mode takes them (the window ignored them: `--reply
        // echo` greeted).
        let reply = &args.reply;
        if reply.reply != ReplyKind::default() {
            settings.reply.kind = reply.reply;
        }
        if let Some(greeting) = &reply.greeting {
            settings.greeting.clone_from(greeting);
        }
        if let Some(fixed) = &reply.fixed {
            settings.reply.fixed.clone_from(fixed);
        }
        if !reply.rules.is_empty() {
            settings.reply.rules = reply.rules.join("\n");
        }
        settings
    }

    /// The interface and port, or why they cannot be used.
    ///
    /// # Errors
    /// A sentence saying what is wrong with the interface or the port.
    pub fn validated(&self) -> Result<(IpAddr, u16), String> {
        let interface: IpAddr = self.interface.trim().parse().map_err(|_| {
            format!(
                "\"{}\" is not an IP address (e.g. 127.0.0.1 or ::1)",
                self.interface.trim()
            )
        })?;
        let port = parse_port(&self.port).map_err(|error| error.to_string())?;
        Ok((interface, port))
    }

    /// Draws the settings bar; interface and port are fixed while listening. `folded` leaves
    /// out the rows that apply only at Listen (mode, backlog) and the greeting, so the pool,
    /// the table and the log get the room; what may change while listening stays (Min, Max,
    /// slow motion, the idle timeout, and the reply row the window draws after these).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        listening: bool,
        folded: bool,
        interfaces: &[InterfaceChoice],
    ) -> Changes {
        let mut changes = Changes::default();
        let fixed = |tip: &str| fixed_while_listening(tip, listening);
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled_ui(!listening, |ui| {
                let tip = &fixed("NetworkInterface: the local address the listening socket binds");
                let label = explain(ui.label("Interface:"), tip);
                let interface = egui::ComboBox::from_id_salt("interface")
                    .selected_text(&self.interface)
                    .show_ui(ui, |ui| {
                        for (address, meaning) in interfaces {
                            ui.selectable_value(&mut self.interface, address.clone(), address)
                                .on_hover_text(meaning);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                // The tooltip shows as it is added; nothing else reads the response.
                let _ = explain(interface, tip);
                let port = labelled(
                    ui,
                    "Port:",
                    egui::TextEdit::singleline(&mut self.port).desired_width(60.0),
                    &fixed("The port to listen on, 0–65535: 0 takes any free port, and one below 1024 needs administrator privileges"),
                );
                changes.enter_pressed =
                    port.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            });
            // Naive mode has no pool: Min and Max, slow motion and the idle timeout do not
            // apply to it, so they are not shown.
            if !self.naive {
                // A label and its field move to the next line together.
                for (name, tip, limit, ceiling, lesson_mark) in [
                    (
                        "Min:",
                        "MinimumSocketsAvailable: idle sockets the pool keeps ready; AddSocket fires to refill it",
                        &mut self.min,
                        MINIMUM_SOCKETS_AVAILABLE_CEILING,
                        "min",
                    ),
                    (
                        "Max:",
                        "MaximumSocketsConnected: most connections at once; more clients wait in the OS backlog",
                        &mut self.max,
                        MAXIMUM_SOCKETS_CONNECTED_CEILING,
                        "max",
                    ),
                ] {
                    let field = explained(ui, name, tip, count(limit, 0..=ceiling));
                    mark(ui, lesson_mark, &field);
                    changes.limits |= field.changed();
                }
                changes.slow_motion = explained(
                    ui,
                    "Slow motion:",
                    "Handoff delay: each accepted connection waits this long before it is handed to an idle socket of the pool, so you can watch it happen (0 = off)",
                    number(&mut self.handoff_delay_ms, 0..=MAX_HANDOFF_DELAY_MS, " ms").speed(10.0),
                )
                .changed();
                changes.idle_timeout = explained(
                    ui,
                    "Idle timeout:",
                    "Close a connection once nothing was sent or received on it for this long, so silent clients cannot hold every slot up to Max (0 = never, as in Xojo; applies to new connections)",
                    number(
                        &mut self.idle_timeout_seconds,
                        0..=crate::MAX_IDLE_TIMEOUT_SECONDS,
                        " s",
                    ),
                )
                .changed();
            }
        });
        if folded {
            self.problems_ui(ui);
            return changes;
        }
        ui.add_enabled_ui(!listening, |ui| {
            ui.horizontal(|ui| {
                let pool = explain(
                    ui.radio_value(&mut self.naive, false, "Pool (ServerSocket)"),
                    &fixed("One permanent listener; connections go to idle sockets of the pool"),
                );
                let naive = explain(
                    ui.radio_value(&mut self.naive, true, "Naive (one socket)"),
                    &fixed(
                        "One listening socket that closes on each connection and listens again after the delay: connections arriving meanwhile are refused",
                    ),
                );
                mark(ui, "mode", &pool.union(naive));
                if self.naive {
                    labelled(
                        ui,
                        "re-listen after",
                        number(&mut self.relisten_delay_ms, 0..=5000, " ms"),
                        &fixed("How long the single socket stays closed after each connection"),
                    );
                }
                if !self.naive {
                    // On the mode's row, where there is room: the first row is full at 680 points.
                    let backlog = explained(
                        ui,
                        "Backlog:",
                        &fixed(
                            "How many connections the kernel may complete and hold while the pool takes none (the accept queue); applies at Listen",
                        ),
                        count(&mut self.backlog, 0..=65_535),
                    );
                    mark(ui, "backlog", &backlog);
                }
            });
        });
        ui.horizontal(|ui| {
            let tip = "What each pooled socket writes when it gets a connection";
            let label = ui.label("Greeting:").on_hover_text(tip);
            changes.greeting = ui
                .add(egui::TextEdit::singleline(&mut self.greeting).desired_width(f32::INFINITY))
                .labelled_by(label.id)
                .on_hover_text(tip)
                .changed();
        });
        self.problems_ui(ui);
        changes
    }

    /// Why the settings cannot be used, next to them.
    fn problems_ui(&self, ui: &mut egui::Ui) {
        let error = ui.visuals().error_fg_color;
        if let Err(reason) = self.validated() {
            ui.colored_label(error, reason);
        } else if let Ok((interface, port)) = self.validated() {
            // Only where this program lacks them: root's Listen on 80 works.
            if let Some(bound) = self
                .privileged_below
                .filter(|bound| port != 0 && port < *bound)
            {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "Port {port} is below {bound}: listening there needs administrator privileges, which this program does not have."
                    ),
                );
            }
            if let Some(range) = self.ephemeral_ports.as_ref().filter(|r| r.contains(&port)) {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "Port {port} lies in the range {}–{} from which the OS picks the ports of outgoing connections: while one of them holds it, Listen fails with 105 although nothing listens. A port outside that range is safer.",
                        range.start(),
                        range.end()
                    ),
                );
            }
            if interface.is_unspecified() {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("{interface} listens on every interface: other machines on the network can connect."),
                );
            } else if !interface.is_loopback() {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{interface} is reachable from its network: other machines can connect."
                    ),
                );
            }
        }
        if let Some(cap) = self.backlog_cap
            && !self.naive
            && self.backlog > cap
        {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "Backlog {} is capped at {cap} by net.core.somaxconn.",
                    self.backlog
                ),
            );
        }
        for reason in &self.limits_errors {
            ui.colored_label(error, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::ServerSettings;
    use crate::Args;
    use crate::reply_args::ReplyKind;

    /// The window takes the reply flags as headless mode does (`--reply echo` greeted).
    #[test]
    fn the_window_takes_the_reply_flags() {
        let args = Args::parse_from([
            "server-app",
            "--reply",
            "rules",
            "--greeting",
            r"hi\n",
            "--rule",
            "^a$ => b",
            "--rule",
            "^c$ => d",
        ]);
        let settings = ServerSettings::from_args(None, &args);
        assert_eq!(settings.reply.kind, ReplyKind::Rules);
        assert_eq!(settings.greeting, r"hi\n");
        assert_eq!(settings.reply.rules, "^a$ => b\n^c$ => d");
        assert!(settings.reply.mode(&settings.greeting).is_ok());

        let echo =
            ServerSettings::from_args(None, &Args::parse_from(["server-app", "--reply", "echo"]));
        assert_eq!(echo.reply.kind, ReplyKind::Echo);
        // No flag keeps what the window remembered.
        let remembered = ServerSettings {
            reply: echo.reply.clone(),
            ..ServerSettings::default()
        };
        let kept = ServerSettings::from_args(Some(remembered), &Args::parse_from(["server-app"]));
        assert_eq!(kept.reply.kind, ReplyKind::Echo);
    }
}

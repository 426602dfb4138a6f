//! What one side (the server or the client) has shown so far, kept up to date from its event
//! records: the live values a lesson's conditions and questions read.
//!
//! Records are the headless apps' JSON lines (see [`serversocket_report::Record`]), so a recorded
//! NDJSON log and a live window feed the same state. A window also sees events the JSON schema
//! leaves out (limits changed, a pooled socket released, a connection's kernel state);
//! [`lesson_record`] gives those a record too, so the live values are exact in a window.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::condition::Outcome;
use serversocket::Event;
use serversocket_report::Record;

/// Whose events: the server window (or `server-app --headless`) or the client's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The ServerSocket's side.
    Server,
    /// The client sockets' side.
    Client,
}

impl Side {
    /// `server` or `client`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Side::Server => "server",
            Side::Client => "client",
        }
    }
}

/// Every live value a condition may name, with what it means (shown in the lesson docs and
/// used to refuse a misspelt name when a lesson loads).
pub const VALUES: &[(&str, &str)] = &[
    ("listening", "the listener is open (yes/no)"),
    ("address", "the address it listens on, as text"),
    ("port", "the port it listens on"),
    ("handle", "the listener's OS handle"),
    ("min", "MinimumSocketsAvailable"),
    ("max", "MaximumSocketsConnected"),
    ("connected", "sockets connected now"),
    ("idle", "pooled sockets waiting for a connection now"),
    (
        "accepted",
        "connections handed to a socket since the lesson began",
    ),
    (
        "accept_queue.waiting",
        "connections the kernel holds, accepted by nobody yet",
    ),
    (
        "accept_queue.capacity",
        "the accept queue's capacity (the backlog)",
    ),
    (
        "accept_queue.syn_recv",
        "half-open connections (SYN received)",
    ),
    (
        "accept_queue.overflows",
        "connections dropped by full listen queues since Listen",
    ),
    ("errors", "error events since the lesson began"),
    ("last_error.code", "the code of the latest error"),
    ("bytes_received", "bytes received since the lesson began"),
    ("reads", "reads (Data events) since the lesson began"),
    ("last.local_port", "the local port of the latest connection"),
    (
        "last.remote_port",
        "the remote port of the latest connection",
    ),
    (
        "time_wait",
        "connections in the kernel's TIME_WAIT state now",
    ),
    (
        "close_wait",
        "connections in the kernel's CLOSE_WAIT state now",
    ),
    (
        "tls.protocol",
        "the TLS version the latest handshake agreed on (e.g. TLS1.3)",
    ),
    (
        "tls.cipher",
        "the cipher suite the latest handshake agreed on",
    ),
    (
        "tls.handshakes",
        "TLS handshakes done since the lesson began",
    ),
];

/// The live state of one side.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// None until a `listening` or `stopped` record.
    listening: Option<bool>,
    address: Option<String>,
    handle: Option<i64>,
    min: Option<u64>,
    max: Option<u64>,
    connected: BTreeSet<u64>,
    idle: BTreeSet<u64>,
    accepted: u64,
    /// The latest `accept_queue` record's numbers.
    accept_queue: Option<[u64; 4]>,
    errors: u64,
    last_error_code: Option<u64>,
    bytes_received: u64,
    reads: u64,
    last_ports: Option<(u16, u16)>,
    /// Each socket's latest kernel TCP state, while the kernel still knows it.
    kernel_states: BTreeMap<u64, String>,
    /// The latest TLS handshake's protocol and cipher, and how many were done.
    tls: Option<(String, String)>,
    tls_handshakes: u64,
}

impl Observed {
    /// Takes one event record into account.
    pub fn apply(&mut self, record: &Value) {
        let socket = record.get("socket").and_then(Value::as_u64);
        let number = |field: &str| record.get(field).and_then(Value::as_u64);
        match record
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "listening" => {
                self.listening = Some(true);
                self.address = record
                    .get("address")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.handle = record.get("handle").and_then(Value::as_i64);
                self.min = number("min");
                self.max = number("max");
            }
            // The naive server's single socket closes to hand a connection off, then listens
            // again.
            "stopped" | "listener_closed" => self.listening = Some(false),
            "listener_reopened" => self.listening = Some(true),
            "limits_changed" => {
                self.min = number("min");
                self.max = number("max");
            }
            "add_socket" => {
                self.idle.extend(socket);
            }
            "connected" => {
                if let Some(socket) = socket {
                    self.idle.remove(&socket);
                    self.connected.insert(socket);
                }
                self.accepted += 1;
                let port = |field: &str| {
                    record
                        .get(field)
                        .and_then(Value::as_str)
                        .and_then(|address| address.parse::<std::net::SocketAddr>().ok())
                        .map(|address| address.port())
                };
                if let (Some(local), Some(remote)) = (port("local"), port("remote")) {
                    self.last_ports = Some((local, remote));
                }
            }
            "closed" | "released" => {
                if let Some(socket) = socket {
                    self.connected.remove(&socket);
                    self.idle.remove(&socket);
                }
            }
            "accept_queue" => {
                self.accept_queue = Some([
                    number("waiting").unwrap_or(0),
                    number("capacity").unwrap_or(0),
                    number("syn_recv").unwrap_or(0),
                    number("overflows").unwrap_or(0),
                ]);
            }
            "error" => {
                self.errors += 1;
                self.last_error_code = number("code");
            }
            "data" => {
                self.reads += 1;
                self.bytes_received += number("bytes").unwrap_or(0);
            }
            "tls" => {
                self.tls_handshakes += 1;
                let text = |field: &str| {
                    record
                        .get(field)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                self.tls = Some((text("protocol"), text("cipher")));
            }
            "kernel_state" => {
                if let Some(socket) = socket {
                    match record.get("state").and_then(Value::as_str) {
                        Some(state) => {
                            self.kernel_states.insert(socket, state.to_owned());
                        }
                        None => {
                            self.kernel_states.remove(&socket);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The live value called `name` (one of [`VALUES`]).
    #[must_use]
    pub fn value(&self, name: &str) -> Outcome {
        let count = |n: usize| Outcome::Number(u64::try_from(n).map_or(f64::MAX, as_number));
        let known =
            |value: Option<u64>| value.map_or(Outcome::Unknown, |n| Outcome::Number(as_number(n)));
        let queue = |index: usize| known(self.accept_queue.map(|numbers| numbers[index]));
        let in_state =
            |state: &str| count(self.kernel_states.values().filter(|s| *s == state).count());
        match name {
            "listening" => self.listening.map_or(Outcome::Unknown, Outcome::Bool),
            "address" => self.address.clone().map_or(Outcome::Unknown, Outcome::Text),
            "port" => known(
                self.address
                    .as_deref()
                    .and_then(|address| address.parse::<std::net::SocketAddr>().ok())
                    .map(|address| u64::from(address.port())),
            ),
            "handle" => known(self.handle.and_then(|handle| u64::try_from(handle).ok())),
            "min" => known(self.min),
            "max" => known(self.max),
            "connected" => count(self.connected.len()),
            "idle" => count(self.idle.len()),
            "accepted" => known(Some(self.accepted)),
            "accept_queue.waiting" => queue(0),
            "accept_queue.capacity" => queue(1),
            "accept_queue.syn_recv" => queue(2),
            "accept_queue.overflows" => queue(3),
            "errors" => known(Some(self.errors)),
            "last_error.code" => known(self.last_error_code),
            "bytes_received" => known(Some(self.bytes_received)),
            "reads" => known(Some(self.reads)),
            "last.local_port" => known(self.last_ports.map(|(local, _)| u64::from(local))),
            "last.remote_port" => known(self.last_ports.map(|(_, remote)| u64::from(remote))),
            "time_wait" => in_state("TIME_WAIT"),
            "close_wait" => in_state("CLOSE_WAIT"),
            "tls.protocol" => self.tls.as_ref().map_or(Outcome::Unknown, |(protocol, _)| {
                Outcome::Text(protocol.clone())
            }),
            "tls.cipher" => self.tls.as_ref().map_or(Outcome::Unknown, |(_, cipher)| {
                Outcome::Text(cipher.clone())
            }),
            "tls.handshakes" => known(Some(self.tls_handshakes)),
            _ => Outcome::Unknown,
        }
    }
}

/// Counts and ports are far below 2^53, where f64 stops being exact.
#[allow(clippy::cast_precision_loss)]
fn as_number(n: u64) -> f64 {
    n as f64
}

/// The record a lesson takes for an event: its JSON line, or for events the JSON schema leaves
/// out but a lesson needs (limits, releases, kernel states), a record of the same shape.
/// `None` for events no lesson reads (progress, connecting).
#[must_use]
pub fn lesson_record(event: &Event, at: SystemTime) -> Option<Value> {
    if let Some(record) = Record::from_event(event) {
        return serde_json::to_value(record.at(at)).ok();
    }
    let ts = serversocket_report::stamp(at);
    match event {
        Event::LimitsChanged { min, max } => {
            Some(json!({"event": "limits_changed", "ts": ts, "min": min, "max": max}))
        }
        Event::Released { socket } => {
            Some(json!({"event": "released", "ts": ts, "socket": socket}))
        }
        Event::KernelState { socket, view } => Some(match view {
            Some(view) => {
                json!({"event": "kernel_state", "ts": ts, "socket": socket, "state": view.state.name()})
            }
            None => json!({"event": "kernel_state", "ts": ts, "socket": socket, "state": null}),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_pool_from_its_records() {
        let mut server = Observed::default();
        assert_eq!(server.value("listening"), Outcome::Unknown);
        for record in [
            json!({"event": "listening", "address": "127.0.0.1:2002", "handle": 7, "min": 2, "max": 3}),
            json!({"event": "add_socket", "socket": 1}),
            json!({"event": "add_socket", "socket": 2}),
            json!({"event": "connected", "socket": 1, "local": "127.0.0.1:2002", "remote": "127.0.0.1:46116"}),
            json!({"event": "add_socket", "socket": 3}),
            json!({"event": "accept_queue", "waiting": 4, "capacity": 16, "syn_recv": 0, "overflows": 0}),
        ] {
            server.apply(&record);
        }
        assert_eq!(server.value("listening"), Outcome::Bool(true));
        assert_eq!(server.value("port"), Outcome::Number(2002.0));
        assert_eq!(server.value("connected"), Outcome::Number(1.0));
        assert_eq!(server.value("idle"), Outcome::Number(2.0));
        assert_eq!(server.value("accept_queue.waiting"), Outcome::Number(4.0));
        assert_eq!(server.value("last.remote_port"), Outcome::Number(46116.0));
        server.apply(&json!({"event": "closed", "socket": 1}));
        server.apply(&json!({"event": "stopped"}));
        assert_eq!(server.value("connected"), Outcome::Number(0.0));
        assert_eq!(server.value("listening"), Outcome::Bool(false));
    }

    #[test]
    fn every_listed_value_has_a_reading() {
        let mut side = Observed::default();
        side.apply(&json!({"event": "listening", "address": "[::1]:2002", "handle": 3, "min": 0, "max": 1}));
        side.apply(&json!({"event": "accept_queue", "waiting": 0, "capacity": 1, "syn_recv": 0, "overflows": 0}));
        side.apply(&json!({"event": "connected", "socket": 1, "local": "[::1]:2002", "remote": "[::1]:40000"}));
        side.apply(&json!({"event": "tls", "socket": 1, "protocol": "TLS1.3", "cipher": "TLS13_AES_128_GCM_SHA256"}));
        side.apply(&json!({"event": "error", "socket": 1, "code": 102}));
        for (name, _) in VALUES {
            assert_ne!(side.value(name), Outcome::Unknown, "{name}");
        }
        assert_eq!(side.value("no_such_value"), Outcome::Unknown);
    }
}

//! What one side (the server or the client) has shown so far, kept up to date from its event
//! records: the live values a lesson's conditions and questions read.
//!
//! Records are the headless apps' JSON lines, read back as typed records
//! ([`serversocket_report::Record`]), so a recorded NDJSON log and a live window feed the same
//! state. A window also sees events the JSON schema leaves out (limits changed, a pooled
//! socket released, a connection's kernel state); [`lesson_record`] gives those a record too,
//! so the live values are exact in a window.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::SystemTime;

use crate::outcome::Outcome;
use serversocket::Event;
pub use serversocket_report::Side;
use serversocket_report::{Line, Record};

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

/// What kind of thing a live value is, so a condition that adds text or compares yes/no with
/// a number (which could never hold) is refused when its lesson loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count, a port, a code.
    Number,
    /// Text (an address, a TLS version).
    Text,
    /// Yes or no (`listening`, `event …`, `and`, a comparison).
    YesNo,
}

impl Kind {
    /// The kind of the live value `name` (one of [`VALUES`]), as [`Observed::value`] gives it.
    #[must_use]
    pub fn of_value(name: &str) -> Kind {
        match name {
            "listening" => Kind::YesNo,
            "address" | "tls.protocol" | "tls.cipher" => Kind::Text,
            _ => Kind::Number,
        }
    }

    /// In words: `a number`, `text`, `yes or no`.
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Kind::Number => "a number",
            Kind::Text => "text",
            Kind::YesNo => "yes or no",
        }
    }
}

/// The client window's Stream view's records (not socket events, so not in the JSON schema):
/// the view opened, a write went out, a read took bytes, the line framing found a message.
pub mod stream_events {
    /// The Stream view opened.
    pub const READY: &str = "stream_ready";
    /// One write of the view's.
    pub const WRITE: &str = "stream_write";
    /// One read of the view's.
    pub const READ: &str = "stream_read";
    /// A message the line framing found.
    pub const MESSAGE: &str = "stream_message";
    /// 'Stop reading' ticked: the receiver stopped reading.
    pub const PAUSED: &str = "stream_paused";
    /// 'Stop reading' unticked: the receiver reads again.
    pub const RESUMED: &str = "stream_resumed";
    /// All of them.
    pub const ALL: [&str; 6] = [READY, WRITE, READ, MESSAGE, PAUSED, RESUMED];
}

/// Whether `name` is an event a step can wait for: a record of the JSON schema
/// ([`serversocket_report::EVENT_NAMES`]) or of the Stream view ([`stream_events`]).
#[must_use]
pub fn is_event_name(name: &str) -> bool {
    serversocket_report::EVENT_NAMES.contains(&name) || stream_events::ALL.contains(&name)
}

/// The live state of one side.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// None until a `listening` or `stopped` record.
    listening: Option<bool>,
    address: Option<SocketAddr>,
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
    pub fn apply(&mut self, record: &Record<'_>) {
        match record {
            Record::Listening {
                address,
                handle,
                max,
                min,
                ..
            } => {
                self.listening = Some(true);
                self.address = Some(*address);
                self.handle = Some(*handle);
                self.min = Some(*min);
                self.max = Some(*max);
            }
            // The naive server's single socket closes to hand a connection off, then listens
            // again.
            Record::Stopped | Record::ListenerClosed => self.listening = Some(false),
            Record::ListenerReopened { .. } => self.listening = Some(true),
            Record::LimitsChanged { max, min } => {
                self.min = Some(*min);
                self.max = Some(*max);
            }
            Record::AddSocket { socket } => {
                self.idle.insert(socket.0);
            }
            Record::Connected {
                local,
                remote,
                socket,
            } => {
                self.idle.remove(&socket.0);
                self.connected.insert(socket.0);
                self.accepted += 1;
                self.last_ports = Some((local.port(), remote.port()));
            }
            Record::Closed { socket } | Record::Released { socket } => {
                self.connected.remove(&socket.0);
                self.idle.remove(&socket.0);
            }
            Record::AcceptQueue {
                capacity,
                overflows,
                syn_recv,
                waiting,
            } => {
                self.accept_queue = Some([
                    u64::from(*waiting),
                    u64::from(*capacity),
                    u64::from(*syn_recv),
                    *overflows,
                ]);
            }
            Record::Error { code, .. } => {
                self.errors += 1;
                self.last_error_code = u64::try_from(*code).ok();
            }
            Record::Data { bytes, .. } => {
                self.reads += 1;
                self.bytes_received += bytes;
            }
            Record::Tls {
                cipher, protocol, ..
            } => {
                self.tls_handshakes += 1;
                self.tls = Some((protocol.to_string(), cipher.to_string()));
            }
            Record::KernelState { socket, state } => match state {
                Some(state) => {
                    self.kernel_states.insert(socket.0, state.to_string());
                }
                None => {
                    self.kernel_states.remove(&socket.0);
                }
            },
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
            "address" => self.address.map_or(Outcome::Unknown, |address| {
                Outcome::Text(address.to_string())
            }),
            "port" => known(self.address.map(|address| u64::from(address.port()))),
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

/// The record a lesson takes for an event, stamped at `at`: its JSON line, or for events the
/// JSON schema leaves out but a lesson needs (limits, releases, kernel states), a record of
/// the same shape ([`Record::for_lesson`]). `None` for events no lesson reads (progress,
/// connecting).
#[must_use]
pub fn lesson_record(event: &Event, at: SystemTime) -> Option<Line<'_>> {
    Record::for_lesson(event).map(|record| record.at(at))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serversocket::SocketId;

    use super::*;

    fn address(text: &str) -> SocketAddr {
        text.parse().expect("an address")
    }

    fn connected(socket: u64, local: &str, remote: &str) -> Record<'static> {
        Record::Connected {
            local: address(local),
            remote: address(remote),
            socket: SocketId(socket),
        }
    }

    fn queue(waiting: u32, capacity: u32) -> Record<'static> {
        Record::AcceptQueue {
            capacity,
            overflows: 0,
            syn_recv: 0,
            waiting,
        }
    }

    #[test]
    fn follows_a_pool_from_its_records() {
        let mut server = Observed::default();
        assert_eq!(server.value("listening"), Outcome::Unknown);
        for record in [
            Record::Listening {
                address: address("127.0.0.1:2002"),
                handle: 7,
                max: 3,
                min: 2,
                tls: None,
            },
            Record::AddSocket {
                socket: SocketId(1),
            },
            Record::AddSocket {
                socket: SocketId(2),
            },
            connected(1, "127.0.0.1:2002", "127.0.0.1:46116"),
            Record::AddSocket {
                socket: SocketId(3),
            },
            queue(4, 16),
        ] {
            server.apply(&record);
        }
        assert_eq!(server.value("listening"), Outcome::Bool(true));
        assert_eq!(server.value("port"), Outcome::Number(2002.0));
        assert_eq!(server.value("connected"), Outcome::Number(1.0));
        assert_eq!(server.value("idle"), Outcome::Number(2.0));
        assert_eq!(server.value("accept_queue.waiting"), Outcome::Number(4.0));
        assert_eq!(server.value("last.remote_port"), Outcome::Number(46116.0));
        server.apply(&Record::Closed {
            socket: SocketId(1),
        });
        server.apply(&Record::Stopped);
        assert_eq!(server.value("connected"), Outcome::Number(0.0));
        assert_eq!(server.value("listening"), Outcome::Bool(false));
    }

    #[test]
    fn every_listed_value_has_a_reading() {
        let mut side = Observed::default();
        side.apply(&Record::Listening {
            address: address("[::1]:2002"),
            handle: 3,
            max: 1,
            min: 0,
            tls: None,
        });
        side.apply(&queue(0, 1));
        side.apply(&connected(1, "[::1]:2002", "[::1]:40000"));
        side.apply(&Record::Tls {
            cipher: Cow::Borrowed("TLS13_AES_128_GCM_SHA256"),
            handshake_ms: 1.0,
            protocol: Cow::Borrowed("TLS1.3"),
            socket: SocketId(1),
        });
        side.apply(&Record::Error {
            code: 102,
            meaning: Cow::Borrowed("lost connection"),
            message: Cow::Borrowed("the connection to [::1]:40000 was lost"),
            socket: Some(SocketId(1)),
        });
        for (name, _) in VALUES {
            assert_ne!(side.value(name), Outcome::Unknown, "{name}");
        }
        assert_eq!(side.value("no_such_value"), Outcome::Unknown);
    }

    /// The records only a lesson takes are the JSON objects they were when they were built
    /// as `Value`s, so a lesson's patterns and report read them as before.
    #[test]
    fn a_lessons_own_records_keep_their_shape() {
        use serde_json::json;
        use serversocket_kernel::{TcpState, TcpView};
        let at = SystemTime::UNIX_EPOCH;
        let ts = serversocket_report::stamp(at);
        let view = TcpView {
            state: TcpState::TimeWait,
            recv_queue: 0,
            send_queue: 0,
            rtt: None,
            peer_accepted: None,
        };
        for (event, expected) in [
            (
                Event::LimitsChanged { min: 2, max: 10 },
                json!({"event": "limits_changed", "ts": ts, "min": 2, "max": 10}),
            ),
            (
                Event::Released {
                    socket: SocketId(4),
                },
                json!({"event": "released", "ts": ts, "socket": 4}),
            ),
            (
                Event::KernelState {
                    socket: SocketId(4),
                    view: Some(view),
                },
                json!({"event": "kernel_state", "ts": ts, "socket": 4, "state": "TIME_WAIT"}),
            ),
            (
                Event::KernelState {
                    socket: SocketId(4),
                    view: None,
                },
                json!({"event": "kernel_state", "ts": ts, "socket": 4, "state": null}),
            ),
        ] {
            let line = lesson_record(&event, at).expect("a lesson's record");
            assert_eq!(serde_json::to_value(&line).expect("JSON"), expected);
            let back: Line<'_> = serde_json::from_value(expected).expect("read back");
            assert_eq!(back, line);
        }
        let progress = Event::SendProgress {
            socket: SocketId(4),
            sent: 1,
            left: 1,
        };
        assert!(lesson_record(&progress, at).is_none());
    }
}

//! The JSON lines' one schema: [`Record`], what a line says happened, and [`Line`], a record
//! with its moment (`ts`), which is what is written (`serde_json::to_writer`) and read back.
//!
//! The schema is a public contract (README, "Headless mode"): one object a line, each with
//! `event` and `ts`, the keys in alphabetical order (`event` among them, not first: the order
//! the lines have always had, when they were built as `serde_json::Value`s), except the
//! capture's `segment` line, whose contract gives its own order (`event` first, `ts` last). Serde's derived
//! `Serialize` writes an internally tagged enum's tag first, so the lines are written by
//! [`Line`]'s own `Serialize`, which lists each kind's keys in that order; reading them back
//! is derived. The golden test (`tests/records.rs`) holds every kind's bytes, and a round trip
//! holds the writer and the reader to the same names.
//!
//! The printer writes the five everyday events' lines by hand instead (`json_line`: serde costs
//! twice as much there), byte for byte these records' lines.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serversocket::{Event, SocketId};

use crate::Side;

/// How many characters of a chunk a JSON `data` record's `text` holds. A longer chunk's text is
/// cut there and the record says `"cut": true`; `bytes` is still the whole chunk's length. Without
/// a cut, 10 MiB of random bytes would make some 24 MB of JSON.
pub const JSON_TEXT_CHARS: usize = 4096;

/// The `event` name of every [`Record`], as its JSON line gives it: what a lesson's
/// `event NAME` may name, so a misspelt one is refused when the lesson loads (a test holds
/// this list to the enum).
pub const EVENT_NAMES: &[&str] = &[
    "listening",
    "add_socket",
    "connected",
    "data",
    "send_complete",
    "closed",
    "tls",
    "error",
    "accepted",
    "accept_queue",
    "stopped",
    "listener_closed",
    "listener_reopened",
    "note",
    "dropped",
    "backlog_capped",
    "send_progress",
    "summary",
    "limits_changed",
    "released",
    "segment",
    "kernel_state",
];

/// What one JSON line says happened: a socket event, a line of the program's own (a note, the
/// client's summary, a file's progress, dropped lines), or a record that only a lesson reads
/// (limits changed, a socket released, a kernel state). Text borrows from the event it was
/// made from where it can, so printing a line copies nothing first; records read back own it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Record<'a> {
    /// The listener is open (`Listening`).
    Listening {
        /// The address it listens on.
        address: SocketAddr,
        /// The listener's OS handle.
        handle: i64,
        /// MaximumSocketsConnected.
        max: u64,
        /// MinimumSocketsAvailable.
        min: u64,
        /// The certificate that secures every connection, when the server has TLS.
        #[serde(default)]
        tls: Option<Certificate<'a>>,
    },
    /// A socket was added to the pool (`AddSocket`).
    AddSocket {
        /// The new socket.
        socket: SocketId,
    },
    /// A connection is up (`Connected`).
    Connected {
        /// This end's address.
        local: SocketAddr,
        /// The peer's address.
        remote: SocketAddr,
        /// The socket.
        socket: SocketId,
    },
    /// Bytes arrived (`DataAvailable`).
    Data {
        /// The whole chunk's length.
        bytes: u64,
        /// The chunk's text was cut at [`JSON_TEXT_CHARS`] characters.
        #[serde(default)]
        cut: bool,
        /// The socket.
        socket: SocketId,
        /// The chunk as text (invalid UTF-8 replaced by U+FFFD).
        text: Cow<'a, str>,
    },
    /// Everything queued was sent, or the send was aborted (`SendComplete`).
    SendComplete {
        /// The socket.
        socket: SocketId,
        /// The send was aborted by the program.
        user_aborted: bool,
    },
    /// The connection closed.
    Closed {
        /// The socket.
        socket: SocketId,
    },
    /// A TLS handshake is done.
    Tls {
        /// The cipher suite agreed on.
        cipher: Cow<'a, str>,
        /// How long the handshake took, in milliseconds to the microsecond.
        handshake_ms: f64,
        /// The TLS version agreed on.
        protocol: Cow<'a, str>,
        /// The socket.
        socket: SocketId,
    },
    /// Something failed (`Error`), with the Xojo code.
    Error {
        /// The Xojo error code.
        code: i32,
        /// A few words for the code.
        meaning: Cow<'a, str>,
        /// The whole message.
        message: Cow<'a, str>,
        /// The socket, or none for the listener.
        #[serde(default)]
        socket: Option<SocketId>,
    },
    /// A connection was accepted and is being handed to a pooled socket (slow motion).
    Accepted {
        /// How long until it is handed over, in milliseconds.
        handoff_in_ms: u64,
        /// The peer's address.
        remote: SocketAddr,
    },
    /// The kernel's accept queue, sampled.
    AcceptQueue {
        /// The queue's capacity (the backlog).
        capacity: u32,
        /// Connections dropped by full listen queues since Listen.
        overflows: u64,
        /// Half-open connections.
        syn_recv: u32,
        /// Connections waiting to be accepted.
        waiting: u32,
    },
    /// The listener stopped (`StopListening`).
    Stopped,
    /// The naive server's listener closed to hand its connection over.
    ListenerClosed,
    /// The naive server's listener opened again.
    ListenerReopened {
        /// The new listener's OS handle.
        handle: i64,
    },
    /// A socket's handler says what it decided and why.
    Note {
        /// The socket.
        socket: SocketId,
        /// The words.
        text: Cow<'a, str>,
    },
    /// Lines of output were dropped because their reader fell behind.
    Dropped {
        /// How many.
        count: u64,
    },
    /// The backlog asked for is above what the kernel allows (the words say how much).
    BacklogCapped,
    /// How much of a hello and file a client socket has sent.
    SendProgress {
        /// Bytes sent so far.
        sent: u64,
        /// The socket.
        socket: SocketId,
        /// Bytes to send in all.
        total: u64,
    },
    /// The client's summary when it stops.
    Summary {
        /// Seconds from the first connect until the last socket was greeted, when all were.
        all_greeted_seconds: Option<f64>,
        /// Connects under way when the program was stopped.
        cancelled: u64,
        /// Sockets that connected.
        connected: u64,
        /// Sockets that closed without connecting.
        failed: u64,
        /// Sockets that received the server's greeting.
        greeted: u64,
        /// Sockets started.
        sockets: u64,
    },
    /// The pool's limits changed (a lesson's record; no line is printed for it).
    LimitsChanged {
        /// MaximumSocketsConnected.
        max: u64,
        /// MinimumSocketsAvailable.
        min: u64,
    },
    /// A pooled socket was released (a lesson's record; no line is printed for it).
    Released {
        /// The socket.
        socket: SocketId,
    },
    /// One TCP segment of this program's connections, captured (`--capture`). Its keys are in
    /// the order the capture's contract gives them (`event`, `socket`, `dir`, `flags`, `seq`,
    /// `ack`, `len`, `win`, `ts`), not alphabetical: the one line that is not.
    Segment {
        /// The socket that holds its connection, once one does.
        #[serde(default)]
        socket: Option<SocketId>,
        /// `in` or `out`, as seen by this program.
        dir: Cow<'a, str>,
        /// The set flags in the order SYN, ACK, FIN, RST, PSH, URG, joined by commas.
        flags: Cow<'a, str>,
        /// The sequence number, relative to its sender's first.
        seq: u32,
        /// The acknowledgement number, relative to the other side's first (0 without ACK).
        ack: u32,
        /// The payload's length.
        len: u32,
        /// The window it advertises, as on the wire.
        win: u16,
    },
    /// A connection's TCP state in the kernel (a lesson's record; no line is printed for it).
    KernelState {
        /// The socket.
        socket: SocketId,
        /// The state's name (`TIME_WAIT`), or none once the kernel has forgotten it.
        state: Option<Cow<'a, str>>,
    },
}

impl Record<'_> {
    /// The one side whose log can hold this record, when only one can: a listener's records
    /// are the server's, the client's summary and a file's progress the client's. `None` for
    /// what either side's sockets do (connected, data, error …). So a server's log given as
    /// the client's is told apart at its first `listening` line.
    #[must_use]
    pub fn only_side(&self) -> Option<Side> {
        match self {
            Record::Listening { .. }
            | Record::AddSocket { .. }
            | Record::Accepted { .. }
            | Record::AcceptQueue { .. }
            | Record::Stopped
            | Record::ListenerClosed
            | Record::ListenerReopened { .. }
            | Record::BacklogCapped
            | Record::LimitsChanged { .. }
            | Record::Released { .. } => Some(Side::Server),
            Record::SendProgress { .. } | Record::Summary { .. } => Some(Side::Client),
            Record::Connected { .. }
            | Record::Data { .. }
            | Record::SendComplete { .. }
            | Record::Closed { .. }
            | Record::Tls { .. }
            | Record::Error { .. }
            | Record::Note { .. }
            | Record::Dropped { .. }
            | Record::Segment { .. }
            | Record::KernelState { .. } => None,
        }
    }
}

/// The certificate a TLS server's `listening` line names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate<'a> {
    /// Its SHA-256 fingerprint, colon-separated hex.
    pub fingerprint: Cow<'a, str>,
}

/// One JSON line: a record and the moment it was made.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Line<'a> {
    /// When, as [`crate::stamp`] writes it (RFC 3339, UTC, to the microsecond).
    pub ts: Cow<'a, str>,
    /// What happened.
    #[serde(flatten)]
    pub record: Record<'a>,
}

impl<'a> Record<'a> {
    /// The record of `event`, or `None` for events outside the schema (connecting, progress,
    /// released, limits, a connection's kernel state, a TLS handshake under way). Its texts
    /// borrow from the event.
    #[must_use]
    pub fn from_event(event: &'a Event) -> Option<Self> {
        Some(match event {
            Event::Listening {
                address,
                handle,
                min,
                max,
            } => Record::Listening {
                address: *address,
                handle: *handle,
                max: wide(*max),
                min: wide(*min),
                tls: None,
            },
            Event::AddSocket { socket } => Record::AddSocket { socket: *socket },
            Event::Connected {
                socket,
                local,
                remote,
            } => Record::Connected {
                local: *local,
                remote: *remote,
                socket: *socket,
            },
            Event::Data {
                socket,
                data,
                bytes,
            } => {
                let (text, cut) = match String::from_utf8_lossy(data) {
                    // Most chunks are short: counting their characters would be wasted.
                    text if text.len() <= JSON_TEXT_CHARS => (text, false),
                    text => match text.char_indices().nth(JSON_TEXT_CHARS) {
                        Some((end, _)) => (cut_at(text, end), true),
                        None => (text, false),
                    },
                };
                Record::Data {
                    bytes: wide(*bytes),
                    cut,
                    socket: *socket,
                    text,
                }
            }
            Event::SendComplete {
                socket,
                user_aborted,
            } => Record::SendComplete {
                socket: *socket,
                user_aborted: *user_aborted,
            },
            Event::Closed { socket } => Record::Closed { socket: *socket },
            Event::Secured { socket, tls } => Record::Tls {
                cipher: Cow::Borrowed(&tls.cipher),
                handshake_ms: millis(tls.handshake),
                protocol: Cow::Borrowed(&tls.protocol),
                socket: *socket,
            },
            Event::Error { socket, error } => Record::Error {
                code: error.code(),
                meaning: Cow::Borrowed(error.meaning()),
                message: Cow::Owned(error.to_string()),
                socket: *socket,
            },
            Event::Accepted { remote, handoff_in } => Record::Accepted {
                handoff_in_ms: u64::try_from(handoff_in.as_millis()).unwrap_or(u64::MAX),
                remote: *remote,
            },
            Event::AcceptQueue {
                waiting,
                capacity,
                syn_recv,
                overflows,
            } => Record::AcceptQueue {
                capacity: *capacity,
                overflows: *overflows,
                syn_recv: *syn_recv,
                waiting: *waiting,
            },
            Event::Stopped => Record::Stopped,
            Event::ListenerClosed => Record::ListenerClosed,
            Event::ListenerReopened { handle } => Record::ListenerReopened { handle: *handle },
            Event::Note { socket, text } => Record::Note {
                socket: *socket,
                text: Cow::Borrowed(text),
            },
            // Outside the schema: Connecting, Handshaking, SendProgress, KernelState, Released,
            // LimitsChanged, and any event kind the core adds later until it is added here.
            _ => return None,
        })
    }

    /// The record of `event` as a lesson takes it: [`Record::from_event`]'s, or for the events
    /// the printed schema leaves out but a lesson needs (limits, releases, kernel states), a
    /// record of their own. `None` for events no lesson reads (progress, connecting).
    #[must_use]
    pub fn for_lesson(event: &'a Event) -> Option<Self> {
        Self::from_event(event).or(match event {
            Event::LimitsChanged { min, max } => Some(Record::LimitsChanged {
                max: wide(*max),
                min: wide(*min),
            }),
            Event::Released { socket } => Some(Record::Released { socket: *socket }),
            Event::KernelState { socket, view } => Some(Record::KernelState {
                socket: *socket,
                state: view.as_ref().map(|view| Cow::Borrowed(view.state.name())),
            }),
            _ => None,
        })
    }

    /// This record stamped with `ts`.
    #[must_use]
    pub fn at_stamp(self, ts: impl Into<Cow<'a, str>>) -> Line<'a> {
        Line {
            ts: ts.into(),
            record: self,
        }
    }

    /// This record stamped with the moment `at` (see [`crate::stamp`]).
    #[must_use]
    pub fn at(self, at: SystemTime) -> Line<'a> {
        self.at_stamp(crate::stamp(at))
    }

    /// The `event` name of this record's line (`add_socket`).
    #[must_use]
    pub fn event(&self) -> &'static str {
        match self {
            Record::Listening { .. } => "listening",
            Record::AddSocket { .. } => "add_socket",
            Record::Connected { .. } => "connected",
            Record::Data { .. } => "data",
            Record::SendComplete { .. } => "send_complete",
            Record::Closed { .. } => "closed",
            Record::Tls { .. } => "tls",
            Record::Error { .. } => "error",
            Record::Accepted { .. } => "accepted",
            Record::AcceptQueue { .. } => "accept_queue",
            Record::Stopped => "stopped",
            Record::ListenerClosed => "listener_closed",
            Record::ListenerReopened { .. } => "listener_reopened",
            Record::Note { .. } => "note",
            Record::Dropped { .. } => "dropped",
            Record::BacklogCapped => "backlog_capped",
            Record::SendProgress { .. } => "send_progress",
            Record::Summary { .. } => "summary",
            Record::LimitsChanged { .. } => "limits_changed",
            Record::Released { .. } => "released",
            Record::KernelState { .. } => "kernel_state",
            Record::Segment { .. } => "segment",
        }
    }
}

impl Line<'_> {
    /// Writes this line and its newline to `out`, in one `serde_json::to_writer`.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

impl std::fmt::Display for Line<'_> {
    /// The line without its newline, as a script reads it.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bytes = Vec::new();
        serde_json::to_writer(&mut bytes, self).map_err(|_| std::fmt::Error)?;
        formatter.write_str(&String::from_utf8_lossy(&bytes))
    }
}

/// The fields of a line, written in the order they are listed (each kind lists them in
/// alphabetical order, `event` and `ts` among them): `"key" => value`, or
/// `maybe "key" => option` for a field left out when it is `None`.
macro_rules! object {
    ($serializer:expr, $($($maybe:ident)? $key:literal => $value:expr),+ $(,)?) => {{
        let mut object = $serializer.serialize_struct("Line", [$($key),+].len())?;
        $(object!(@field object, $($maybe)? $key, $value);)+
        object.end()
    }};
    (@field $object:ident, $key:literal, $value:expr) => {
        $object.serialize_field($key, $value)?
    };
    (@field $object:ident, maybe $key:literal, $value:expr) => {
        match $value {
            Some(value) => $object.serialize_field($key, value)?,
            None => $object.skip_field($key)?,
        }
    };
}

impl Serialize for Line<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ts = &self.ts;
        let event = self.record.event();
        match &self.record {
            Record::Listening {
                address,
                handle,
                max,
                min,
                tls,
            } => object!(serializer, "address" => address, "event" => event, "handle" => handle,
                "max" => max, "min" => min, maybe "tls" => tls, "ts" => ts),
            Record::AddSocket { socket }
            | Record::Closed { socket }
            | Record::Released { socket } => {
                object!(serializer, "event" => event, "socket" => socket, "ts" => ts)
            }
            Record::Connected {
                local,
                remote,
                socket,
            } => object!(serializer, "event" => event, "local" => local, "remote" => remote,
                "socket" => socket, "ts" => ts),
            Record::Data {
                bytes,
                cut,
                socket,
                text,
            } => object!(serializer, "bytes" => bytes, maybe "cut" => cut.then_some(&true),
                "event" => event, "socket" => socket, "text" => text, "ts" => ts),
            Record::SendComplete {
                socket,
                user_aborted,
            } => object!(serializer, "event" => event, "socket" => socket, "ts" => ts,
                "user_aborted" => user_aborted),
            Record::Tls {
                cipher,
                handshake_ms,
                protocol,
                socket,
            } => object!(serializer, "cipher" => cipher, "event" => event,
                "handshake_ms" => handshake_ms, "protocol" => protocol, "socket" => socket,
                "ts" => ts),
            Record::Error {
                code,
                meaning,
                message,
                socket,
            } => object!(serializer, "code" => code, "event" => event, "meaning" => meaning,
                "message" => message, maybe "socket" => socket, "ts" => ts),
            Record::Accepted {
                handoff_in_ms,
                remote,
            } => object!(serializer, "event" => event, "handoff_in_ms" => handoff_in_ms,
                "remote" => remote, "ts" => ts),
            Record::AcceptQueue {
                capacity,
                overflows,
                syn_recv,
                waiting,
            } => object!(serializer, "capacity" => capacity, "event" => event,
                "overflows" => overflows, "syn_recv" => syn_recv, "ts" => ts,
                "waiting" => waiting),
            Record::Stopped | Record::ListenerClosed | Record::BacklogCapped => {
                object!(serializer, "event" => event, "ts" => ts)
            }
            Record::ListenerReopened { handle } => {
                object!(serializer, "event" => event, "handle" => handle, "ts" => ts)
            }
            Record::Note { socket, text } => object!(serializer, "event" => event,
                "socket" => socket, "text" => text, "ts" => ts),
            Record::Dropped { count } => {
                object!(serializer, "count" => count, "event" => event, "ts" => ts)
            }
            Record::SendProgress {
                sent,
                socket,
                total,
            } => object!(serializer, "event" => event, "sent" => sent, "socket" => socket,
                "total" => total, "ts" => ts),
            Record::Summary {
                all_greeted_seconds,
                cancelled,
                connected,
                failed,
                greeted,
                sockets,
            } => object!(serializer, "all_greeted_seconds" => all_greeted_seconds,
                "cancelled" => cancelled, "connected" => connected, "event" => event,
                "failed" => failed, "greeted" => greeted, "sockets" => sockets, "ts" => ts),
            Record::LimitsChanged { max, min } => object!(serializer, "event" => event,
                "max" => max, "min" => min, "ts" => ts),
            Record::KernelState { socket, state } => object!(serializer, "event" => event,
                "socket" => socket, "state" => state, "ts" => ts),
            Record::Segment {
                socket,
                dir,
                flags,
                seq,
                ack,
                len,
                win,
            } => object!(serializer, "event" => event, maybe "socket" => socket, "dir" => dir,
                "flags" => flags, "seq" => seq, "ack" => ack, "len" => len, "win" => win,
                "ts" => ts),
        }
    }
}

/// A count or limit as the schema's unsigned number (a `usize` always fits in 64 bits here).
fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A duration in milliseconds to the microsecond (`4.213`), as a person reads it.
fn millis(duration: Duration) -> f64 {
    u32::try_from(duration.as_micros()).map_or(f64::MAX, f64::from) / 1000.0
}

/// `text` up to byte `end` (a character boundary), borrowed when `text` is.
fn cut_at(text: Cow<'_, str>, end: usize) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(&text[..end]),
        Cow::Owned(mut text) => {
            text.truncate(end);
            Cow::Owned(text)
        }
    }
}

#[cfg(test)]
mod names {
    use super::*;

    /// [`EVENT_NAMES`] is exactly the enum's names: serde lists them all when it meets one
    /// that is none of them.
    #[test]
    fn the_event_names_are_the_records_names() {
        let error = serde_json::from_str::<Record<'_>>(r#"{"event":"no_such_event"}"#)
            .expect_err("no such event");
        let said = error.to_string();
        let expected: Vec<&str> = said
            .split_once("expected one of ")
            .map_or("", |(_, names)| names)
            .split(", ")
            .map(|name| name.trim_matches('`'))
            .map(|name| name.split('`').next().unwrap_or(name))
            .collect();
        assert_eq!(expected, EVENT_NAMES, "{said}");
    }

    /// A listener's records are only in a server's log, the summary only in a client's; a
    /// socket's are in either.
    #[test]
    fn records_of_one_side_only_say_which() {
        let read = |line: &str| serde_json::from_str::<Record<'_>>(line).expect("a record");
        let listening =
            read(r#"{"event":"listening","address":"127.0.0.1:2002","min":2,"max":10,"handle":3}"#);
        assert_eq!(listening.only_side(), Some(Side::Server));
        let summary = read(
            r#"{"event":"summary","all_greeted_seconds":null,"cancelled":0,"connected":1,"failed":0,"greeted":1,"sockets":1}"#,
        );
        assert_eq!(summary.only_side(), Some(Side::Client));
        assert_eq!(read(r#"{"event":"closed","socket":1}"#).only_side(), None);
    }
}

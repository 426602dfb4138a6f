//! The JSON lines of a connection's everyday events, written straight into the output.
//!
//! A server that prints every event writes five lines a connection (add_socket, connected,
//! send_complete, error 102, closed). Built as a [`serde_json::Value`] each line cost a map,
//! a string per key, a timestamp string and the line's own string: some sixty allocations a
//! connection, which is what kept the printing server under 0.9 of a plain accept loop. These
//! events are written here from borrowed structs whose fields are declared in the order the
//! `Value` prints them (its map sorts keys), so the bytes are exactly [`crate::report::json_record`]'s;
//! the tests hold the two to that. Every other event still goes through `json_record`.

use std::io::{self, Write};
use std::time::SystemTime;

use serde::Serialize;

use crate::report::JSON_TEXT_CHARS;
use crate::{Event, SocketId};

/// Writes `event`'s JSON line (with its newline) to `out`; `Ok(false)` when the event is not
/// one of those written here, and nothing was written.
pub(crate) fn write(out: &mut impl Write, event: &Event, ts: &str) -> io::Result<bool> {
    match event {
        Event::AddSocket { socket } => line(
            out,
            &Plain {
                event: "add_socket",
                socket: *socket,
                ts,
            },
        ),
        Event::Closed { socket } => line(
            out,
            &Plain {
                event: "closed",
                socket: *socket,
                ts,
            },
        ),
        Event::Connected {
            socket,
            local,
            remote,
        } => line(
            out,
            &Connected {
                event: "connected",
                local: Shown(local),
                remote: Shown(remote),
                socket: *socket,
                ts,
            },
        ),
        Event::SendComplete {
            socket,
            user_aborted,
        } => line(
            out,
            &SendComplete {
                event: "send_complete",
                socket: *socket,
                ts,
                user_aborted: *user_aborted,
            },
        ),
        Event::Error { socket, error } => line(
            out,
            &Error {
                code: error.code(),
                event: "error",
                meaning: error.meaning(),
                message: Shown(error),
                socket: *socket,
                ts,
            },
        ),
        Event::Data {
            socket,
            data,
            bytes,
        } => {
            let text = String::from_utf8_lossy(data);
            let (text, cut) = match text.char_indices().nth(JSON_TEXT_CHARS) {
                Some((cut, _)) => (&text[..cut], Some(true)),
                None => (&text[..], None),
            };
            line(
                out,
                &Data {
                    bytes: *bytes,
                    cut,
                    event: "data",
                    socket: *socket,
                    text,
                    ts,
                },
            )
        }
        _ => Ok(false),
    }
}

/// The `ts` of a line printed at `at`: RFC 3339 to the millisecond, as `json_record` has it.
/// Kept by the caller while the millisecond lasts, so a batch formats it once.
pub(crate) fn timestamp(at: SystemTime, into: &mut String) {
    use std::fmt::Write as _;
    into.clear();
    let _ = write!(into, "{}", humantime::format_rfc3339_millis(at));
}

fn line(out: &mut impl Write, record: &impl Serialize) -> io::Result<bool> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")?;
    Ok(true)
}

/// A value written as its `Display` text (an address, an error's message), with no string
/// made for it first.
struct Shown<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Shown<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

// The fields of each record below are in alphabetical order: that is the order of the
// `Value` map json_record builds.

#[derive(Serialize)]
struct Plain<'a> {
    event: &'static str,
    socket: SocketId,
    ts: &'a str,
}

#[derive(Serialize)]
struct Connected<'a> {
    event: &'static str,
    local: Shown<'a, std::net::SocketAddr>,
    remote: Shown<'a, std::net::SocketAddr>,
    socket: SocketId,
    ts: &'a str,
}

#[derive(Serialize)]
struct SendComplete<'a> {
    event: &'static str,
    socket: SocketId,
    ts: &'a str,
    user_aborted: bool,
}

#[derive(Serialize)]
struct Error<'a> {
    code: i32,
    event: &'static str,
    meaning: &'static str,
    message: Shown<'a, crate::SocketError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket: Option<SocketId>,
    ts: &'a str,
}

#[derive(Serialize)]
struct Data<'a> {
    bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    cut: Option<bool>,
    event: &'static str,
    socket: SocketId,
    text: &'a str,
    ts: &'a str,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::SocketError;
    use crate::report::json_record;

    /// The line written here and the one `json_record` makes, for the same event and time.
    fn both(event: &Event) -> (String, String) {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_000_000_123);
        let mut ts = String::new();
        timestamp(at, &mut ts);
        let mut fast = Vec::new();
        assert!(write(&mut fast, event, &ts).expect("written"), "{event:?}");
        let record = json_record(event, at).expect("in the schema");
        (
            String::from_utf8(fast).expect("UTF-8"),
            format!("{record}\n"),
        )
    }

    #[test]
    fn every_event_written_here_is_byte_for_byte_the_schemas_line() {
        let local = "127.0.0.1:2000".parse().expect("address");
        let remote = "[::1]:50123".parse().expect("address");
        let socket = SocketId(7);
        let events = [
            Event::AddSocket { socket },
            Event::Closed { socket },
            Event::Connected {
                socket,
                local,
                remote,
            },
            Event::SendComplete {
                socket,
                user_aborted: true,
            },
            Event::SendComplete {
                socket,
                user_aborted: false,
            },
            Event::Error {
                socket: Some(socket),
                error: SocketError::LostConnection {
                    peer: remote,
                    reason: "the peer said \"bye\"\n\tand left".into(),
                    cause: None,
                },
            },
            Event::Error {
                socket: None,
                error: SocketError::AddressInUse {
                    address: "127.0.0.1:2002".into(),
                    cause: None,
                },
            },
            Event::data(socket, &Bytes::from_static(b"hello \"you\"\r\n\x00\xff")),
            Event::data(socket, &Bytes::from("é".repeat(JSON_TEXT_CHARS + 3))),
            Event::data(socket, &Bytes::from(vec![b'z'; 128 * 1024])),
        ];
        for event in &events {
            let (fast, schema) = both(event);
            assert_eq!(fast, schema, "{event:?}");
        }
    }

    #[test]
    fn other_events_are_left_to_the_schema() {
        let mut out = Vec::new();
        assert!(!write(&mut out, &Event::Stopped, "ts").expect("nothing to fail"));
        assert!(out.is_empty());
    }
}

//! The JSON lines of a connection's everyday events, written straight into the output, and
//! the stamps (`ts`) of every line.
//!
//! A server that prints every event writes five lines a connection (add_socket, connected,
//! send_complete, error 102, closed). Their [`crate::Record`]s written by
//! `serde_json::to_writer` cost about twice what these hand-written lines do (the `print`
//! bench, `cargo bench -p serversocket-report --bench print`: 384–443 ns a line against
//! 164–192, ratio 2.3; a `connected` line 3.2–3.7 times, an `error` line 1.6–1.8). serde_json
//! escapes every key and value byte by byte and formats addresses through `Display`; here
//! fixed keys and names are written as they are, IPv4 addresses and numbers through `itoa`,
//! and only an error's meaning and message are escaped. Serde lost, so these five events are
//! written here, with their fields in the record's order, and their bytes are exactly the
//! record's: the tests here and the golden test (`tests/records.rs`, through the printer)
//! hold the two to that. Every other line, a data line among them (as fast either way), is
//! its record written by serde.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use serversocket::{Event, SocketId};

/// Writes `event`'s JSON line (with its newline) to `out`; `Ok(false)` when the event is not
/// one of those written here, and nothing was written.
pub(crate) fn write(out: &mut impl Write, event: &Event, ts: &str) -> io::Result<bool> {
    match event {
        Event::AddSocket { socket } => plain(out, "add_socket", *socket, ts),
        Event::Closed { socket } => plain(out, "closed", *socket, ts),
        Event::Connected {
            socket,
            local,
            remote,
        } => {
            out.write_all(br#"{"event":"connected","local":""#)?;
            address(out, local)?;
            out.write_all(br#"","remote":""#)?;
            address(out, remote)?;
            out.write_all(br#"","socket":"#)?;
            number(out, socket.0)?;
            stamp_and_end(out, ts, b"")
        }
        Event::SendComplete {
            socket,
            user_aborted,
        } => {
            out.write_all(br#"{"event":"send_complete","socket":"#)?;
            number(out, socket.0)?;
            let end: &[u8] = if *user_aborted {
                br#","user_aborted":true"#
            } else {
                br#","user_aborted":false"#
            };
            stamp_and_end(out, ts, end)
        }
        Event::Error { socket, error } => {
            out.write_all(br#"{"code":"#)?;
            number(out, error.code())?;
            out.write_all(br#","event":"error","meaning":"#)?;
            serde_json::to_writer(&mut *out, error.meaning())?;
            out.write_all(br#","message":"#)?;
            // The message names addresses and causes from the system: escaped.
            serde_json::to_writer(&mut *out, &Shown(error))?;
            if let Some(socket) = socket {
                out.write_all(br#","socket":"#)?;
                number(out, socket.0)?;
            }
            stamp_and_end(out, ts, b"")
        }
        _ => Ok(false),
    }
}

/// The `ts` of a JSON line printed at `at`: RFC 3339, UTC, to the microsecond
/// (`2026-11-27T06:30:00.123456Z`), so the lines of a burst, most of them made within one
/// millisecond, keep their order and their spacing, and a reader can tell how long a line
/// took to reach it (a stamp cut to the millisecond read up to a millisecond late).
#[must_use]
pub fn stamp(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(printable(at)).to_string()
}

/// The moment a line's `ts` names, as [`stamp`] writes it (RFC 3339, UTC: any fraction of a
/// second, or none, as other tools write it); `None` when it is no such stamp.
#[must_use]
pub fn read_stamp(ts: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(ts).ok()
}

/// `at`, or the nearest moment RFC 3339's formatter takes: a clock set before 1970 (or past
/// the year 9999) gives the first (or last) stamp there is rather than a printer that panics.
fn printable(at: SystemTime) -> SystemTime {
    /// 9999-12-31T23:59:59.999999Z.
    const LAST: Duration = Duration::from_micros(253_402_300_799_999_999);
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) if since <= LAST => at,
        Ok(_) => SystemTime::UNIX_EPOCH + LAST,
        Err(_) => SystemTime::UNIX_EPOCH,
    }
}

/// The stamps of a printer's lines, each exactly [`stamp`]'s: the date and time to the second
/// are formatted once a second, and each line adds only its six digits of microseconds
/// (measured here: 150 ns for a whole stamp, 45 for this; the rest of a line takes about 200).
#[derive(Debug, Default)]
pub struct Stamps {
    /// The second (since the epoch) that `text` starts with, if any yet.
    second: Option<u64>,
    /// `2026-11-27T06:30:00.` then the latest line's microseconds and `Z`.
    text: String,
    /// The length of `text` up to and with the `.`.
    prefix: usize,
}

impl Stamps {
    /// The stamp of a line printed at `at`.
    pub fn at(&mut self, at: SystemTime) -> &str {
        let at = printable(at);
        let since = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let second = since.as_secs();
        if self.second != Some(second) {
            self.text = humantime::format_rfc3339_seconds(at).to_string();
            self.text.pop(); // the `Z`
            self.text.push('.');
            self.prefix = self.text.len();
            self.second = Some(second);
        }
        self.text.truncate(self.prefix);
        let micros = since.subsec_micros();
        for place in [100_000, 10_000, 1_000, 100, 10, 1] {
            self.text
                .push(char::from_digit(micros / place % 10, 10).unwrap_or('0'));
        }
        self.text.push('Z');
        &self.text
    }
}

/// The line of an event that names only its socket. Only an error's meaning and message are
/// escaped in these lines; the rest cannot need it (fixed names, digits, an RFC 3339 stamp,
/// an address).
fn plain(out: &mut impl Write, event: &str, socket: SocketId, ts: &str) -> io::Result<bool> {
    out.write_all(br#"{"event":""#)?;
    out.write_all(event.as_bytes())?;
    out.write_all(br#"","socket":"#)?;
    number(out, socket.0)?;
    stamp_and_end(out, ts, b"")
}

/// `,"ts":"…"`, then `rest` (the fields after `ts` in key order), then `}` and the newline.
fn stamp_and_end(out: &mut impl Write, ts: &str, rest: &[u8]) -> io::Result<bool> {
    out.write_all(br#","ts":""#)?;
    out.write_all(ts.as_bytes())?;
    out.write_all(b"\"")?;
    out.write_all(rest)?;
    out.write_all(b"}\n")?;
    Ok(true)
}

fn number(out: &mut impl Write, value: impl itoa::Integer) -> io::Result<()> {
    out.write_all(itoa::Buffer::new().format(value).as_bytes())
}

/// An address as `SocketAddr`'s `Display` has it (`127.0.0.1:2002`, `[::1]:2002`); IPv4, the
/// everyday case, without going through the formatter.
fn address(out: &mut impl Write, address: &std::net::SocketAddr) -> io::Result<()> {
    match address {
        std::net::SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            let mut digits = itoa::Buffer::new();
            for (index, octet) in [a, b, c, d].into_iter().enumerate() {
                if index > 0 {
                    out.write_all(b".")?;
                }
                out.write_all(digits.format(octet).as_bytes())?;
            }
            out.write_all(b":")?;
            out.write_all(digits.format(v4.port()).as_bytes())
        }
        std::net::SocketAddr::V6(_) => write!(out, "{address}"),
    }
}

/// A value written as its `Display` text (an address, an error's message), with no string
/// made for it first.
struct Shown<'a, T: std::fmt::Display>(&'a T);

impl<T: std::fmt::Display> Serialize for Shown<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::Record;
    use serversocket::SocketError;

    /// The line written here and the one the event's record makes, for the same event and time.
    fn both(event: &Event) -> (String, String) {
        let at = SystemTime::UNIX_EPOCH + Duration::from_micros(1_764_000_000_123_456);
        let ts = Stamps::default().at(at).to_owned();
        let mut fast = Vec::new();
        assert!(write(&mut fast, event, &ts).expect("written"), "{event:?}");
        let line = Record::from_event(event).expect("in the schema").at(at);
        (String::from_utf8(fast).expect("UTF-8"), format!("{line}\n"))
    }

    /// A stamp reads back as the moment it was made; text that is no time reads as none.
    #[test]
    fn a_stamp_reads_back_and_garbage_does_not() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_micros(1_764_000_000_123_456);
        assert_eq!(read_stamp(&stamp(at)), Some(at));
        assert_eq!(read_stamp("garbage"), None);
        assert_eq!(read_stamp(""), None);
    }

    /// A printer's stamps are exactly the whole stamp of each moment: across a second's end,
    /// with microseconds that need leading zeros, going back in time (a clock set back) and
    /// before 1970.
    #[test]
    fn stamps_are_whole_stamps_to_the_microsecond() {
        let epoch = SystemTime::UNIX_EPOCH;
        let micros = |n: u64| epoch + Duration::from_micros(n);
        let moments = [
            micros(1_764_000_000_123_456),
            micros(1_764_000_000_123_457),
            micros(1_764_000_000_999_999),
            micros(1_764_000_001_000_000),
            micros(1_764_000_001_000_007),
            micros(1_764_000_001_040_000),
            micros(1_764_000_000_500_000),
            epoch,
            epoch + Duration::from_nanos(999),
            epoch - Duration::from_millis(1_500),
            micros(253_402_300_799_999_999), // 9999-12-31T23:59:59.999999Z
            micros(1_764_000_000_123_456) + Duration::from_nanos(999),
        ];
        let mut stamps = Stamps::default();
        for at in moments {
            assert_eq!(stamps.at(at), stamp(at), "{at:?}");
        }
        assert_eq!(
            stamps.at(micros(1_764_000_001_000_007)),
            "2025-11-24T16:00:01.000007Z"
        );
        assert_eq!(
            stamp(epoch - Duration::from_secs(1)),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            stamp(micros(253_402_300_800_000_000)),
            "9999-12-31T23:59:59.999999Z"
        );
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
            Event::Connected {
                socket: SocketId(u64::MAX),
                local: "0.0.0.0:0".parse().expect("address"),
                remote: "255.255.255.255:65535".parse().expect("address"),
            },
            Event::Connected {
                socket,
                local: "[fe80::1%7]:2002".parse().expect("address"),
                remote: "[::ffff:10.0.0.1]:9".parse().expect("address"),
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
        let data = Event::data(SocketId(1), &Bytes::from_static(b"hi"));
        assert!(!write(&mut out, &data, "ts").expect("nothing to fail"));
        assert!(out.is_empty());
    }
}

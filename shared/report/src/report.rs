//! Events written out for people and for scripts: the seed's log lines and the JSON lines.
//!
//! Both apps print these in headless mode and the windows show and export the same, so the
//! wording and the schema live in one place. The JSON schema (one object per line, each with
//! `event` and `ts`) is a public contract: scripts parse it.

use std::fmt::Write as _;
use std::io::Write;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::Event;
use crate::output::Output;

/// Which side is logging: the seed words received data differently on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The ServerSocket's application: `Socket 0 got: …`.
    Server,
    /// The client's socket array: `Socket 0: …`.
    Client,
}

/// The seed's log line for an event, or `None` for events too chatty to log (SendProgress).
#[must_use]
pub fn human_line(role: Role, event: &Event) -> Option<String> {
    Some(match event {
        Event::Listening {
            address, min, max, ..
        } => format!(
            "Listening on {address} (MinimumSocketsAvailable {min}, MaximumSocketsConnected {max})."
        ),
        Event::AddSocket { .. } => "Added Socket".to_owned(),
        Event::Connecting { socket, host, port } => {
            format!("Socket {socket} connecting to {host} port {port}...")
        }
        Event::Accepted { remote, handoff_in } => format!(
            "Accepted a connection from {remote}; handing it to a pooled socket in {} ms (slow motion).",
            handoff_in.as_millis()
        ),
        Event::Connected { socket, .. } => format!("Socket {socket} connected."),
        Event::Handshaking { socket, remote, .. } => {
            format!("Socket {socket}: TCP connected with {remote}; TLS handshake...")
        }
        Event::Secured { socket, tls } => format!(
            "Socket {socket}: TLS handshake done in {:.1} ms ({}, {}).",
            tls.handshake.as_secs_f64() * 1000.0,
            tls.protocol,
            tls.cipher
        ),
        Event::Data { .. } => data_line(role, event)?,
        Event::SendProgress { .. } => return None,
        // An open connection's queues and RTT change every second while it is busy; the row
        // shows them. The log tells what a learner should notice: a connection that waits in
        // the server's accept queue, and the closing states (FIN_WAIT, CLOSE_WAIT, TIME_WAIT …).
        Event::KernelState {
            view: Some(view), ..
        } if view.state == crate::kernel::TcpState::Established
            && view.peer_accepted != Some(false) =>
        {
            return None;
        }
        Event::KernelState {
            socket,
            view: Some(view),
        } => format!("Socket {socket} in the kernel: {}", view.describe()),
        Event::KernelState { socket, view: None } => {
            format!("Socket {socket} in the kernel: gone (the kernel forgot the connection)")
        }
        Event::SendComplete {
            socket,
            user_aborted,
        } => {
            if *user_aborted {
                format!("Socket {socket} send cancelled.")
            } else {
                format!("Socket {socket} send complete.")
            }
        }
        Event::Error {
            socket: Some(socket),
            error,
        } => format!(
            "Socket {socket}: Error = {} ({})",
            error.code(),
            error.meaning()
        ),
        Event::Error {
            socket: None,
            error,
        } => format!("Error = {} ({}): {error}", error.code(), error.meaning()),
        Event::Closed { socket } => format!("Socket {socket} closed."),
        Event::Released { socket } => format!("Socket {socket} released from the pool."),
        Event::LimitsChanged { min, max } => {
            format!("MinimumSocketsAvailable {min}, MaximumSocketsConnected {max}.")
        }
        Event::AcceptQueue {
            waiting,
            capacity,
            syn_recv,
            overflows,
        } => {
            let mut line = format!("Kernel accept queue: {waiting} waiting (capacity {capacity})");
            // Only said when there is something to say, so the usual line stays short.
            if *syn_recv > 0 {
                let _ = write!(line, ", {syn_recv} half-open (SYN received)");
            }
            if *overflows > 0 {
                let _ = write!(
                    line,
                    ", {overflows} dropped by full listen queues since Listen (whole system)"
                );
            }
            line
        }
        Event::Stopped => "Stopped listening.".to_owned(),
        Event::ListenerClosed => {
            "Listener closed: new connections are refused until it listens again.".to_owned()
        }
        Event::ListenerReopened { handle } => {
            format!("Listening again (new listening socket, handle {handle}).")
        }
        Event::Note { socket, text } => format!("Socket {socket}: {text}"),
    })
}

/// How many characters of a chunk a JSON `data` record's `text` holds. A longer chunk's text is
/// cut there and the record says `"cut": true`; `bytes` is still the whole chunk's length. Without
/// a cut, 10 MiB of random bytes would make some 24 MB of JSON.
pub const JSON_TEXT_CHARS: usize = 4096;

/// The JSON line for an event, or `None` for events outside the schema (connecting, progress,
/// released, limits, a connection's kernel state, a TLS handshake under way).
#[must_use]
pub fn json_record(event: &Event, at: SystemTime) -> Option<Value> {
    let ts = crate::json_line::stamp(at);
    Some(match event {
        Event::Listening {
            address,
            handle,
            min,
            max,
        } => json!({
            "event": "listening", "ts": ts, "address": address.to_string(),
            "min": min, "max": max, "handle": handle,
        }),
        Event::AddSocket { socket } => json!({"event": "add_socket", "ts": ts, "socket": socket}),
        Event::Connected {
            socket,
            local,
            remote,
        } => json!({
            "event": "connected", "ts": ts, "socket": socket,
            "remote": remote.to_string(), "local": local.to_string(),
        }),
        Event::Data {
            socket,
            data,
            bytes,
        } => {
            let text = String::from_utf8_lossy(data);
            match text.char_indices().nth(JSON_TEXT_CHARS) {
                Some((cut, _)) => json!({
                    "event": "data", "ts": ts, "socket": socket,
                    "bytes": bytes, "text": &text[..cut], "cut": true,
                }),
                None => json!({
                    "event": "data", "ts": ts, "socket": socket,
                    "bytes": bytes, "text": text,
                }),
            }
        }
        Event::SendComplete {
            socket,
            user_aborted,
        } => json!({
            "event": "send_complete", "ts": ts, "socket": socket, "user_aborted": user_aborted,
        }),
        Event::Closed { socket } => json!({"event": "closed", "ts": ts, "socket": socket}),
        Event::Secured { socket, tls } => json!({
            "event": "tls", "ts": ts, "socket": socket, "protocol": tls.protocol,
            "cipher": tls.cipher, "handshake_ms": millis(tls.handshake),
        }),
        Event::Error { socket, error } => {
            let mut record = json!({
                "event": "error", "ts": ts, "code": error.code(),
                "meaning": error.meaning(), "message": error.to_string(),
            });
            if let (Some(socket), Some(fields)) = (socket, record.as_object_mut()) {
                fields.insert("socket".to_owned(), json!(socket));
            }
            record
        }
        Event::Accepted { remote, handoff_in } => json!({
            "event": "accepted", "ts": ts, "remote": remote.to_string(),
            "handoff_in_ms": u64::try_from(handoff_in.as_millis()).unwrap_or(u64::MAX),
        }),
        Event::AcceptQueue {
            waiting,
            capacity,
            syn_recv,
            overflows,
        } => json!({
            "event": "accept_queue", "ts": ts, "waiting": waiting, "capacity": capacity,
            "syn_recv": syn_recv, "overflows": overflows,
        }),
        Event::Stopped => json!({"event": "stopped", "ts": ts}),
        Event::ListenerClosed => json!({"event": "listener_closed", "ts": ts}),
        Event::ListenerReopened { handle } => {
            json!({"event": "listener_reopened", "ts": ts, "handle": handle})
        }
        Event::Note { socket, text } => {
            json!({"event": "note", "ts": ts, "socket": socket, "text": text})
        }
        Event::Connecting { .. }
        | Event::Handshaking { .. }
        | Event::SendProgress { .. }
        | Event::KernelState { .. }
        | Event::Released { .. }
        | Event::LimitsChanged { .. } => return None,
    })
}

/// A duration in milliseconds to the microsecond (`4.213`), as a person reads it.
fn millis(duration: std::time::Duration) -> f64 {
    u32::try_from(duration.as_micros()).map_or(f64::MAX, f64::from) / 1000.0
}

/// Prints events one line each, as the seed's words or as JSON lines (headless mode).
#[derive(Debug)]
pub struct Printer<W: Write> {
    /// Which side's wording to use.
    role: Role,
    /// JSON lines instead of the seed's words.
    json: bool,
    /// Where lines go (stdout in the apps).
    out: W,
    /// The reader went away (e.g. `| head` exited): the program should stop like on Ctrl-C.
    closed: bool,
    /// The server's TLS certificate fingerprint, said with every Listening (a `tls` object in
    /// the JSON line, a sentence in words), so a client can pin or compare it.
    fingerprint: Option<String>,
    /// The stamps of the JSON lines written by hand.
    stamps: crate::json_line::Stamps,
    /// Where a JSON line is made before it is handed to `out` in one write.
    line: Vec<u8>,
    /// Bytes printed since the last flush.
    unflushed: usize,
}

impl<W: Write> Printer<W> {
    /// A printer for `role`, writing JSON lines when `json` is set.
    pub fn new(role: Role, json: bool, out: W) -> Self {
        Self {
            role,
            json,
            out,
            closed: false,
            fingerprint: None,
            stamps: crate::json_line::Stamps::default(),
            line: Vec::new(),
            unflushed: 0,
        }
    }

    /// Says with every Listening that connections are secured by the certificate with this
    /// SHA-256 fingerprint.
    pub fn set_tls_fingerprint(&mut self, fingerprint: String) {
        self.fingerprint = Some(fingerprint);
    }

    /// Prints one event (nothing for events outside the chosen format) and flushes, so a script
    /// reading the pipe sees each line at once. A failed write marks the output closed.
    pub fn print(&mut self, event: &Event) {
        self.print_unflushed(event);
        self.flush();
    }

    /// Prints one event like [`Printer::print`] but leaves it with the writer until the next
    /// [`Printer::flush`]: a program that drains a batch of events flushes once for the batch,
    /// instead of once a line (a flush is a write to the pipe, the costliest part of a line).
    pub fn print_unflushed(&mut self, event: &Event) {
        let listening = matches!(event, Event::Listening { .. });
        if self.json && !self.closed && !listening {
            let ts = self.stamps.at(SystemTime::now());
            self.line.clear();
            if crate::json_line::write(&mut self.line, event, ts).unwrap_or(false) {
                self.closed = self.out.write_all(&self.line).is_err();
                self.unflushed += self.line.len();
                return;
            }
        }
        let line = match (&self.fingerprint, self.json) {
            (Some(fingerprint), true) if listening => {
                json_record(event, SystemTime::now()).map(|mut record| {
                    if let Some(fields) = record.as_object_mut() {
                        fields.insert("tls".to_owned(), json!({"fingerprint": fingerprint}));
                    }
                    record.to_string()
                })
            }
            (Some(fingerprint), false) if listening => human_line(self.role, event).map(|line| {
                format!("{line}\nTLS: every connection is secured; the certificate's SHA-256 fingerprint is {fingerprint}.")
            }),
            (_, true) => json_record(event, SystemTime::now()).map(|record| record.to_string()),
            (_, false) => human_line(self.role, event),
        };
        if let Some(line) = line
            && !self.closed
        {
            self.closed = writeln!(self.out, "{line}").is_err();
            self.unflushed += line.len() + 1;
        }
    }

    /// Bytes printed and not yet flushed.
    #[must_use]
    pub fn unflushed(&self) -> usize {
        self.unflushed
    }

    /// Sends what was printed to the reader. A failed write marks the output closed.
    pub fn flush(&mut self) {
        self.unflushed = 0;
        if !self.closed {
            self.closed = self.out.flush().is_err();
        }
    }

    /// Prints a line of the program's own: `human` as it is, or a JSON object with `json_event`
    /// as its event.
    pub fn print_note(&mut self, human: &str, json_event: &str) {
        self.print_note_with(human, json_event, Value::Null);
    }

    /// The underlying writer (e.g. for [`Output::reader_gone`]).
    pub fn out(&self) -> &W {
        &self.out
    }

    /// Like [`Printer::print_note`], with `fields` (a JSON object) added to the JSON line.
    pub fn print_note_with(&mut self, human: &str, json_event: &str, fields: Value) {
        let line = if self.json {
            let ts = crate::json_line::stamp(SystemTime::now());
            let mut record = json!({"event": json_event, "ts": ts});
            if let (Some(record), Value::Object(fields)) = (record.as_object_mut(), fields) {
                record.extend(fields);
            }
            record.to_string()
        } else {
            human.to_owned()
        };
        if !self.closed {
            self.closed = writeln!(self.out, "{line}")
                .and_then(|()| self.out.flush())
                .is_err();
        }
    }

    /// True once a line could not be written: nobody reads the output any more.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

impl Printer<Output> {
    /// A printer on this process's stdout through a bounded queue of its own thread
    /// ([`Output`]): a reader that stops reading costs the oldest lines, never a wait.
    ///
    /// # Errors
    /// When stdout cannot be duplicated or the writer thread cannot start.
    pub fn stdout(role: Role, json: bool) -> std::io::Result<Self> {
        let out = Output::stdout(Box::new(move |count, at| dropped_line(json, count, at)))?;
        Ok(Self::new(role, json, out))
    }
}

/// The line that says `count` lines of output were dropped because their reader fell behind:
/// `{"event":"dropped","ts":…,"count":N}` with `json`, words otherwise. `at` is when the last
/// of them was printed: the note takes their place in the output, so its `ts` keeps the
/// stamps in order.
#[must_use]
pub fn dropped_line(json: bool, count: u64, at: SystemTime) -> String {
    if json {
        let ts = crate::json_line::stamp(at);
        json!({"event": "dropped", "ts": ts, "count": count}).to_string()
    } else {
        format!(
            "{count} lines of output were dropped: whoever reads this output fell behind, and the program does not wait for it."
        )
    }
}

/// A Data event's log line: `Socket 3 got: …` in the server's log, `Socket 3: …` in the
/// client's.
fn data_line(role: Role, event: &Event) -> Option<String> {
    let Event::Data {
        socket,
        data,
        bytes,
    } = event
    else {
        return None;
    };
    let verb = match role {
        Role::Server => " got",
        Role::Client => "",
    };
    Some(format!(
        "Socket {socket}{verb}: {}",
        preview_text(data, *bytes)
    ))
}

/// How many characters of a chunk a log line shows before it is cut.
pub const PREVIEW_CHARS: usize = 1000;

/// [`escape_text`] of a chunk of `bytes` bytes that starts with `start` (a Data event's `data`
/// and `bytes`), cut after [`PREVIEW_CHARS`] characters with the chunk's size said, so a
/// megabyte of data makes a readable line rather than a wall of text.
#[must_use]
pub fn preview_text(start: &[u8], bytes: usize) -> String {
    // Only the start can show: a character takes at most 4 bytes, so escaping the first
    // PREVIEW_CHARS * 4 bytes and one more character gives the same line as escaping it all,
    // without decoding and escaping a whole megabyte for each chunk.
    let head = &start[..start.len().min(4 * (PREVIEW_CHARS + 1))];
    let text = escape_text(head);
    match text.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}… ({bytes} bytes)", &text[..cut]),
        None if start.len() < bytes => format!("{text}… ({bytes} bytes)"),
        None => text,
    }
}

/// Received bytes as one printable line: invalid UTF-8 becomes U+FFFD, and control characters
/// (newlines, NUL, ESC, C1 …) and every invisible format character become escapes (`\u{202e}`),
/// so binary data can never break a log line or a terminal, nor reorder or hide part of it.
/// A backslash is doubled, so an escape always stands for one character: a newline shows as
/// `\n`, the two characters `\` and `n` as `\\n`.
#[must_use]
pub fn escape_text(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if must_escape(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// Whether a character would act on the terminal or the line rather than show: controls (Cc),
/// format characters (Cf: the bidi overrides and isolates such as U+202E, U+200B zero width
/// space, U+FEFF, soft hyphen …) and the line and paragraph separators U+2028 and U+2029 (Zl,
/// Zp), which some terminals and editors treat as line breaks; and the backslash, which
/// starts every escape.
fn must_escape(c: char) -> bool {
    use unicode_general_category::{GeneralCategory, get_general_category};
    c == '\\'
        || c.is_control()
        || matches!(
            get_general_category(c),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SocketError, SocketId};

    #[test]
    fn lines_use_the_seeds_words() {
        let socket = SocketId(0);
        let lost = Event::Error {
            socket: Some(socket),
            error: SocketError::LostConnection {
                peer: "127.0.0.1:2002".parse().expect("address"),
                reason: "the peer closed the connection".into(),
                cause: None,
            },
        };
        assert_eq!(
            human_line(Role::Client, &lost).as_deref(),
            Some("Socket 0: Error = 102 (lost connection)")
        );
        let data = Event::data(socket, &bytes::Bytes::from_static(b"hi\n\0\xff"));
        assert_eq!(
            human_line(Role::Server, &data).as_deref(),
            Some("Socket 0 got: hi\\n\\u{0}\u{fffd}")
        );
        assert_eq!(
            human_line(Role::Client, &data).as_deref(),
            Some("Socket 0: hi\\n\\u{0}\u{fffd}")
        );
    }

    /// A reader that went away.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_printer_counts_what_it_printed_since_the_last_flush() {
        for json in [true, false] {
            let mut printer = Printer::new(Role::Server, json, Vec::new());
            printer.print_unflushed(&Event::Closed {
                socket: SocketId(1),
            });
            printer.print_unflushed(&Event::data(
                SocketId(2),
                &bytes::Bytes::from_static(b"hello"),
            ));
            assert_eq!(printer.unflushed(), printer.out().len(), "json {json}");
            assert!(printer.unflushed() > 0);
            printer.flush();
            assert_eq!(printer.unflushed(), 0);
        }
    }

    #[test]
    fn a_printer_notices_when_its_reader_is_gone() {
        let mut printer = Printer::new(Role::Server, false, Vec::new());
        printer.print(&Event::Stopped);
        assert!(!printer.is_closed());
        let mut broken = Printer::new(Role::Server, true, ClosedPipe);
        broken.print(&Event::Stopped);
        assert!(broken.is_closed());
    }

    #[test]
    fn huge_chunks_are_cut_with_their_size_said() {
        let data = vec![b'a'; 65_536];
        let line = human_line(
            Role::Server,
            &Event::data(SocketId(1), &bytes::Bytes::from(data)),
        )
        .unwrap_or_default();
        assert!(
            line.ends_with("a… (65536 bytes)"),
            "{}",
            &line[line.len() - 40..]
        );
        assert!(line.len() < PREVIEW_CHARS + 100);
        // Cutting the chunk before escaping it changes nothing that shows.
        let mut mixed = "é\u{202e}\0".repeat(2000).into_bytes();
        mixed.extend_from_slice(b"\xff\xfe");
        let whole = escape_text(&mixed);
        let cut = whole
            .char_indices()
            .nth(PREVIEW_CHARS)
            .map_or(0, |(at, _)| at);
        assert_eq!(
            preview_text(&mixed, mixed.len()),
            format!("{}… ({} bytes)", &whole[..cut], mixed.len())
        );
        let short = preview_text("é\0".as_bytes(), 3);
        assert_eq!(short, "é\\u{0}");
    }

    #[test]
    fn invisible_and_reordering_characters_are_escaped() {
        for (c, escape) in [
            ('\u{202e}', "\\u{202e}"),
            ('\u{202a}', "\\u{202a}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{061c}', "\\u{61c}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
            ('\u{200b}', "\\u{200b}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{e0041}', "\\u{e0041}"),
        ] {
            let text = format!("a{c}b");
            assert_eq!(escape_text(text.as_bytes()), format!("a{escape}b"), "{c:?}");
        }
        // Visible text, accents and right-to-left letters stay as they are.
        assert_eq!(escape_text("é ש ✓".as_bytes()), "é ש ✓");
        // A backslash in the data cannot pass for an escape.
        assert_eq!(escape_text(b"a\\nb\n"), "a\\\\nb\\n");
    }

    #[test]
    fn the_log_tells_the_kernels_closing_states_and_the_accept_queue_not_every_open_sample() {
        use crate::kernel::{TcpState, TcpView};
        let view = |state, peer_accepted| Event::KernelState {
            socket: SocketId(3),
            view: Some(TcpView {
                state,
                recv_queue: 0,
                send_queue: 0,
                rtt: None,
                peer_accepted,
            }),
        };
        assert_eq!(
            human_line(Role::Server, &view(TcpState::Established, None)),
            None
        );
        assert_eq!(
            human_line(Role::Client, &view(TcpState::Established, Some(true))),
            None
        );
        let waiting = human_line(Role::Client, &view(TcpState::Established, Some(false)));
        assert!(
            waiting
                .as_deref()
                .is_some_and(|l| l.contains("accept queue")),
            "{waiting:?}"
        );
        let closing = human_line(Role::Server, &view(TcpState::TimeWait, None));
        assert!(
            closing
                .as_deref()
                .is_some_and(|l| l.starts_with("Socket 3 in the kernel: TIME_WAIT")),
            "{closing:?}"
        );
    }

    #[test]
    fn the_accept_queue_reads_as_one_line_and_one_record() {
        let queue = Event::AcceptQueue {
            waiting: 4,
            capacity: 16,
            syn_recv: 0,
            overflows: 0,
        };
        assert_eq!(
            human_line(Role::Server, &queue).as_deref(),
            Some("Kernel accept queue: 4 waiting (capacity 16)")
        );
        let record = json_record(&queue, SystemTime::UNIX_EPOCH).expect("in the schema");
        assert_eq!(
            record,
            json!({"event": "accept_queue", "ts": "1970-01-01T00:00:00.000000Z", "waiting": 4,
                   "capacity": 16, "syn_recv": 0, "overflows": 0})
        );
        let overflowing = Event::AcceptQueue {
            waiting: 3,
            capacity: 2,
            syn_recv: 1,
            overflows: 9,
        };
        let line = human_line(Role::Server, &overflowing).unwrap_or_default();
        assert!(
            line.contains("1 half-open") && line.contains("9 dropped"),
            "{line}"
        );
    }

    #[test]
    fn json_records_follow_the_schema() {
        let data = Event::data(SocketId(3), &bytes::Bytes::from_static(b"abc"));
        let record = json_record(&data, SystemTime::UNIX_EPOCH).expect("data is in the schema");
        assert_eq!(record["event"], "data");
        assert_eq!(record["ts"], "1970-01-01T00:00:00.000000Z");
        assert_eq!(record["socket"], 3);
        assert_eq!(record["bytes"], 3);
        assert_eq!(record["text"], "abc");
        assert!(record.get("cut").is_none(), "{record}");
        let long = Event::data(
            SocketId(3),
            &bytes::Bytes::from("é".repeat(JSON_TEXT_CHARS + 10)),
        );
        let record = json_record(&long, SystemTime::UNIX_EPOCH).expect("data is in the schema");
        assert_eq!(record["bytes"], 2 * (JSON_TEXT_CHARS + 10));
        assert_eq!(record["cut"], true);
        assert_eq!(
            record["text"].as_str().map(|t| t.chars().count()),
            Some(JSON_TEXT_CHARS)
        );
        let listener_error = Event::Error {
            socket: None,
            error: SocketError::AddressInUse {
                address: "127.0.0.1:2002".into(),
                cause: None,
            },
        };
        let record = json_record(&listener_error, SystemTime::UNIX_EPOCH).expect("in schema");
        assert_eq!(record["code"], 105);
        assert!(record.get("socket").is_none());
    }

    /// A Data event carries only the start of a long chunk; every view of it must read as if it
    /// carried the whole: the JSON line (text, cut, bytes) and the log line.
    #[test]
    fn a_data_event_shows_a_long_chunk_as_the_whole_chunk_would() {
        use crate::DATA_EVENT_BYTES;
        let ascii_then_wide = {
            let mut chunk = vec![b'a'; JSON_TEXT_CHARS - 2];
            chunk.extend("€".repeat(5000).bytes());
            chunk
        };
        let chunks: Vec<Vec<u8>> = vec![
            vec![b'x'; 128 * 1024],
            vec![b'x'; DATA_EVENT_BYTES],
            vec![b'x'; DATA_EVENT_BYTES + 1],
            "é".repeat(60_000).into_bytes(),
            "😀".repeat(JSON_TEXT_CHARS + 1).into_bytes(),
            vec![0xff; 100_000],
            [&b"\xf0\x9f"[..], &vec![0xc3; 50_000]].concat(),
            ascii_then_wide,
            (0..200_000_u32).map(|i| i.to_le_bytes()[0]).collect(),
        ];
        for (n, chunk) in chunks.into_iter().enumerate() {
            let chunk = bytes::Bytes::from(chunk);
            let whole = Event::Data {
                socket: SocketId(1),
                data: chunk.clone(),
                bytes: chunk.len(),
            };
            let event = Event::data(SocketId(1), &chunk);
            let Event::Data { data, bytes, .. } = &event else {
                unreachable!()
            };
            assert_eq!(*bytes, chunk.len(), "chunk {n}");
            assert!(data.len() <= DATA_EVENT_BYTES, "chunk {n}");
            assert_eq!(&data[..], &chunk[..data.len()], "chunk {n}");
            assert_eq!(
                json_record(&event, SystemTime::UNIX_EPOCH),
                json_record(&whole, SystemTime::UNIX_EPOCH),
                "chunk {n}"
            );
            for role in [Role::Server, Role::Client] {
                assert_eq!(
                    human_line(role, &event),
                    human_line(role, &whole),
                    "chunk {n}"
                );
            }
        }
    }
}

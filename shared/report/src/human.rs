//! Events in words for people: the seed's log lines, as both windows and headless mode show
//! them, and received bytes as text a log can hold.

use std::fmt::Write as _;

use serversocket::Event;

use crate::Side;

/// The seed's log line for an event, or `None` for events too chatty to log (SendProgress).
#[must_use]
pub fn human_line(side: Side, event: &Event) -> Option<String> {
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
        Event::Data { .. } => data_line(side, event)?,
        // An open connection's queues and RTT change every second while it is busy; the row
        // shows them. The log tells what a learner should notice: a connection that waits in
        // the server's accept queue, and the closing states (FIN_WAIT, CLOSE_WAIT, TIME_WAIT …).
        Event::KernelState {
            view: Some(view), ..
        } if view.state == serversocket_kernel::TcpState::Established
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
                format!(
                    "Socket {socket} send cut short: the bytes still queued were dropped unsent."
                )
            } else {
                format!("Socket {socket} send complete.")
            }
        }
        Event::Error {
            socket: Some(socket),
            error,
        } => {
            let mut line = format!(
                "Socket {socket}: Error = {} ({})",
                error.code(),
                error.meaning()
            );
            // A failed handshake has many causes under one code: the sentence says which, and
            // what to do (the seed's line alone said "TLS: unknown CA" and no more).
            if let serversocket::SocketError::Tls {
                problem, detail, ..
            } = error
            {
                let _ = write!(line, ": {problem}");
                // These two name no cause of their own: rustls's words, or the alert, do. A
                // name mismatch's detail says which names the certificate is for, and an echo
                // server's that it sent our hello back (another plaintext server's detail is
                // rustls's "corrupt message", which says nothing more).
                match problem {
                    // rustls's words or the alert for these two; how long it waited for the
                    // timeouts.
                    serversocket::tls::TlsProblem::Other
                    | serversocket::tls::TlsProblem::RefusedByPeer
                    | serversocket::tls::TlsProblem::TimedOut
                    | serversocket::tls::TlsProblem::ServerSilent => {
                        let _ = write!(line, " ({detail})");
                    }
                    // After the advice's own brackets, a sentence of its own: "(…) (…)" read
                    // as two asides.
                    serversocket::tls::TlsProblem::PlaintextServer
                        if detail == serversocket::tls::ECHO_SERVER_DETAIL =>
                    {
                        let _ = write!(line, "; {detail}");
                    }
                    // The certificate's fingerprint (which a pin takes), or its dates.
                    serversocket::tls::TlsProblem::UnknownCa
                    | serversocket::tls::TlsProblem::PinMismatch
                    | serversocket::tls::TlsProblem::Expired
                        if !detail.starts_with("invalid peer certificate") =>
                    {
                        let _ = write!(line, "; {detail}");
                    }
                    serversocket::tls::TlsProblem::NameMismatch => {
                        let names = detail
                            .strip_prefix("invalid peer certificate: ")
                            .unwrap_or(detail);
                        let _ = write!(line, " ({names})");
                    }
                    _ => {}
                }
            } else if !says_it_all(error) {
                // The number and its few words were all that was said of a network that could
                // not be reached, a name not found, a write refused or a peer's alert: the
                // cause was in the JSON line's message alone.
                let _ = write!(line, ": {}", cause(error));
            }
            line
        }
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
            let mut line = format!("Kernel accept queue: {waiting} waiting (capacity {capacity}");
            // Linux takes a connection into the queue while fewer than backlog + 1 wait, so
            // `--backlog 0` holds one: said, so "1 waiting (capacity 0)" does not look wrong.
            if waiting > capacity {
                line.push_str("; Linux lets one more than the backlog wait");
            }
            line.push(')');
            // Only said when there is something to say, so the usual line stays short.
            if *syn_recv > 0 {
                let _ = write!(line, ", {syn_recv} half-open (SYN received)");
            }
            if *overflows > 0 {
                let _ = write!(
                    line,
                    // "System-wide" first: a line cut at the window's edge still says the
                    // count is not this server's own.
                    ", system-wide {overflows} dropped by full listen queues since Listen (any listener's)"
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
        // SendProgress is too chatty to log; an event kind the core adds later has no words
        // until it is given them here.
        _ => return None,
    })
}

/// A Data event's log line: `Socket 3 got: …` in the server's log, `Socket 3: …` in the
/// client's.
fn data_line(side: Side, event: &Event) -> Option<String> {
    let Event::Data {
        socket,
        data,
        bytes,
    } = event
    else {
        return None;
    };
    let verb = match side {
        Side::Server => " got",
        Side::Client => "",
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

/// Received bytes as one printable line: a byte that is not UTF-8 shows as `\xff` (it was
/// U+FFFD, which hid the byte and drew as an empty box in the windows' font), a one-byte
/// control as the send box writes it (`\n`, `\x00`, `\x1b`), and the other controls (C1 …)
/// and every invisible format character become escapes (`\u{202e}`), so binary data can never break a log line or a terminal, nor reorder or
/// hide part of it. A backslash is doubled, so an escape always stands for one character: a
/// newline shows as `\n`, the two characters `\` and `n` as `\\n`.
#[must_use]
pub fn escape_text(data: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut escaped = String::with_capacity(data.len());
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' | '\r' | '\t' | '\\' => escaped.extend(c.escape_default()),
                // The other one-byte controls as a send box takes them (`\x00`, `\x15`), as
                // a byte that is not UTF-8 shows: one way to write a byte.
                c if c.is_ascii_control() => {
                    let _ = write!(escaped, "\\x{:02x}", u32::from(c));
                }
                c if must_escape(c) => escaped.extend(c.escape_default()),
                c => escaped.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(escaped, "\\x{byte:02x}");
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

/// What a socket's error line says after its number and few words: the error's message, less
/// what those words said already ("network stack error: the network stack reported an error:
/// …", "send queue full: the send queue is full …").
fn cause(error: &serversocket::SocketError) -> String {
    use serversocket::SocketError;
    match error {
        SocketError::Os(detail) => detail.clone(),
        SocketError::SendQueueFull { queued } => format!(
            "{queued} bytes wait to be sent and the peer has not read them yet, so this write \
             was refused"
        ),
        _ => error.to_string(),
    }
}

/// Whether a socket's error says all there is in its number and few words: a peer's ordinary
/// close (the seed's `Error = 102 (lost connection)`), a refused connect and an idle timeout.
/// Every other error's line also gives its message.
fn says_it_all(error: &serversocket::SocketError) -> bool {
    use serversocket::SocketError;
    error.is_peer_close()
        || matches!(
            error,
            SocketError::ConnectionRefused { .. } | SocketError::IdleTimedOut { .. }
        )
}

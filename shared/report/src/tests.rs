//! The log lines and JSON lines of every event, as scripts and people read them.

use std::io::Write;
use std::time::SystemTime;

use serde_json::json;
use serversocket::{Event, SocketError, SocketId};

use crate::*;

/// The JSON line of `event` stamped at `at`, as a `Value` to look into.
fn json_record(event: &Event, at: SystemTime) -> Option<serde_json::Value> {
    Record::from_event(event)
        .map(|record| serde_json::to_value(record.at(at)).expect("a JSON object"))
}

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
        human_line(Side::Client, &lost).as_deref(),
        Some("Socket 0: Error = 102 (lost connection)")
    );
    // Any other cause is said too: it was in the JSON line's message alone.
    let alert = Event::Error {
        socket: Some(socket),
        error: SocketError::LostConnection {
            peer: "127.0.0.1:2002".parse().expect("address"),
            reason: "received fatal alert: CertificateRequired".into(),
            cause: None,
        },
    };
    assert_eq!(
        human_line(Side::Client, &alert).as_deref(),
        Some(
            "Socket 0: Error = 102 (lost connection): the connection to 127.0.0.1:2002 was \
             lost: received fatal alert: CertificateRequired"
        )
    );
    let unreachable = Event::Error {
        socket: Some(socket),
        error: SocketError::Os("connecting failed: Network is unreachable".into()),
    };
    assert_eq!(
        human_line(Side::Client, &unreachable).as_deref(),
        Some(
            "Socket 0: Error = 100 (network stack error): connecting failed: Network is \
             unreachable"
        )
    );
    // A failed handshake says which of its causes, and what to do.
    let unknown_ca = Event::Error {
        socket: Some(socket),
        error: SocketError::Tls {
            peer: "127.0.0.1:2002".parse().expect("address"),
            problem: serversocket::tls::TlsProblem::UnknownCa,
            detail: "invalid peer certificate: UnknownIssuer".into(),
        },
    };
    assert_eq!(
        human_line(Side::Client, &unknown_ca).as_deref(),
        Some(
            "Socket 0: Error = 102 (TLS: unknown CA): the server's certificate is signed by an \
             unknown CA: trust that CA (a CA file), pin the certificate's fingerprint, or accept \
             any certificate (insecure)"
        )
    );
    // With the certificate's fingerprint (a pin takes it), its dates, the time waited.
    for (problem, detail, ends) in [
        (
            serversocket::tls::TlsProblem::UnknownCa,
            "its SHA-256 fingerprint is ab12",
            "or accept any certificate (insecure); its SHA-256 fingerprint is ab12",
        ),
        (
            serversocket::tls::TlsProblem::Expired,
            "it expired on 2021-01-01",
            "has expired or is not valid yet; it expired on 2021-01-01",
        ),
        (
            serversocket::tls::TlsProblem::ServerSilent,
            "after 10 s",
            "waits for its client to speak first looks like this) (after 10 s)",
        ),
    ] {
        let error = Event::Error {
            socket: Some(socket),
            error: SocketError::Tls {
                peer: "127.0.0.1:2002".parse().expect("address"),
                problem,
                detail: detail.into(),
            },
        };
        let line = human_line(Side::Client, &error).expect("a line");
        assert!(line.ends_with(ends), "{line}");
    }
    // A name mismatch says which names the certificate is for.
    let mismatch = Event::Error {
        socket: Some(socket),
        error: SocketError::Tls {
            peer: "127.0.0.1:2002".parse().expect("address"),
            problem: serversocket::tls::TlsProblem::NameMismatch,
            detail: "invalid peer certificate: certificate not valid for name \"127.0.0.1\"; \
                     certificate is only valid for localhost"
                .into(),
        },
    };
    assert_eq!(
        human_line(Side::Client, &mismatch).as_deref(),
        Some(
            "Socket 0: Error = 102 (TLS: name mismatch): the server's certificate is not for the \
             name we connected to (certificate not valid for name \"127.0.0.1\"; certificate is \
             only valid for localhost)"
        )
    );
    // An echo server says it sent our hello back; another plaintext server's detail is
    // rustls's and is left out.
    let echo = |detail: &str| Event::Error {
        socket: Some(socket),
        error: SocketError::Tls {
            peer: "127.0.0.1:2002".parse().expect("address"),
            problem: serversocket::tls::TlsProblem::PlaintextServer,
            detail: detail.into(),
        },
    };
    let plaintext = "Socket 0: Error = 102 (TLS: plaintext server): the server does not speak \
                     TLS on this port: its answer was not a TLS handshake (turn TLS off, or \
                     connect to the server's TLS port)";
    assert_eq!(
        human_line(Side::Client, &echo(serversocket::tls::ECHO_SERVER_DETAIL)),
        Some(format!(
            "{plaintext}; it sent our own TLS hello back, as an echo server does"
        ))
    );
    assert_eq!(
        human_line(
            Side::Client,
            &echo("received corrupt message of type InvalidContentType")
        )
        .as_deref(),
        Some(plaintext)
    );
    // A cause with no words of its own says rustls's.
    let other = Event::Error {
        socket: Some(socket),
        error: SocketError::Tls {
            peer: "127.0.0.1:2002".parse().expect("address"),
            problem: serversocket::tls::TlsProblem::Other,
            detail: "peer sent no certificates".into(),
        },
    };
    assert_eq!(
        human_line(Side::Client, &other).as_deref(),
        Some(
            "Socket 0: Error = 102 (TLS: handshake failed): the handshake failed (peer sent no \
             certificates)"
        )
    );
    let data = Event::data(socket, &bytes::Bytes::from_static(b"hi\n\0\xff"));
    assert_eq!(
        human_line(Side::Server, &data).as_deref(),
        Some("Socket 0 got: hi\\n\\x00\\xff")
    );
    assert_eq!(
        human_line(Side::Client, &data).as_deref(),
        Some("Socket 0: hi\\n\\x00\\xff")
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
        let mut printer = Printer::new(Side::Server, json, Vec::new());
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
    let mut printer = Printer::new(Side::Server, false, Vec::new());
    printer.print(&Event::Stopped);
    assert!(!printer.is_closed());
    let mut broken = Printer::new(Side::Server, true, ClosedPipe);
    broken.print(&Event::Stopped);
    assert!(broken.is_closed());
}

#[test]
fn huge_chunks_are_cut_with_their_size_said() {
    let data = vec![b'a'; 65_536];
    let line = human_line(
        Side::Server,
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
    assert_eq!(short, "é\\x00");
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
    use serversocket_kernel::{TcpState, TcpView};
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
        human_line(Side::Server, &view(TcpState::Established, None)),
        None
    );
    assert_eq!(
        human_line(Side::Client, &view(TcpState::Established, Some(true))),
        None
    );
    let waiting = human_line(Side::Client, &view(TcpState::Established, Some(false)));
    assert!(
        waiting
            .as_deref()
            .is_some_and(|l| l.contains("accept queue")),
        "{waiting:?}"
    );
    let closing = human_line(Side::Server, &view(TcpState::TimeWait, None));
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
        human_line(Side::Server, &queue).as_deref(),
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
    let line = human_line(Side::Server, &overflowing).unwrap_or_default();
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
    use serversocket::DATA_EVENT_BYTES;
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
        for role in [Side::Server, Side::Client] {
            assert_eq!(
                human_line(role, &event),
                human_line(role, &whole),
                "chunk {n}"
            );
        }
    }
}

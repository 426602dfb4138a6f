//! The JSON lines, byte for byte: every event kind the schema has, and the program's own lines
//! (notes, the summary, progress, dropped lines), with extreme and IPv6 addresses, empty and
//! long texts, escapes, unicode and control bytes, and every error kind, held to
//! `tests/golden/records.ndjson`. Scripts parse these lines, so a change to any byte is a
//! change to the public schema: it must be made on purpose, by rewriting the file with
//! `GOLDEN_WRITE=1 cargo test -p serversocket-report --test records`.

#![allow(clippy::expect_used, missing_docs)]

use std::borrow::Cow;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serversocket::tls::{TlsInfo, TlsProblem};
use serversocket::{Event, PortHold, SocketError, SocketId};
use serversocket_kernel::{TcpState, TcpView};
use serversocket_report::{JSON_TEXT_CHARS, Line, Printer, Record, Side, dropped_line, stamp};

/// The moment of every line: 2025-11-24T16:00:00.123456Z.
fn at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_micros(1_764_000_000_123_456)
}

fn address(text: &str) -> SocketAddr {
    text.parse().expect("an address")
}

/// The addresses a line may name: the smallest and largest IPv4 ends, loopback, IPv6 loopback,
/// a scoped link-local address and an IPv4-mapped one.
fn addresses() -> Vec<SocketAddr> {
    [
        "0.0.0.0:0",
        "255.255.255.255:65535",
        "127.0.0.1:2002",
        "[::1]:2002",
        "[fe80::1%2]:50123",
        "[::ffff:10.0.0.1]:9",
        "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
        "[::]:0",
    ]
    .into_iter()
    .map(address)
    .collect()
}

/// Texts with what JSON must escape or keep: empty, quotes and backslashes, control bytes,
/// accents, emoji, right-to-left and invisible characters, and bytes that are not UTF-8.
fn texts() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"hello \"you\"\r\n".to_vec(),
        b"\\ back\\slash / slash".to_vec(),
        (0..=0x1f_u8).chain([0x7f]).collect(),
        "é ש ✓ 😀 \u{202e}\u{2028}\u{2029}\u{feff}"
            .as_bytes()
            .to_vec(),
        b"\xff\xfe\xc3 half \xe2\x82".to_vec(),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\0".to_vec(),
    ]
}

/// Every error kind the core has, with the addresses and texts above in its words.
fn errors() -> Vec<SocketError> {
    let peer = address("[fe80::1%2]:50123");
    let mut errors = vec![
        SocketError::LostConnection {
            peer,
            reason: Cow::Borrowed("the peer closed the connection"),
            cause: None,
        },
        SocketError::LostConnection {
            peer: address("255.255.255.255:65535"),
            reason: "the peer said \"bye\"\n\tand left \u{1} é".into(),
            cause: Some(std::io::Error::from(std::io::ErrorKind::ConnectionReset).into()),
        },
        SocketError::ConnectionRefused {
            address: "[::1]:2002".into(),
            cause: None,
        },
        SocketError::ConnectedToItself {
            address: address("127.0.0.1:40000"),
        },
        SocketError::IdleTimedOut {
            peer: address("0.0.0.0:0"),
            timeout: std::time::Duration::from_secs(u64::MAX),
        },
        SocketError::ConnectTimedOut {
            address: "10.255.255.1:80".into(),
            timeout: Some(std::time::Duration::from_secs(5)),
            cause: None,
        },
        SocketError::ConnectTimedOut {
            address: "[::ffff:10.0.0.1]:9".into(),
            timeout: None,
            cause: None,
        },
        SocketError::NameResolution {
            host: "no-such-host.invalid\"\\".into(),
            reason: "failed to lookup address information: Name or service not known".into(),
        },
        SocketError::AddressInUse {
            address: "127.0.0.1:2002".into(),
            cause: None,
        },
        SocketError::PortHeldByConnection {
            address: "0.0.0.0:40000".into(),
            held: PortHold::Open,
            hint: String::new(),
        },
        SocketError::PortHeldByConnection {
            address: "0.0.0.0:40000".into(),
            held: PortHold::TimeWait,
            hint: "; port 40000 lies in the ephemeral range".into(),
        },
        SocketError::MappedAddress {
            address: "::ffff:127.0.0.1".into(),
            ipv4: "127.0.0.1".into(),
        },
        SocketError::AddressNotAvailable {
            address: "192.0.2.1:2002".into(),
            cause: None,
        },
        SocketError::InvalidState("the socket is not connected".into()),
        SocketError::InvalidSetting {
            field: "MaximumSocketsConnected",
            reason: "must be at least MinimumSocketsAvailable (2)".into(),
        },
        SocketError::InvalidPort {
            port: "70000\u{0}".into(),
            reason: "number too large to fit in target type".into(),
        },
        SocketError::PortNeedsPrivileges {
            port: 80,
            cause: None,
        },
        SocketError::BindNotPermitted {
            address: "0.0.0.0:0".into(),
            reason: "Operation not permitted (os error 1)".into(),
            cause: None,
        },
        SocketError::AcceptFailed {
            reason: "Too many open files (os error 24)".into(),
            retry_in: Duration::from_millis(1600),
            cause: None,
        },
        SocketError::SendQueueFull { queued: usize::MAX },
        SocketError::Os(String::new()),
        SocketError::Os("\u{7f}\u{1b}[31mred\u{1b}[0m".into()),
    ];
    for problem in [
        TlsProblem::PlaintextClient,
        TlsProblem::PlaintextServer,
        TlsProblem::UnknownCa,
        TlsProblem::NameMismatch,
        TlsProblem::Expired,
        TlsProblem::PinMismatch,
        TlsProblem::RefusedByPeer,
        TlsProblem::TimedOut,
        TlsProblem::ServerSilent,
        TlsProblem::PeerClosed,
        TlsProblem::Other,
    ] {
        errors.push(SocketError::Tls {
            peer,
            problem,
            detail: "received fatal alert: \"BadCertificate\"".into(),
        });
    }
    errors
}

/// Every event the schema has a line for, each with its extremes; then a few it has none for.
fn events() -> Vec<Event> {
    let mut events = Vec::new();
    let sockets = [SocketId(0), SocketId(7), SocketId(u64::MAX)];
    for (index, address) in addresses().into_iter().enumerate() {
        events.push(Event::Listening {
            address,
            handle: [i64::MIN, -1, 0, 3, i64::MAX][index % 5],
            min: [0, 2, usize::MAX][index % 3],
            max: [1, 10, usize::MAX][index % 3],
        });
    }
    for socket in sockets {
        events.push(Event::AddSocket { socket });
        events.push(Event::Closed { socket });
        events.push(Event::SendComplete {
            socket,
            user_aborted: false,
        });
        events.push(Event::SendComplete {
            socket,
            user_aborted: true,
        });
        events.push(Event::Note {
            socket,
            text: String::new(),
        });
    }
    let addresses = addresses();
    for (index, local) in addresses.iter().enumerate() {
        let remote = addresses[(index + 3) % addresses.len()];
        events.push(Event::Connected {
            socket: sockets[index % 3],
            local: *local,
            remote,
        });
        events.push(Event::Accepted {
            remote,
            handoff_in: [Duration::ZERO, Duration::from_micros(1_999), Duration::MAX][index % 3],
        });
    }
    for (index, text) in texts().into_iter().enumerate() {
        events.push(Event::data(sockets[index % 3], &Bytes::from(text.clone())));
        events.push(Event::Note {
            socket: sockets[index % 3],
            text: String::from_utf8_lossy(&text).into_owned(),
        });
    }
    for long in [
        "a".repeat(JSON_TEXT_CHARS),
        "a".repeat(JSON_TEXT_CHARS + 1),
        "é".repeat(JSON_TEXT_CHARS + 3),
        "\"\\\n".repeat(JSON_TEXT_CHARS / 2),
        "😀".repeat(JSON_TEXT_CHARS + 1),
    ] {
        events.push(Event::data(SocketId(7), &Bytes::from(long.clone())));
        events.push(Event::Note {
            socket: SocketId(7),
            text: long,
        });
    }
    events.push(Event::data(SocketId(7), &Bytes::from(vec![0xff; 100_000])));
    events.push(Event::data(
        SocketId(7),
        &Bytes::from(vec![b'z'; 128 * 1024]),
    ));
    for (index, error) in errors().into_iter().enumerate() {
        events.push(Event::Error {
            socket: (index % 2 == 0).then_some(sockets[index % 3]),
            error,
        });
    }
    for (protocol, cipher, handshake) in [
        (
            "TLSv1.3",
            "TLS13_AES_128_GCM_SHA256",
            Duration::from_micros(4_213),
        ),
        (
            "TLSv1.2",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            Duration::ZERO,
        ),
        ("", "", Duration::from_micros(1)),
        ("TLSv1.3", "TLS13_CHACHA20_POLY1305_SHA256", Duration::MAX),
        ("TLSv1.3", "x", Duration::from_secs(4_294)),
    ] {
        events.push(Event::Secured {
            socket: SocketId(7),
            tls: TlsInfo {
                protocol: protocol.into(),
                cipher: cipher.into(),
                handshake,
                peer_fingerprint: None,
            },
        });
    }
    events.push(Event::AcceptQueue {
        waiting: 0,
        capacity: 0,
        syn_recv: 0,
        overflows: 0,
    });
    events.push(Event::AcceptQueue {
        waiting: u32::MAX,
        capacity: 4096,
        syn_recv: 1,
        overflows: u64::MAX,
    });
    events.push(Event::Stopped);
    events.push(Event::ListenerClosed);
    for handle in [i64::MIN, 0, i64::MAX] {
        events.push(Event::ListenerReopened { handle });
    }
    // Outside the schema: no line.
    events.push(Event::Connecting {
        socket: SocketId(1),
        host: "localhost".into(),
        port: 2002,
    });
    events.push(Event::Handshaking {
        socket: SocketId(1),
        local: address("127.0.0.1:40000"),
        remote: address("127.0.0.1:2002"),
    });
    events.push(Event::SendProgress {
        socket: SocketId(1),
        sent: 10,
        left: 20,
    });
    events.push(Event::Released {
        socket: SocketId(1),
    });
    events.push(Event::LimitsChanged { min: 1, max: 2 });
    events.push(Event::KernelState {
        socket: SocketId(1),
        view: Some(TcpView {
            state: TcpState::TimeWait,
            recv_queue: 0,
            send_queue: 0,
            rtt: None,
            peer_accepted: None,
        }),
    });
    events
}

/// The stamp of [`at`], put in place of the `ts` a printer took from the clock, so its lines
/// can be held to the golden file (the stamps themselves are tested in `json_line`).
fn at_fixed_time(line: &str) -> String {
    const KEY: &str = "\"ts\":\"";
    let start = line.find(KEY).expect("a ts") + KEY.len();
    let length = stamp(at()).len();
    format!(
        "{}{}{}",
        &line[..start],
        stamp(at()),
        &line[start + length..]
    )
}

/// Every line as the program prints it, in order: each event through a JSON printer, then the
/// printer's own lines (the same ones the apps print), then the notes about dropped lines.
fn lines() -> String {
    let mut printer = Printer::new(Side::Server, true, Vec::new());
    for event in events() {
        printer.print(&event);
    }
    printer.set_tls_fingerprint(
        "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89".into(),
    );
    printer.print(&Event::Listening {
        address: address("[::]:2002"),
        handle: 3,
        min: 2,
        max: 10,
    });
    printer.print_note("words", Record::BacklogCapped);
    for (socket, sent, total) in [
        (0_u64, 0_u64, 0_u64),
        (7, 50, 100),
        (u64::MAX, u64::MAX, u64::MAX),
    ] {
        printer.print_note(
            "words",
            Record::SendProgress {
                sent,
                socket: SocketId(socket),
                total,
            },
        );
    }
    for (sockets, greeted, failed, cancelled, took) in [
        (0_u64, 0_u64, 0_u64, 0_u64, None),
        (10, 10, 0, 0, Some(Duration::from_micros(1_234_567))),
        (10, 10, 0, 0, Some(Duration::ZERO)),
        (u64::MAX, 3, 4, 5, None),
        (1, 1, 0, 0, Some(Duration::from_nanos(1))),
    ] {
        printer.print_note(
            "words",
            Record::Summary {
                all_greeted_seconds: took.map(|took| took.as_secs_f64()),
                cancelled,
                connected: u64::MAX - sockets,
                failed,
                greeted,
                sockets,
            },
        );
    }
    for (socket, dir, flags, seq, ack, len, win) in [
        (Some(3), "in", "SYN,ACK", 0, 1, 0, 65483),
        (None, "out", "SYN", 0, 0, 0, 65495),
        (
            Some(u64::MAX),
            "out",
            "ACK,FIN,RST,PSH,URG",
            u32::MAX,
            u32::MAX,
            u32::MAX,
            u16::MAX,
        ),
    ] {
        printer.print_note(
            "words",
            Record::Segment {
                socket: socket.map(SocketId),
                dir: Cow::Borrowed(dir),
                flags: Cow::Borrowed(flags),
                seq,
                ack,
                len,
                win,
            },
        );
    }
    let printed = String::from_utf8(printer.out().clone()).expect("UTF-8");
    let mut lines: String = printed
        .lines()
        .map(|line| at_fixed_time(line) + "\n")
        .collect();
    for count in [0, 1, u64::MAX] {
        lines.push_str(&dropped_line(true, count, at()));
        lines.push('\n');
    }
    lines
}

fn golden_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/records.ndjson")
}

#[test]
fn every_line_is_byte_for_byte_the_golden_files() {
    let lines = lines();
    if std::env::var_os("GOLDEN_WRITE").is_some() {
        std::fs::write(golden_file(), &lines).expect("write the golden file");
    }
    let golden = std::fs::read_to_string(golden_file()).expect("the golden file");
    assert_eq!(
        lines.lines().count(),
        golden.lines().count(),
        "as many lines as the golden file"
    );
    for (number, (line, expected)) in lines.lines().zip(golden.lines()).enumerate() {
        assert_eq!(line, expected, "line {}", number + 1);
    }
    assert_eq!(lines, golden);
}

/// Each line is one JSON object with `event` and `ts`, the schema's promise to scripts.
#[test]
fn every_line_is_an_object_with_event_and_ts() {
    for line in lines().lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert!(record["event"].is_string(), "{line}");
        assert_eq!(record["ts"], stamp(at()), "{line}");
    }
}

/// Each line read back as a typed [`Line`] is written again byte for byte: the reader and the
/// writer agree on every name.
#[test]
fn every_line_reads_back_as_the_same_record() {
    for line in lines().lines() {
        let record: Line<'_> = serde_json::from_str(line).expect("a record");
        assert_eq!(record.to_string(), line);
    }
}

/// A record made from an event and stamped with a moment is the line a printer prints then:
/// the log files and the window's export write these.
#[test]
fn a_record_stamped_at_a_moment_is_the_printers_line() {
    let mut printer = Printer::new(Side::Server, true, Vec::new());
    let mut made = String::new();
    for event in events() {
        printer.print(&event);
        if let Some(record) = Record::from_event(&event) {
            made.push_str(&record.at(at()).to_string());
            made.push('\n');
        }
    }
    let printed = String::from_utf8(printer.out().clone()).expect("UTF-8");
    let printed: String = printed
        .lines()
        .map(|line| at_fixed_time(line) + "\n")
        .collect();
    assert_eq!(made, printed);
}

/// The capture's `segment` line has the keys in the order the issue gives them, not
/// alphabetical, and leaves `socket` out until the connection has one.
#[test]
fn a_segment_line_keeps_the_captures_key_order() {
    let line = Record::Segment {
        socket: Some(SocketId(3)),
        dir: Cow::Borrowed("in"),
        flags: Cow::Borrowed("SYN,ACK"),
        seq: 0,
        ack: 1,
        len: 0,
        win: 65483,
    }
    .at(at())
    .to_string();
    assert_eq!(
        line,
        r#"{"event":"segment","socket":3,"dir":"in","flags":"SYN,ACK","seq":0,"ack":1,"len":0,"win":65483,"ts":"2025-11-24T16:00:00.123456Z"}"#
    );
    let without = Record::Segment {
        socket: None,
        dir: Cow::Borrowed("out"),
        flags: Cow::Borrowed("SYN"),
        seq: 0,
        ack: 0,
        len: 0,
        win: 65495,
    }
    .at(at())
    .to_string();
    assert!(
        without.starts_with(r#"{"event":"segment","dir":"out","flags":"SYN","#),
        "{without}"
    );
}

//! The capture on real loopback sockets (a plain std server and client): a connect, a
//! greeting each way and a close, segment by segment and in order; a connect refused by a
//! closed port; the handshake stamped before the library's client says Connected; and the
//! pcapng file as `tshark -r` reads it.
//!
//! Capturing needs CAP_NET_RAW, which root has: CI runs as root, so these tests require the
//! capture and fail, saying why, where it cannot start (run them as root, or grant the test
//! binary the capability as the message says).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime};

use serversocket::handler::Passive;
use serversocket::{Event, Runtime, SocketId, SocketIds, TcpSocket, event_channel};
use serversocket_capture::conversation::HOLD;
use serversocket_capture::{Capture, CaptureFile, Conversations, Direction, End, Seen};
use test_support::{PATIENCE, free_port};

/// A capture of `port`, or the test fails saying why capturing is not possible here.
fn capture(port: u16) -> Capture {
    Capture::start(port, "the test").unwrap_or_else(|error| {
        panic!("these tests capture packets and need CAP_NET_RAW (CI runs as root): {error}")
    })
}

/// Takes the segments of `capture` into `conversations` until `done` holds of them and what
/// was seen (at most [`PATIENCE`]); returns what was seen.
fn seen_until(
    capture: &Capture,
    conversations: &mut Conversations,
    done: impl Fn(&Conversations, &[Seen]) -> bool,
) -> Vec<Seen> {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while !done(conversations, &seen) {
        let left = deadline
            .checked_duration_since(Instant::now())
            .unwrap_or_else(|| panic!("the segments never came; seen: {:#?}", summary(&seen)));
        if let Ok(segment) = capture
            .segments()
            .recv_timeout(left.min(Duration::from_millis(100)))
        {
            conversations.add(segment, Instant::now(), &mut seen);
        }
        conversations.release_all(&mut seen);
    }
    seen
}

/// What a test reads of each segment: direction, flags, relative numbers, length.
fn summary(seen: &[Seen]) -> Vec<(Direction, String, u32, u32, u32)> {
    seen.iter()
        .map(|s| {
            (
                s.direction,
                s.segment.flags.to_string(),
                s.seq,
                s.ack,
                s.segment.len,
            )
        })
        .collect()
}

/// The index of the first segment from `seen[after..]` that `wanted` takes.
fn first(seen: &[Seen], after: usize, wanted: impl Fn(&Seen) -> bool) -> Option<usize> {
    seen.iter()
        .skip(after)
        .position(wanted)
        .map(|at| at + after)
}

/// A connect, the server's greeting, the client's answer, the client's FIN then the server's;
/// the two streams (kept open until the test has seen everything) and the server's ends.
fn greet_and_close(listener: &TcpListener) -> (TcpStream, TcpStream, SocketAddr, SocketAddr) {
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, remote) = listener.accept().unwrap();
    let local = server.local_addr().unwrap();
    server.write_all(b"hello\r\n").unwrap();
    let mut greeting = [0; 7];
    client.read_exact(&mut greeting).unwrap();
    client.write_all(b"hi").unwrap();
    let mut answer = [0; 2];
    server.read_exact(&mut answer).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(server.read(&mut answer).unwrap(), 0, "the client's FIN");
    server.shutdown(Shutdown::Write).unwrap();
    assert_eq!(client.read(&mut answer).unwrap(), 0, "the server's FIN");
    (client, server, local, remote)
}

#[test]
fn a_connect_greet_close_is_the_handshake_data_both_ways_and_a_fin_each_acknowledged() {
    let port = free_port();
    let capture = capture(port);
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (client, server, local, remote) = greet_and_close(&listener);
    let mut conversations = Conversations::new(End::Server, port);
    let mut tied = Vec::new();
    conversations.tie(local, remote, SocketId(3), &mut tied);
    assert!(tied.is_empty());
    let seen = seen_until(&capture, &mut conversations, settled);
    drop((client, server));
    check_greet_close(&seen);
    assert!(
        seen.iter().all(|s| s.socket == Some(SocketId(3))),
        "every segment is socket 3's: {seen:#?}"
    );
    assert_eq!(capture.dropped(), 0);
}

/// Segments came and every connection with a socket has ended.
fn settled(conversations: &Conversations, seen: &[Seen]) -> bool {
    !seen.is_empty() && conversations.settled()
}

/// Checks `seen` (as the server sees it) is a handshake, the greeting out, the answer in, and
/// each side's FIN acknowledged by the other, in that order.
fn check_greet_close(seen: &[Seen]) {
    let shown = summary(seen);
    let is = |s: &Seen, direction, flags: &str| {
        s.direction == direction && s.segment.flags.to_string() == flags
    };
    assert!(
        is(&seen[0], Direction::In, "SYN") && seen[0].seq == 0,
        "{shown:?}"
    );
    assert!(
        is(&seen[1], Direction::Out, "SYN,ACK") && (seen[1].seq, seen[1].ack) == (0, 1),
        "{shown:?}"
    );
    assert!(
        is(&seen[2], Direction::In, "ACK")
            && (seen[2].seq, seen[2].ack, seen[2].segment.len) == (1, 1, 0),
        "{shown:?}"
    );
    let greeting = first(seen, 3, |s| {
        s.direction == Direction::Out && s.segment.len == 7
    })
    .unwrap_or_else(|| panic!("the greeting goes out: {shown:?}"));
    assert_eq!(seen[greeting].seq, 1);
    let answer = first(seen, greeting, |s| {
        s.direction == Direction::In && s.segment.len == 2
    })
    .unwrap_or_else(|| panic!("the answer comes in: {shown:?}"));
    assert_eq!((seen[answer].seq, seen[answer].ack), (1, 8));
    for (direction, after) in [(Direction::In, answer), (Direction::Out, answer)] {
        let fin = first(seen, after, |s| {
            s.direction == direction && s.segment.flags.fin
        })
        .unwrap_or_else(|| panic!("a FIN goes {direction:?}: {shown:?}"));
        let end = seen[fin].seq + seen[fin].segment.sequence_len();
        first(seen, fin, |s| {
            s.direction != direction && s.segment.flags.ack && s.ack >= end
        })
        .unwrap_or_else(|| panic!("the FIN going {direction:?} is acknowledged: {shown:?}"));
    }
    let client_fin = first(seen, 0, |s| {
        s.direction == Direction::In && s.segment.flags.fin
    });
    let server_fin = first(seen, 0, |s| {
        s.direction == Direction::Out && s.segment.flags.fin
    });
    assert!(
        client_fin < server_fin,
        "the client closed first: {shown:?}"
    );
}

/// A refused connect is its socket's from its SYN: the socket names its ends as the SYN
/// leaves (SynSent), and the connection is drawn and counted as its own.
#[test]
fn a_connect_to_a_closed_port_is_a_syn_then_a_rst_of_its_socket() {
    let port = free_port();
    let capture = capture(port);
    let runtime = Runtime::new().unwrap();
    let (events, mut receiver) = event_channel(None);
    let _client =
        TcpSocket::builder("127.0.0.1", port).connect(&runtime, &SocketIds::new(), Passive, events);
    let mut conversations = Conversations::new(End::Client, port);
    let mut seen = Vec::new();
    let mut refused = false;
    let deadline = Instant::now() + PATIENCE;
    while !refused {
        let left = deadline
            .checked_duration_since(Instant::now())
            .expect("the connect is refused in time");
        let event = receiver.recv_timeout(left).expect("the socket's events");
        refused = matches!(event, Event::Error { .. });
        conversations.follow(&event, &mut seen);
    }
    seen.extend(seen_until(&capture, &mut conversations, |_, seen| {
        seen.iter().any(|s| s.segment.flags.rst)
    }));
    assert_eq!(
        summary(&seen),
        [
            (Direction::Out, "SYN".to_owned(), 0, 0, 0),
            (Direction::In, "ACK,RST".to_owned(), 0, 1, 0),
        ]
    );
    assert!(
        seen.iter().all(|s| s.socket == Some(SocketId(0))),
        "{seen:?}"
    );
    assert_eq!(conversations.tally().resets, 1);
}

/// Another program's connections to the same port (another user's, when the program was
/// granted the capability) are not this client's to show: none of its sockets made them.
#[test]
fn a_client_leaves_out_another_programs_connection_to_the_port() {
    let port = free_port();
    let capture = capture(port);
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (theirs, _accepted, _, _) = greet_and_close(&listener);
    drop(theirs);
    let mut conversations = Conversations::new(End::Client, port);
    let mut seen = Vec::new();
    // Every segment the kernel had is taken (a dozen), then the hold runs out.
    for _ in 0..1000 {
        let Ok(segment) = capture.segments().recv_timeout(Duration::from_millis(300)) else {
            break;
        };
        conversations.add(segment, Instant::now(), &mut seen);
    }
    conversations.release_overdue(Instant::now() + HOLD, &mut seen);
    conversations.release_all(&mut seen);
    assert!(seen.is_empty(), "{:?}", summary(&seen));
    assert!(
        capture.captured() > 0,
        "the kernel handed their segments over"
    );
}

/// Waits (at most [`PATIENCE`]) until the kernel stamps packets as they arrive. It turns its
/// clock for packets on a moment after the first socket asks for it (a deferred work item),
/// and stamps a packet that came before then when it is read; a test that connects the moment
/// its capture starts would see that moment, not the capture's. A datagram sent to ourselves
/// and read a millisecond later tells: stamped before it was read, the clock is on.
#[cfg(target_os = "linux")]
fn until_the_kernel_stamps_packets() {
    use std::io::IoSliceMut;
    use std::os::fd::AsRawFd;

    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
    use nix::sys::time::TimeSpec;

    let probe = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    probe.connect(probe.local_addr().unwrap()).unwrap();
    probe.set_read_timeout(Some(PATIENCE)).unwrap();
    setsockopt(&probe, sockopt::ReceiveTimestampns, &true).unwrap();
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        probe.send(b"?").unwrap();
        let sent = SystemTime::now();
        // Read later than it came, so that a stamp taken at reading shows.
        std::thread::sleep(Duration::from_millis(1));
        let mut buffer = [0; 8];
        let mut parts = [IoSliceMut::new(&mut buffer)];
        let mut control = nix::cmsg_space!(TimeSpec);
        let message = recvmsg::<()>(
            probe.as_raw_fd(),
            &mut parts,
            Some(&mut control),
            MsgFlags::empty(),
        )
        .unwrap();
        let stamped_when_sent = message.cmsgs().unwrap().any(|control| {
            matches!(control, ControlMessageOwned::ScmTimestampns(at)
                if SystemTime::UNIX_EPOCH + Duration::from(at) <= sent)
        });
        if stamped_when_sent {
            return;
        }
    }
    panic!("the kernel never stamped a packet as it arrived");
}

#[cfg(target_os = "linux")]
#[test]
fn the_handshake_is_stamped_before_the_clients_connected_event_was_sent() {
    let port = free_port();
    let capture = capture(port);
    until_the_kernel_stamps_packets();
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let runtime = Runtime::new().unwrap();
    let (events, mut receiver) = event_channel(None);
    // Another client's handshake just before, as under load: the capture's thread takes it,
    // then lets the next packets gather for a moment before it reads again, so this client's
    // segments are read late. They must still carry the moments the kernel saw them.
    let _earlier = (
        TcpStream::connect(listener.local_addr().unwrap()).unwrap(),
        listener.accept().unwrap(),
    );
    for _ in 0..3 {
        capture
            .segments()
            .recv_timeout(PATIENCE)
            .expect("the earlier handshake is captured");
    }
    let _client =
        TcpSocket::builder("127.0.0.1", port).connect(&runtime, &SocketIds::new(), Passive, events);
    let deadline = Instant::now() + PATIENCE;
    let mut syn_sent = None;
    let connected = loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .expect("the client connects in time");
        match receiver.recv_timeout(left) {
            Some(Event::Connected { .. }) => break receiver.sent_at().expect("a stamped event"),
            Some(event @ Event::SynSent { .. }) => syn_sent = Some(event),
            Some(_) => {}
            None => panic!("the client never said Connected"),
        }
    };
    let _server = listener.accept().unwrap();
    let mut conversations = Conversations::new(End::Client, port);
    let syn_sent = syn_sent.expect("SynSent before Connected");
    conversations.follow(&syn_sent, &mut Vec::new());
    let seen = seen_until(&capture, &mut conversations, |_, seen| seen.len() >= 3);
    let handshake = &seen[..3];
    assert_eq!(
        summary(handshake),
        [
            (Direction::Out, "SYN".to_owned(), 0, 0, 0),
            (Direction::In, "SYN,ACK".to_owned(), 0, 1, 0),
            (Direction::Out, "ACK".to_owned(), 1, 1, 0),
        ]
    );
    // The lesson's point, on one clock: the kernel completed the handshake before the socket
    // said Connected. Segments stamped when the capture's thread read them came after.
    for segment in handshake {
        assert!(
            segment.segment.at <= connected,
            "{} at {:?}, Connected sent at {connected:?}",
            segment.segment.flags,
            segment.segment.at
        );
    }
    assert!(handshake.is_sorted_by_key(|segment| segment.segment.at));
}

#[test]
fn tshark_reads_the_capture_file_and_counts_the_same_segments() {
    let port = free_port();
    let folder = std::env::temp_dir().join(format!("capture-test-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("greet.pcapng");
    let capture = capture(port);
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (client, server, local, remote) = greet_and_close(&listener);
    let mut conversations = Conversations::new(End::Server, port);
    let mut tied = Vec::new();
    conversations.tie(local, remote, SocketId(0), &mut tied);
    let seen = seen_until(&capture, &mut conversations, settled);
    drop((client, server));
    capture.finish().expect("the capture ran to its end");
    // The file a headless program writes: the segments it took, as it took them.
    let mut written = CaptureFile::create(&file).expect("a new file in the test's folder");
    for seen in &seen {
        written.write(&seen.segment);
    }
    written.finish().expect("the file is written whole");
    let ours: Vec<String> = seen
        .iter()
        .map(|s| {
            format!(
                "{}\t{}",
                s.segment.source.port(),
                s.segment.flags.to_string().replace(',', "|")
            )
        })
        .collect();
    let fields = [
        "tcp.srcport",
        "tcp.flags.syn",
        "tcp.flags.ack",
        "tcp.flags.fin",
        "tcp.flags.reset",
        "tcp.flags.push",
    ];
    let mut asked = vec!["-T", "fields"];
    for field in fields {
        asked.extend(["-e", field]);
    }
    let theirs: Vec<String> = test_support::tshark_reads(&file, &asked)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let names = ["SYN", "ACK", "FIN", "RST", "PSH"];
            let set: Vec<&str> = names
                .iter()
                .zip(&fields[1..])
                .filter(|(_, value)| matches!(**value, "1" | "True" | "true"))
                .map(|(name, _)| *name)
                .collect();
            format!("{}\t{}", fields[0], set.join("|"))
        })
        .collect();
    assert_eq!(
        theirs, ours,
        "tshark reads the segments we captured, in order"
    );
    let _ = std::fs::remove_dir_all(&folder);
}

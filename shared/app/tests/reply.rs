//! The server's reply modes over real loopback sockets: echo byte for byte (past the send-queue
//! limit too), silence, a fixed text, rules with captures (a last line at the peer's close,
//! lines that are not UTF-8); and a client sending a 20 MiB file, and repeats back to back.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::thread;

use bytes::Bytes;
use common::{PATIENCE, Watch, client};
use serversocket::handler::SEND_QUEUE_LIMIT;
use serversocket::{Event, Runtime, ServerSocket, SocketId, TcpSocket, event_channel};
use serversocket_app::reply::{ReplyMode, Rules};
use serversocket_app::script::ClientScript;
use serversocket_report::escapes::IndexedText;

/// A server on 127.0.0.1 port 0 whose sockets answer as `mode` says.
fn server(mode: ReplyMode) -> (Runtime, ServerSocket, Watch, SocketAddr) {
    let runtime = Runtime::new().expect("runtime");
    let (events, receiver) = event_channel(None);
    let mut server = ServerSocket::new(&runtime, events, move |_id| mode.handler());
    server.set_port(0);
    let address = server.listen().expect("listen");
    (runtime, server, Watch::new(receiver), address)
}

/// `len` bytes that look random (xorshift), so a byte dropped, repeated or reordered shows.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// Writes `data` from a thread (then half-closes) while this thread reads everything back.
fn send_and_read_back(address: SocketAddr, data: Vec<u8>) -> Vec<u8> {
    let stream = client(address);
    let mut writer = stream.try_clone().unwrap();
    let sending = thread::spawn(move || {
        writer.write_all(&data).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    (&stream).read_to_end(&mut back).unwrap();
    sending.join().unwrap();
    back
}

fn is_error(event: &Event) -> bool {
    matches!(event, Event::Error { socket: Some(_), error } if error.code() != 102)
}

#[test]
fn echo_returns_one_mebibyte_of_random_binary_byte_for_byte() {
    let (_runtime, server, mut watch, address) = server(ReplyMode::Echo);
    let data = noise(1024 * 1024, 7);
    let back = send_and_read_back(address, data.clone());
    assert_eq!(back.len(), data.len());
    assert!(back == data, "the echo differs from what was sent");
    watch.until("the echo socket closed", |e| common::is_closed(e, 0));
    assert_eq!(watch.count(is_error), 0, "{:#?}", watch.seen);
    drop(server);
}

#[test]
fn echo_of_more_than_the_send_queue_limit_arrives_whole_without_error_108() {
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Echo);
    let data = noise(SEND_QUEUE_LIMIT + 8 * 1024 * 1024, 11);
    let back = send_and_read_back(address, data.clone());
    assert!(
        back == data,
        "the echo differs ({} of {} bytes back)",
        back.len(),
        data.len()
    );
    watch.until("the echo socket closed", |e| common::is_closed(e, 0));
    assert_eq!(watch.count(is_error), 0, "{:#?}", watch.seen);
}

#[test]
fn silent_writes_nothing_and_reports_what_arrives() {
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Silent);
    let back = send_and_read_back(address, b"hello, anyone?".to_vec());
    assert!(back.is_empty(), "silent wrote {back:?}");
    watch.until("the silent socket closed", |e| common::is_closed(e, 0));
    let received: Vec<u8> = watch
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::Data { data, .. } => Some(data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(received, b"hello, anyone?");
    assert_eq!(watch.count(|e| matches!(e, Event::SendComplete { .. })), 0);
}

#[test]
fn fixed_writes_its_texts_on_connect_and_after_each_chunk() {
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Fixed {
        on_connect: Some(Bytes::from_static(b"hi\n")),
        after_data: Some(Bytes::from_static(b"ok\n")),
    });
    let mut stream = client(address);
    let mut greeting = [0; 3];
    stream.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"hi\n");
    stream.write_all(b"one").unwrap();
    let mut reply = [0; 3];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"ok\n");
    stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    watch.until("closed", |e| common::is_closed(e, 0));
}

#[test]
fn rules_answer_each_line_with_its_captures_even_when_lines_arrive_in_pieces() {
    let rules = Rules::parse(&[
        r"^GET (\S+) => you asked for $1\r\n",
        r"^(?P<word>\w+)$ => ${word}?\n",
    ])
    .unwrap();
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Rules(rules));
    let mut stream = client(address);
    stream.write_all(b"GET /a HTTP/1.0\r\n").unwrap();
    let mut first = vec![0; "you asked for /a\r\n".len()];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(first, b"you asked for /a\r\n");
    // One line split over two writes, one write holding two lines, and a line no rule matches.
    stream.write_all(b"GET /b").unwrap();
    stream.write_all(b" x\r\nhello\n--\nGET /c\n").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&rest),
        "you asked for /b\r\nhello?\nyou asked for /c\r\n"
    );
    watch.until("closed", |e| common::is_closed(e, 0));
}

/// A last line without its newline is answered when the peer half-closes, and a line that is
/// not UTF-8 (telnet's IAC negotiation, Latin-1) is matched as lossy text.
#[test]
fn rules_answer_a_last_line_at_the_peers_close_and_lines_that_are_not_utf8() {
    let rules = Rules::parse(&[r"^quit$ => bye\n", r"^(.*)$ => [$1]\n"]).unwrap();
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Rules(rules));
    let mut stream = client(address);
    // IAC WILL ECHO, then Latin-1 "café", each on its line; then "quit" with no newline.
    stream.write_all(b"\xff\xfb\x01\ncaf\xe9\r\nquit").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    assert_eq!(
        String::from_utf8(back).unwrap(),
        "[\u{fffd}\u{fffd}\u{1}]\n[caf\u{fffd}]\nbye\n"
    );
    watch.until("closed", |e| common::is_closed(e, 0));
}

/// A run without a newline is tried as a line of exactly 64 KiB (it was whatever the last read
/// brought it to, 64 to 128 KiB), and what is left is answered at the peer's close.
#[test]
fn rules_take_a_run_without_newline_in_lines_of_exactly_64_kib() {
    let rules = Rules::parse(&[r"^(.*)$ => $0\n"]).unwrap();
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Rules(rules));
    let back = send_and_read_back(address, vec![b'a'; 200_000]);
    let lengths: Vec<usize> = back
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(<[u8]>::len)
        .collect();
    assert_eq!(lengths, [65_536, 65_536, 65_536, 200_000 - 3 * 65_536]);
    watch.until("closed", |e| common::is_closed(e, 0));
}

/// A long line of `€` (3 bytes each, so 64 KiB falls inside one) comes back whole, every
/// character as sent: a run ends before a character it would cut, which goes on to the next.
#[test]
fn rules_never_cut_a_character_in_two_at_64_kib() {
    let rules = Rules::parse(&[r"^(.*)$ => $0"]).unwrap();
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Rules(rules));
    let line = "€".repeat(30_000);
    let back = send_and_read_back(address, format!("{line}\n").into_bytes());
    assert_eq!(String::from_utf8(back).unwrap(), line);
    watch.until("closed", |e| common::is_closed(e, 0));
}

/// A line of exactly 64 KiB and its newline is one line: the newline after a run answered at
/// 64 KiB ends that run, not an empty line of its own (which got a reply of its own).
#[test]
fn rules_take_a_line_of_exactly_64_kib_and_its_newline_as_one_line() {
    let rules = Rules::parse(&[r"^(.*)$ => [$0]\n"]).unwrap();
    let (_runtime, _server, mut watch, address) = server(ReplyMode::Rules(rules));
    let mut data = vec![b'a'; 65_536];
    data.extend_from_slice(b"\nnext\n");
    let back = send_and_read_back(address, data);
    let replies: Vec<usize> = back
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(<[u8]>::len)
        .collect();
    assert_eq!(replies, [65_538, "[next]".len()]);
    watch.until("closed", |e| common::is_closed(e, 0));
}

#[test]
fn a_client_sends_a_20_mebibyte_file_whole_with_progress() {
    let file = noise(20 * 1024 * 1024, 3);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let expected_len = 4 + file.len();
    let receiving = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut received = vec![0; expected_len];
        stream.read_exact(&mut received).unwrap();
        received
    });
    let runtime = Runtime::new().unwrap();
    let (events, receiver) = event_channel(None);
    let script = ClientScript {
        hello: Some(IndexedText::parse(r"hi {n}").unwrap()),
        reply: false,
        file: Some(Bytes::from(file.clone())),
    };
    let _socket = TcpSocket::builder("127.0.0.1", port).connect(
        &runtime,
        &serversocket::SocketIds::new(),
        script.handler(),
        events,
    );
    let mut watch = Watch::new(receiver);
    watch.until("the file sent", |e| {
        matches!(
            e,
            Event::SendComplete {
                user_aborted: false,
                ..
            }
        )
    });
    let received = receiving.join().unwrap();
    assert_eq!(&received[..4], b"hi 0");
    assert!(received[4..] == file[..], "the file arrived changed");
    let progress: Vec<(u64, u64)> = watch
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::SendProgress { sent, left, .. } => Some((*sent, *left)),
            _ => None,
        })
        .collect();
    assert!(progress.len() > 1, "one step for 20 MiB: {progress:?}");
    assert_eq!(
        progress.iter().map(|(sent, _)| sent).sum::<u64>(),
        expected_len as u64
    );
}

/// Repeats 0 ms apart go back to back, and when they outrun the connection they wait for room
/// in the send queue: they stopped at the first write the full queue refused (error 108).
#[test]
fn repeats_0_ms_apart_wait_for_room_when_the_send_queue_fills() {
    const CHUNK: usize = 1024 * 1024;
    // More than the queue and the kernel's buffers on both ends can hold.
    let times = SEND_QUEUE_LIMIT / CHUNK + 24;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (queue_full, read_now) = std::sync::mpsc::channel::<()>();
    let receiving = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        // Nothing is read until the sender's queue is full.
        read_now.recv_timeout(PATIENCE).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut received = vec![0; times * CHUNK];
        stream.read_exact(&mut received).map(|()| received.len())
    });
    let runtime = Runtime::new().unwrap();
    let (events, receiver) = event_channel(None);
    let socket = TcpSocket::builder("127.0.0.1", port).connect(
        &runtime,
        &serversocket::SocketIds::new(),
        serversocket::Passive,
        events,
    );
    let mut watch = Watch::new(receiver);
    watch.until("connected", |e| matches!(e, Event::Connected { .. }));
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    runtime.handle().spawn(serversocket_app::script::repeat(
        socket.clone(),
        Bytes::from(vec![7_u8; CHUNK]),
        u64::try_from(times).unwrap(),
        std::time::Duration::ZERO,
        written.clone(),
    ));
    let deadline = std::time::Instant::now() + PATIENCE;
    while socket.bytes_left_to_send() < SEND_QUEUE_LIMIT - CHUNK {
        assert!(
            std::time::Instant::now() < deadline,
            "the send queue never filled: {} bytes left to send",
            socket.bytes_left_to_send()
        );
        thread::sleep(std::time::Duration::from_millis(10));
    }
    queue_full.send(()).unwrap();
    let received = receiving.join().unwrap();
    assert_eq!(
        received.ok(),
        Some(times * CHUNK),
        "every repeat arrived ({} written)",
        written.load(std::sync::atomic::Ordering::Relaxed)
    );
}

#[test]
fn echo_to_a_client_that_does_not_read_stops_reading_instead_of_buffering() {
    use serversocket::handler::RECEIVE_BUFFER_LIMIT;
    use serversocket_app::reply::REPLY_BACKLOG;
    let (_runtime, server, mut watch, address) = server(ReplyMode::Echo);
    let stream = client(address);
    let mut writer = stream.try_clone().unwrap();
    // Far more than every buffer on the way; the write blocks once they are all full.
    let sending = thread::spawn(move || {
        let chunk = noise(1024 * 1024, 5);
        for _ in 0..64 {
            if writer.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    watch.until("connected", |e| common::is_connected(e, 0));
    let connection = server.connection(SocketId(0)).unwrap();
    // The echo stops taking once its replies fill the backlog; then the receive buffer fills
    // and the socket stops reading. Wait (bounded) for that state.
    let mut last = connection.status();
    let filled = test_support::within_patience(|| {
        last = connection.status();
        assert!(
            last.bytes_left_to_send <= REPLY_BACKLOG,
            "{} bytes of echo queued",
            last.bytes_left_to_send
        );
        (last.bytes_available >= RECEIVE_BUFFER_LIMIT).then_some(())
    });
    assert!(
        filled.is_some(),
        "the receive buffer never filled: {last:?}"
    );
    assert_eq!(watch.count(is_error), 0, "{:#?}", watch.seen);
    // Shutting the client down unblocks its writer; closing it with unread data resets the
    // connection, which the server (not reading, only writing) notices on its next write.
    stream.shutdown(Shutdown::Both).unwrap();
    sending.join().unwrap();
    drop(stream);
    watch.until("closed", |e| common::is_closed(e, 0));
}

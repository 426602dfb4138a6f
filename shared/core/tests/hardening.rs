//! Faults, floods and hostile input over real loopback sockets: nothing lost, nothing unbounded.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{PATIENCE, Watch, client, is_closed, is_connected, read_greeting};
use serversocket::handler::{RECEIVE_BUFFER_LIMIT, SEND_QUEUE_LIMIT};
use serversocket::seed::Greeter;
use serversocket::{
    Event, Runtime, ServerSocket, Socket, SocketError, SocketHandler, SocketId, TcpSocket,
};
use serversocket_report::{Record, Side, human_line};

/// Writes 50 MB in 1 MiB pieces as soon as it is connected, recording every refusal.
struct Flood {
    refused: Refusals,
}

impl SocketHandler for Flood {
    fn connected(&mut self, socket: &mut Socket) {
        for _ in 0..50 {
            if let Err(error) = socket.write(vec![b'z'; 1024 * 1024]) {
                self.refused.lock().unwrap().push(error);
            }
        }
    }
}

/// Refused writes, as the flooding socket saw them.
type Refusals = Arc<Mutex<Vec<SocketError>>>;

/// A server on port 0 (Min 1, Max 10) whose socket 0 floods its client and whose other sockets
/// are the seed's greeter, with the flood's refused writes.
fn flooding_server() -> (Runtime, ServerSocket, Watch, SocketAddr, Refusals) {
    let refused = Refusals::default();
    let flood_refusals = Arc::clone(&refused);
    let (runtime, mut server, receiver) =
        common::server(move |id: SocketId| -> Box<dyn SocketHandler> {
            if id == SocketId(0) {
                Box::new(Flood {
                    refused: Arc::clone(&flood_refusals),
                })
            } else {
                Box::new(Greeter::default())
            }
        });
    server.set_limits(1, 10).unwrap();
    let address = server.listen().unwrap();
    (runtime, server, Watch::new(receiver), address, refused)
}

#[test]
fn a_client_that_never_reads_cannot_make_the_server_buffer_without_limit() {
    let (_runtime, server, mut watch, address, refused) = flooding_server();
    let _never_reads = client(address);
    watch.until("the flooded socket connected", |e| is_connected(e, 0));
    let flooded = server.connection(SocketId(0)).unwrap();
    watch.until("the flood goes out", |e| {
        matches!(e, Event::SendProgress { .. })
    });

    // Writes past the limit were refused with 108; what is queued stays within the limit.
    let refused = refused.lock().unwrap().clone();
    assert!(
        !refused.is_empty(),
        "50 MB to a peer that never reads must hit the limit"
    );
    assert!(refused.iter().all(|e| e.code() == 108), "{refused:?}");
    assert!(flooded.bytes_left_to_send() <= SEND_QUEUE_LIMIT);

    // Another client is served as usual meanwhile.
    let mut other = client(address);
    read_greeting(&mut other);
    assert!(flooded.is_connected());
}

#[test]
fn a_handle_write_longer_than_the_send_queue_is_taken_whole_and_arrives_in_order() {
    // Longer than the limit by more than the two kernels' buffers hold, so the limit's worth
    // still waits when the next write comes.
    const SIZE: usize = SEND_QUEUE_LIMIT + 16 * 1024 * 1024;
    let (_runtime, _server, mut watch, mut peer, socket) = common::serving_one();
    let data: Vec<u8> = (0..SIZE as u64).map(pattern).collect();
    socket
        .write(data)
        .expect("taken whole: nothing waited to be sent");
    let refused = socket.write("more").expect_err("the limit's worth waits");
    assert_eq!(refused.code(), 108, "{refused}");

    let mut received = vec![0_u8; SIZE];
    peer.read_exact(&mut received).expect("every byte arrives");
    let out_of_place = (0..SIZE)
        .filter(|&i| received[i] != pattern(i as u64))
        .count();
    assert_eq!(out_of_place, 0, "bytes out of place");
    // The greeting's SendComplete, then this write's.
    watch.until_n(
        2,
        "SendComplete",
        |e| matches!(e, Event::SendComplete { socket, .. } if *socket == SocketId(0)),
    );
    assert_eq!(
        watch.count(|e| matches!(e, Event::Error { .. })),
        0,
        "{:#?}",
        watch.seen
    );
}

/// Checks each byte of `sip` against where it should be in the stream (`received` bytes came
/// before it), counting in `checksum` those in place: order matters, not just content.
fn check_in_order(received: &AtomicU64, checksum: &AtomicU64, sip: &[u8]) {
    let mut position = received.load(Ordering::Relaxed);
    let mut in_place = checksum.load(Ordering::Relaxed);
    for &byte in sip {
        in_place += u64::from(byte == pattern(position));
        position += 1;
    }
    received.store(position, Ordering::Relaxed);
    checksum.store(in_place, Ordering::Relaxed);
}

fn pattern(position: u64) -> u8 {
    (position % 251) as u8
}

#[test]
fn a_client_flooding_100_megabytes_is_held_back_by_tcp_and_every_byte_arrives_in_order() {
    const SIZE: u64 = 100 * 1024 * 1024;
    let received = Arc::new(AtomicU64::new(0));
    let checksum = Arc::new(AtomicU64::new(0));
    let most_buffered = Arc::new(AtomicUsize::new(0));
    let (r, c, m) = (
        Arc::clone(&received),
        Arc::clone(&checksum),
        Arc::clone(&most_buffered),
    );
    // Reads slowly (16 KiB per DataAvailable), keeping a running checksum of what arrived.
    let (_runtime, _server, mut watch, address) = common::listening(move |_| {
        let (r, c) = (Arc::clone(&r), Arc::clone(&c));
        common::Sipping::new(&m, move |sip| check_in_order(&r, &c, sip))
    });
    let writer = std::thread::spawn(move || {
        let mut stream = client(address);
        for index in 0..SIZE / (1024 * 1024) {
            let start = index * 1024 * 1024;
            let block: Vec<u8> = (start..start + 1024 * 1024).map(pattern).collect();
            stream.write_all(&block).unwrap();
        }
    });
    // Drain events while the flood runs; the socket closes when the writer is done.
    let mut closed = false;
    for _ in 0..1_000_000 {
        match watch.receiver.recv_timeout(PATIENCE) {
            Some(Event::Closed { .. }) => {
                closed = true;
                break;
            }
            Some(_) => {}
            None => break,
        }
    }
    writer.join().unwrap();
    assert!(closed, "the flooded socket never closed");
    assert_eq!(received.load(Ordering::Relaxed), SIZE);
    assert_eq!(
        checksum.load(Ordering::Relaxed),
        SIZE,
        "some bytes were out of place"
    );
    let most = most_buffered.load(Ordering::Relaxed);
    assert!(
        most <= RECEIVE_BUFFER_LIMIT + serversocket::handler::READ_CHUNK,
        "buffered {most} bytes"
    );
}

#[test]
fn a_peer_reset_in_the_middle_of_a_big_write_is_102_and_the_pool_goes_on() {
    let (_runtime, _server, mut watch, address, _refused) = flooding_server();
    let mut victim = client(address);
    let mut first = [0; 4096];
    victim.read_exact(&mut first).unwrap();
    watch.until("writing", |e| matches!(e, Event::SendProgress { .. }));
    socket2::SockRef::from(&victim)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(victim);
    // The Flood's refused writes (108, the queue is full) come first, as Error events too.
    watch.until("the reset", |e| {
        matches!(
            e,
            Event::Error {
                socket: Some(SocketId(0)),
                error,
            } if error.code() == 102
        )
    });
    watch.until("closed", |e| is_closed(e, 0));
    let refusals = watch.count(
        |e| matches!(e, Event::Error { socket: Some(SocketId(0)), error } if error.code() == 108),
    );
    assert_eq!(
        refusals, 18,
        "50 MiB written, 32 MiB queued: 18 writes refused"
    );
    let mut next = client(address);
    read_greeting(&mut next);
}

/// Answers every message with "echo: <message>".
struct Answer;

impl SocketHandler for Answer {
    fn data_available(&mut self, socket: &mut Socket) {
        let question = socket.read_all();
        let _ = socket.write([&b"echo: "[..], &question].concat());
    }
}

#[test]
fn a_peer_that_half_closes_still_receives_the_reply() {
    let (_runtime, _server, mut watch, address) = common::listening(|_| Answer);
    let mut stream = client(address);
    stream.write_all(b"are you there?").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"echo: are you there?");
    let error = watch.until("lost after the reply", |e| matches!(e, Event::Error { .. }));
    assert!(matches!(error, Event::Error { error, .. } if error.code() == 102));
}

#[test]
fn a_connect_nobody_answers_times_out_with_its_own_message() {
    // A listener whose accept queue is full drops further handshakes, so connecting hangs.
    let (_full, _queued, address) = common::unanswered_listener();
    let (_runtime, socket, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", address.port()).timeout(Duration::from_secs(1)),
        serversocket::Passive,
    );
    let error = watch.error("the timeout", |_, _| true);
    assert!(
        matches!(error, SocketError::ConnectTimedOut { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), 102);
    assert!(error.to_string().contains("no answer"), "{error}");
    watch.until("closed", |e| is_closed(e, 0));
    assert!(!socket.is_connected());
}

#[test]
fn garbage_is_logged_safely() {
    let (_runtime, _server, mut watch, address) = common::greeting_server(1, 10);
    let mut stream = client(address);
    read_greeting(&mut stream);
    let mut garbage: Vec<u8> = (0..=255).collect();
    garbage.extend_from_slice(b"\0\0\xff\xfe\xc3\x28 not utf-8 \x1b[31m escape");
    garbage.extend(std::iter::repeat_n(b'x', 16 * 1024 * 1024));
    garbage.push(b'\n');
    stream.write_all(&garbage).unwrap();
    let mut total = 0;
    for _ in 0..100_000 {
        if total >= garbage.len() {
            break;
        }
        let event = watch.until("data", |e| matches!(e, Event::Data { .. }));
        let Event::Data { bytes, .. } = &event else {
            unreachable!()
        };
        total += bytes;
        for role in [Side::Server, Side::Client] {
            let line = human_line(role, &event).unwrap();
            assert!(!line.contains('\n') && !line.contains('\0') && !line.contains('\x1b'));
            assert!(line.len() < 5_000, "a log line of {} bytes", line.len());
        }
        let line = Record::from_event(&event)
            .unwrap()
            .at(std::time::SystemTime::now())
            .to_string();
        let record: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(record["bytes"], *bytes);
        assert!(line.lines().count() == 1);
    }
    assert_eq!(total, garbage.len());
}

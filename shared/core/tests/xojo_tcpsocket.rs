//! The rest of Xojo's TCPSocket over real loopback sockets: Purge, Disconnect, EndOfFile,
//! Handle and a client's NetworkInterface.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::Read as _;
use std::net::{IpAddr, Ipv4Addr, Shutdown};
use std::sync::{Arc, Mutex};

use common::{Watch, client, greeting_server, is_closed, is_connected};
use serversocket::seed::SERVER_GREETING;
use serversocket::{Event, Passive, Socket, SocketError, SocketHandler, SocketId, TcpSocket};

/// Waits for socket `id`'s Error and returns it.
fn error_of(watch: &mut Watch, id: u64) -> SocketError {
    watch.error("an Error", |socket, _| socket == Some(SocketId(id)))
}

/// Waits for socket 0's SendComplete after its greeting's, and fails unless it says the send
/// was cut short.
fn send_cut_short_after_the_greeting(watch: &mut Watch) {
    let completes = watch.until_n(
        2,
        "SendComplete",
        |e| matches!(e, Event::SendComplete { socket, .. } if *socket == SocketId(0)),
    );
    assert!(
        matches!(
            completes[1],
            Event::SendComplete {
                user_aborted: true,
                ..
            }
        ),
        "{completes:?}"
    );
}

/// More than the two kernels' buffers take from a reader that does not read, and less than
/// the send queue's limit.
const SIZE: usize = 30 * 1024 * 1024;

#[test]
fn purge_drops_what_waits_to_be_sent() {
    // A client that never reads: what the server writes waits in its queue.
    let (_runtime, _server, mut watch, mut stalled, socket) = common::serving_one();
    socket.write(vec![b'p'; SIZE]).unwrap();
    test_support::within_patience(|| (socket.bytes_left_to_send() > 0).then_some(()))
        .expect("bytes wait to be sent");
    socket.purge();
    test_support::within_patience(|| (socket.bytes_left_to_send() == 0).then_some(()))
        .expect("the queue is empty after Purge");
    // The send did not complete: SendComplete says it was cut short.
    send_cut_short_after_the_greeting(&mut watch);
    socket.close();
    let mut received = Vec::new();
    stalled.read_to_end(&mut received).unwrap();
    assert!(received.len() < SIZE, "{} bytes arrived", received.len());
}

/// What a close drops of the queue is never silent: SendComplete says the send was cut short,
/// and BytesSent counts every byte that did go, those handed over while closing included.
#[test]
fn a_close_with_bytes_still_queued_says_the_send_was_cut_short() {
    let (_runtime, _server, mut watch, mut stalled, socket) = common::serving_one();
    socket.write(vec![b'c'; SIZE]).unwrap();
    test_support::within_patience(|| (socket.bytes_left_to_send() > 0).then_some(()))
        .expect("bytes wait to be sent");
    socket.close();
    send_cut_short_after_the_greeting(&mut watch);
    watch.until("closed", |e| is_closed(e, 0));
    let mut received = Vec::new();
    stalled.read_to_end(&mut received).unwrap();
    assert!(received.len() < SIZE, "{} bytes arrived", received.len());
    assert_eq!(
        socket.status().bytes_sent as usize,
        SERVER_GREETING.len() + received.len(),
        "BytesSent counts the greeting and every byte the peer received after it"
    );
}

/// A peer that resets the connection while bytes wait to be sent: the queue is lost with it,
/// and SendComplete says so (aborted) before the Error and Closed, as when we close. Only the
/// lost connection's Error was said, and headless.md promises a `send_complete` for every
/// socket closed with bytes still queued.
#[test]
fn a_peer_reset_with_bytes_still_queued_says_the_send_was_cut_short() {
    let (_runtime, _server, mut watch, stalled, socket) = common::serving_one();
    socket.write(vec![b'r'; SIZE]).unwrap();
    test_support::within_patience(|| (socket.bytes_left_to_send() > 0).then_some(()))
        .expect("bytes wait to be sent");
    // SO_LINGER 0: the close sends a reset, not a FIN.
    let stalled = socket2::Socket::from(stalled);
    stalled.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    drop(stalled);
    send_cut_short_after_the_greeting(&mut watch);
    watch.until("closed", |e| is_closed(e, 0));
    let order: Vec<&str> = watch
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::SendComplete {
                user_aborted: true, ..
            } => Some("aborted"),
            Event::Error { .. } => Some("error"),
            Event::Closed { .. } => Some("closed"),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["aborted", "error", "closed"], "{:#?}", watch.seen);
}

/// Writes a farewell and closes at once, in its Connected.
struct SaysBye;

impl SocketHandler for SaysBye {
    fn connected(&mut self, socket: &mut Socket) {
        socket.write("bye-message").unwrap();
        socket.close();
    }
}

#[test]
fn bytes_written_just_before_a_close_are_counted_and_completed() {
    let (_runtime, server, mut watch, address) = common::listening(|_| SaysBye);
    let mut peer = client(address);
    let mut received = Vec::new();
    peer.read_to_end(&mut received).unwrap();
    assert_eq!(received, b"bye-message");
    let complete = watch.until("SendComplete", |e| matches!(e, Event::SendComplete { .. }));
    assert!(
        matches!(
            complete,
            Event::SendComplete {
                user_aborted: false,
                ..
            }
        ),
        "everything went: {complete:?}"
    );
    watch.until("closed", |e| is_closed(e, 0));
    drop(server);
    let sent: u64 = watch
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::SendProgress { sent, .. } => Some(*sent),
            _ => None,
        })
        .sum();
    assert_eq!(
        sent, 0,
        "no SendProgress: the bytes went as the socket closed"
    );
}

/// Echoes what it gets, and closes once the peer is done and everything echoed has gone: at
/// once when nothing waits, else from the SendComplete that says the queue went out. A Close
/// while bytes still wait drops them (above); this is the way to close without losing any.
#[derive(Default)]
struct EchoesThenCloses {
    close_when_sent: bool,
}

impl SocketHandler for EchoesThenCloses {
    fn data_available(&mut self, socket: &mut Socket) {
        let received = socket.read_all();
        socket.write(received).unwrap();
    }

    fn end_of_file(&mut self, socket: &mut Socket) {
        if socket.bytes_left_to_send() == 0 {
            socket.close();
        } else {
            self.close_when_sent = true;
        }
    }

    fn send_complete(&mut self, socket: &mut Socket, user_aborted: bool) {
        assert!(!user_aborted, "nothing was cut short");
        if self.close_when_sent && socket.bytes_left_to_send() == 0 {
            socket.close();
        }
    }
}

/// A peer that sends a lot before it reads anything, then closes its side: closing from
/// SendComplete gives it back every byte (closing in EndOfFile dropped what the kernels had no room for).
#[test]
fn closing_once_everything_went_out_loses_nothing() {
    let (_runtime, _server, mut watch, address) =
        common::listening(|_| EchoesThenCloses::default());
    let mut peer = client(address);
    let sent: Vec<u8> = (0..SIZE).map(|n| (n % 251) as u8).collect();
    std::io::Write::write_all(&mut peer, &sent).unwrap();
    peer.shutdown(Shutdown::Write).unwrap();
    let mut received = Vec::new();
    peer.read_to_end(&mut received).unwrap();
    assert!(
        received == sent,
        "{} of {} bytes came back",
        received.len(),
        sent.len()
    );
    watch.until("closed", |e| is_closed(e, 0));
}

/// Writes a message a byte at a time, all in its Connected.
struct ByteByByte;

/// How many one-byte writes [`ByteByByte`] makes.
const BYTES: usize = 100_000;

impl SocketHandler for ByteByByte {
    fn connected(&mut self, socket: &mut Socket) {
        for n in 0..BYTES {
            socket.write(vec![b'a' + (n % 26) as u8]).unwrap();
        }
    }
}

/// A hundred thousand one-byte writes go out as a few large ones: not a system call, a
/// SendProgress and a buffer each.
#[test]
fn small_writes_go_out_together() {
    let (_runtime, _server, mut watch, address) = common::listening(|_| ByteByByte);
    let mut peer = client(address);
    let mut received = vec![0; BYTES];
    peer.read_exact(&mut received).unwrap();
    let expected: Vec<u8> = (0..BYTES).map(|n| b'a' + (n % 26) as u8).collect();
    assert!(received == expected, "the bytes arrive in order");
    watch.until("SendComplete", |e| matches!(e, Event::SendComplete { .. }));
    let progress = watch.count(|e| matches!(e, Event::SendProgress { .. }));
    assert!(
        progress <= 100,
        "{progress} SendProgress for {BYTES} one-byte writes"
    );
}

#[test]
fn disconnect_through_a_handle_is_error_102_then_closed() {
    let (_runtime, _server, mut watch, mut peer, socket) = common::serving_one();
    socket.disconnect();
    let error = error_of(&mut watch, 0);
    assert_eq!(error.code(), 102);
    assert!(
        error.to_string().contains("disconnected by this program"),
        "{error}"
    );
    watch.until("closed", |e| is_closed(e, 0));
    let mut rest = Vec::new();
    assert_eq!(peer.read_to_end(&mut rest).unwrap(), 0);
}

/// Disconnects when asked to; records EndOfFile when closed.
struct Hangs {
    end_of_file: Arc<Mutex<Vec<(&'static str, bool)>>>,
}

impl SocketHandler for Hangs {
    fn data_available(&mut self, socket: &mut Socket) {
        if &socket.read_all()[..] == b"disconnect" {
            socket.disconnect();
        }
    }

    fn closed(&mut self, socket: &mut Socket) {
        self.end_of_file
            .lock()
            .unwrap()
            .push(("closed", socket.end_of_file()));
    }
}

#[test]
fn a_handler_disconnects_and_end_of_file_says_the_peer_is_done() {
    let end_of_file = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&end_of_file);
    let (_runtime, _server, mut watch, address) = common::listening(move |_id| Hangs {
        end_of_file: Arc::clone(&seen),
    });
    // The handler disconnects the first client when it asks.
    let mut first = client(address);
    std::io::Write::write_all(&mut first, b"disconnect").unwrap();
    let error = error_of(&mut watch, 0);
    assert_eq!(error.code(), 102, "{error}");
    assert!(error.to_string().contains("disconnected"), "{error}");
    watch.until("closed", |e| is_closed(e, 0));
    let mut rest = Vec::new();
    assert_eq!(first.read_to_end(&mut rest).unwrap(), 0);
    // The second sends, then closes its side: the server reads to the end, and its socket
    // knows nothing more will come.
    let mut second = client(address);
    std::io::Write::write_all(&mut second, b"x").unwrap();
    second.shutdown(Shutdown::Write).unwrap();
    watch.until("closed", |e| is_closed(e, 1));
    let recorded = end_of_file.lock().unwrap().clone();
    assert_eq!(recorded, vec![("closed", false), ("closed", true)]);
}

#[test]
fn handles_are_the_os_handles_of_both_ends() {
    let (runtime, server, mut watch, address) = greeting_server(1, 10);
    let (socket, _client_watch) =
        common::connected_client(&runtime, "127.0.0.1", address.port(), Passive);
    watch.until("server connected", |e| is_connected(e, 0));
    let ours = server.connection(SocketId(0)).unwrap().handle().unwrap();
    let theirs = socket.handle().unwrap();
    assert!(
        ours >= 0 && theirs >= 0 && ours != theirs,
        "{ours} {theirs}"
    );
    #[cfg(target_os = "linux")]
    for fd in [ours, theirs] {
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert!(link.to_string_lossy().starts_with("socket:"), "{link:?}");
    }
}

#[test]
fn a_client_connects_from_its_network_interface() {
    let (runtime, _server, mut watch, address) = greeting_server(1, 10);
    let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let builder = TcpSocket::builder("127.0.0.1", address.port()).network_interface(from);
    let (socket, mut client_watch) = common::client_socket(&runtime, builder, Passive);
    client_watch.until("client connected", |e| is_connected(e, 0));
    assert_eq!(socket.local_address().unwrap().ip(), from);
    let connected = watch.until("server connected", |e| is_connected(e, 0));
    let Event::Connected { remote, .. } = connected else {
        unreachable!()
    };
    assert_eq!(remote.ip(), from, "the server sees the interface we chose");
}

/// A NetworkInterface this machine does not have fails as a server's does: typed, code 100,
/// naming the address (it was a generic "network stack error" with the OS's words).
#[test]
fn a_network_interface_not_of_this_machine_is_address_not_available() {
    let (runtime, _server, _watch, address) = greeting_server(1, 10);
    // TEST-NET-1 (RFC 5737) is never assigned to a machine; binding it fails locally, and no
    // packet is sent anywhere.
    let from = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let builder = TcpSocket::builder("127.0.0.1", address.port()).network_interface(from);
    let (socket, mut client_watch) = common::client_socket(&runtime, builder, Passive);
    let error = error_of(&mut client_watch, 0);
    assert!(
        matches!(error, SocketError::AddressNotAvailable { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), 100);
    assert!(
        error
            .to_string()
            .contains("192.0.2.1 is not an address of this machine"),
        "{error}"
    );
    client_watch.until("closed", |e| is_closed(e, 0));
    assert_eq!(socket.last_error_code(), Some(100));
}

#[test]
fn a_network_interface_of_the_other_family_is_error_106_in_words() {
    let (runtime, _server, _watch, address) = greeting_server(1, 10);
    let from = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
    let builder = TcpSocket::builder("127.0.0.1", address.port()).network_interface(from);
    let (_socket, mut client_watch) = common::client_socket(&runtime, builder, Passive);
    let error = error_of(&mut client_watch, 0);
    assert_eq!(error.code(), 106, "{error}");
    assert!(
        error.to_string().contains("::1 is an IPv6 address")
            && error.to_string().contains("only IPv4 addresses"),
        "{error}"
    );
}

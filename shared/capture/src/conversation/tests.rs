//! A connection as each end sees it: directions, relative numbers, the socket tie after the
//! handshake, a refused connect tied by SynSent, another program's connections left out, a
//! retransmitted SYN, a reused port.

use std::time::SystemTime;

use etherparse::PacketBuilder;

use std::net::Ipv4Addr;

use super::*;

const CLIENT: [u8; 4] = [127, 0, 0, 1];
const SERVER_PORT: u16 = 2002;
const CLIENT_PORT: u16 = 46116;

/// A segment from the client (`from_client`) or the server, made by `build`.
fn segment(from_client: bool, seq: u32, build: Flags, payload: &[u8]) -> Segment {
    let (source, destination) = if from_client {
        (CLIENT_PORT, SERVER_PORT)
    } else {
        (SERVER_PORT, CLIENT_PORT)
    };
    let mut packet = Vec::new();
    build(PacketBuilder::ipv4(CLIENT, CLIENT, 64).tcp(source, destination, seq, 1000))
        .write(&mut packet, payload)
        .expect("a packet");
    Segment::parse(&packet, SystemTime::now()).expect("a segment")
}

/// One end's conversations, fed segments all at one moment, and what they let out so far.
struct Talk {
    conversations: Conversations,
    out: Vec<Seen>,
    now: Instant,
}

/// How a test builds a segment's TCP flags and numbers.
type Flags = fn(
    etherparse::PacketBuilderStep<etherparse::TcpHeader>,
) -> etherparse::PacketBuilderStep<etherparse::TcpHeader>;

impl Talk {
    fn at(end: End) -> Self {
        Self {
            conversations: Conversations::new(end, SERVER_PORT),
            out: Vec::new(),
            now: Instant::now(),
        }
    }

    /// The client's end sends a segment numbered `seq`, with `flags` and `payload`.
    fn client_sends(&mut self, seq: u32, flags: Flags, payload: &[u8]) {
        let segment = segment(true, seq, flags, payload);
        self.conversations.add(segment, self.now, &mut self.out);
    }

    /// The server's end sends a segment numbered `seq`, with `flags` and `payload`.
    fn server_sends(&mut self, seq: u32, flags: Flags, payload: &[u8]) {
        let segment = segment(false, seq, flags, payload);
        self.conversations.add(segment, self.now, &mut self.out);
    }

    fn tie(&mut self, local: SocketAddr, remote: SocketAddr, socket: SocketId) {
        self.conversations.tie(local, remote, socket, &mut self.out);
    }

    /// What was let out: each segment's direction, flags, relative numbers and socket.
    fn shown(&self) -> Vec<(Direction, String, u32, u32, Option<SocketId>)> {
        self.out
            .iter()
            .map(|seen| {
                let flags = seen.segment.flags.to_string();
                (seen.direction, flags, seen.seq, seen.ack, seen.socket)
            })
            .collect()
    }
}

fn addresses() -> (SocketAddr, SocketAddr) {
    (
        SocketAddr::from((CLIENT, CLIENT_PORT)),
        SocketAddr::from((CLIENT, SERVER_PORT)),
    )
}

#[test]
fn the_handshake_waits_for_connected_then_carries_the_socket() {
    let mut server = Talk::at(End::Server);
    server.client_sends(5000, etherparse::PacketBuilderStep::syn, &[]);
    server.server_sends(9000, |t| t.syn().ack(5001), &[]);
    server.client_sends(5001, |t| t.ack(9001), &[]);
    assert!(server.out.is_empty(), "held until the socket is known");
    let (client, local) = addresses();
    // A dual-stack listener names its IPv4 client as an IPv4-mapped IPv6 address.
    let mapped = SocketAddr::new(
        IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        CLIENT_PORT,
    );
    server.tie(local, mapped, SocketId(3));
    server.server_sends(9001, |t| t.ack(5001).psh(), b"hello");
    let socket = Some(SocketId(3));
    assert_eq!(
        server.shown(),
        [
            (Direction::In, "SYN".to_owned(), 0, 0, socket),
            (Direction::Out, "SYN,ACK".to_owned(), 0, 1, socket),
            (Direction::In, "ACK".to_owned(), 1, 1, socket),
            (Direction::Out, "ACK,PSH".to_owned(), 1, 1, socket),
        ]
    );
    assert!(
        server.out.iter().all(|seen| seen.client == client),
        "each is named by the client's IPv4 address"
    );
}

/// A client's refused connect is its socket's from the SYN on: the socket names its ends as
/// the SYN leaves (SynSent), before the RST comes back.
#[test]
fn a_refused_connect_is_tied_to_its_socket_by_syn_sent() {
    let mut client = Talk::at(End::Client);
    client.client_sends(7, etherparse::PacketBuilderStep::syn, &[]);
    let (local, remote) = addresses();
    let syn_sent = serversocket::Event::SynSent {
        socket: SocketId(4),
        local,
        remote,
    };
    client.conversations.follow(&syn_sent, &mut client.out);
    client.server_sends(0, |t| t.ack(8).rst(), &[]);
    let socket = Some(SocketId(4));
    assert_eq!(
        client.shown(),
        [
            (Direction::Out, "SYN".to_owned(), 0, 0, socket),
            (Direction::In, "ACK,RST".to_owned(), 0, 1, socket),
        ]
    );
    assert_eq!(client.conversations.tally().resets, 1);
    assert!(client.conversations.settled());
}

/// A connection to the captured port that no socket of this client made is another
/// program's (another user's): after the hold it goes, shown nowhere and counted nowhere.
#[test]
fn a_client_drops_connections_none_of_its_sockets_made() {
    let mut client = Talk::at(End::Client);
    client.client_sends(7, etherparse::PacketBuilderStep::syn, &[]);
    client.server_sends(0, |t| t.ack(8).rst(), &[]);
    let now = client.now;
    client
        .conversations
        .release_overdue(now + HOLD, &mut client.out);
    client.conversations.release_all(&mut client.out);
    assert!(client.out.is_empty(), "{:?}", client.shown());
    assert_eq!(client.conversations.tally(), Tally::default());
    assert!(client.conversations.settled());
}

/// A server's connection no socket holds yet (in the accept queue, or refused by the naive
/// server's closed listener) is its own: it goes on without a socket after the hold.
#[test]
fn a_servers_connection_without_a_socket_goes_on_after_the_hold() {
    let mut server = Talk::at(End::Server);
    server.client_sends(7, etherparse::PacketBuilderStep::syn, &[]);
    server.server_sends(0, |t| t.ack(8).rst(), &[]);
    let now = server.now;
    server.conversations.release_overdue(now, &mut server.out);
    assert!(server.out.is_empty());
    server
        .conversations
        .release_overdue(now + HOLD, &mut server.out);
    assert_eq!(
        server.shown(),
        [
            (Direction::In, "SYN".to_owned(), 0, 0, None),
            (Direction::Out, "ACK,RST".to_owned(), 0, 1, None),
        ]
    );
    assert_eq!(server.conversations.tally().resets, 1);
}

/// A server listening on one address keeps the connections to it, not another program's on
/// another address of the same port (127.0.0.2 beside 127.0.0.1).
#[test]
fn a_server_keeps_the_connections_to_its_own_address() {
    let mut elsewhere = Talk::at(End::Server);
    elsewhere.conversations =
        Conversations::new(End::Server, SERVER_PORT).listening_on(IpAddr::from([127, 0, 0, 2]));
    elsewhere.client_sends(7, etherparse::PacketBuilderStep::syn, &[]);
    elsewhere.conversations.release_all(&mut elsewhere.out);
    assert!(elsewhere.out.is_empty(), "{:?}", elsewhere.shown());

    // Its own address, IPv4-mapped as a dual-stack listener may name it, and every address.
    let mapped = IpAddr::V6(Ipv4Addr::from(CLIENT).to_ipv6_mapped());
    for ip in [mapped, IpAddr::from([0, 0, 0, 0])] {
        let mut own = Talk::at(End::Server);
        own.conversations = Conversations::new(End::Server, SERVER_PORT).listening_on(ip);
        own.client_sends(7, etherparse::PacketBuilderStep::syn, &[]);
        own.conversations.release_all(&mut own.out);
        assert_eq!(own.out.len(), 1, "listening on {ip}");
    }
}

#[test]
fn a_syn_sent_again_is_counted_and_a_new_syn_starts_a_new_connection() {
    let mut server = Talk::at(End::Server);
    server.client_sends(7, etherparse::PacketBuilderStep::syn, &[]);
    server.client_sends(7, etherparse::PacketBuilderStep::syn, &[]);
    assert_eq!(server.conversations.tally().syn_retransmits, 1);
    server.client_sends(70, etherparse::PacketBuilderStep::syn, &[]);
    assert_eq!(server.conversations.tally().syn_retransmits, 1);
    server.conversations.release_all(&mut server.out);
    assert_eq!(
        server
            .out
            .iter()
            .map(|seen| seen.retransmitted_syn)
            .collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(
        server.out.iter().map(|seen| seen.seq).collect::<Vec<_>>(),
        [0, 0, 0]
    );
}

#[test]
fn a_connection_settles_after_both_fins_and_the_last_ack() {
    let mut server = Talk::at(End::Server);
    let (client, local) = addresses();
    server.tie(local, client, SocketId(0));
    server.client_sends(1, |t| t.ack(1).fin(), &[]);
    assert!(!server.conversations.settled());
    server.server_sends(1, |t| t.ack(2).fin(), &[]);
    assert!(!server.conversations.settled());
    server.client_sends(2, |t| t.ack(2), &[]);
    assert!(server.conversations.settled());
    assert_eq!(server.out.len(), 3);
}

#[test]
fn a_segment_after_a_gap_in_its_senders_numbers_is_counted_as_a_gap() {
    let mut server = Talk::at(End::Server);
    server.client_sends(5000, etherparse::PacketBuilderStep::syn, &[]);
    server.server_sends(9000, |t| t.syn().ack(5001), &[]);
    server.client_sends(5001, |t| t.ack(9001), &[]);
    server.client_sends(5001, |t| t.ack(9001).psh(), b"abcd");
    // Sent again, and a bare ACK: nothing missing.
    server.client_sends(5001, |t| t.ack(9001).psh(), b"abcd");
    server.server_sends(9001, |t| t.ack(5005), &[]);
    assert_eq!(server.conversations.tally().gaps, 0);
    // Bytes 5005..5010 were never seen: the next segment comes after a gap.
    server.client_sends(5010, |t| t.ack(9001).psh(), b"xy");
    assert_eq!(server.conversations.tally().gaps, 1);
    // The missing bytes arrive late (a reordering): no second gap, and the next follows on.
    server.client_sends(5005, |t| t.ack(9001).psh(), b"12345");
    server.client_sends(5012, |t| t.ack(9001).fin(), &[]);
    assert_eq!(server.conversations.tally().gaps, 1);
    // Sequence numbers wrap around without a gap.
    let mut wrapping = Talk::at(End::Server);
    wrapping.client_sends(u32::MAX - 1, etherparse::PacketBuilderStep::syn, &[]);
    wrapping.client_sends(u32::MAX, |t| t.ack(1).psh(), b"abc");
    wrapping.client_sends(2, |t| t.ack(1).psh(), b"d");
    assert_eq!(wrapping.conversations.tally().gaps, 0);
}

#[test]
fn an_upload_before_its_connected_is_held_whole_and_tied_to_its_socket() {
    let mut client = Talk::at(End::Client);
    client.client_sends(100, etherparse::PacketBuilderStep::syn, &[]);
    client.server_sends(900, |t| t.syn().ack(101), &[]);
    // A thousand segments before the program takes its Connected (it once let 64 wait).
    for piece in 0..1000_u32 {
        client.client_sends(101 + piece * 4, |t| t.ack(901).psh(), b"data");
    }
    assert!(client.out.is_empty(), "all held for the socket");
    let (local, remote) = addresses();
    client.tie(local, remote, SocketId(7));
    assert_eq!(client.out.len(), 1002);
    assert!(
        client
            .out
            .iter()
            .all(|seen| seen.socket == Some(SocketId(7)))
    );
    assert_eq!(client.conversations.tally().gaps, 0);
}

#[test]
fn a_secure_sockets_handshaking_ties_its_connection() {
    let mut server = Talk::at(End::Server);
    server.client_sends(5000, etherparse::PacketBuilderStep::syn, &[]);
    let (client, local) = addresses();
    let handshaking = serversocket::Event::Handshaking {
        socket: SocketId(4),
        local,
        remote: client,
    };
    server.conversations.follow(&handshaking, &mut server.out);
    server.client_sends(5001, |t| t.ack(1).psh(), b"\x16\x03\x01");
    assert_eq!(server.out.len(), 2);
    assert!(
        server
            .out
            .iter()
            .all(|seen| seen.socket == Some(SocketId(4)))
    );
}

/// A capture begun on an idle connection may see a keep-alive first: numbered one below what
/// its sender sends next, it is no sign of a missed segment.
#[test]
fn a_keep_alive_seen_first_is_no_gap() {
    let mut server = Talk::at(End::Server);
    server.client_sends(4999, |t| t.ack(9001), &[]);
    server.server_sends(9001, |t| t.ack(5000), &[]);
    server.client_sends(5000, |t| t.ack(9001).fin(), &[]);
    server.server_sends(9001, |t| t.ack(5001).fin(), &[]);
    assert_eq!(server.conversations.tally().gaps, 0);
}

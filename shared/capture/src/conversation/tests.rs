//! A connection as each end sees it: directions, relative numbers, the socket tie after the
//! handshake, a refused connect without a socket, a retransmitted SYN, a reused port.

use std::time::SystemTime;

use etherparse::PacketBuilder;

use std::net::Ipv4Addr;

use super::*;

const CLIENT: [u8; 4] = [127, 0, 0, 1];
const SERVER_PORT: u16 = 2002;
const CLIENT_PORT: u16 = 46116;

/// A segment from the client (`from_client`) or the server, made by `build`.
fn segment(
    from_client: bool,
    seq: u32,
    build: impl FnOnce(
        etherparse::PacketBuilderStep<etherparse::TcpHeader>,
    ) -> etherparse::PacketBuilderStep<etherparse::TcpHeader>,
    payload: &[u8],
) -> Segment {
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

fn addresses() -> (SocketAddr, SocketAddr) {
    (
        SocketAddr::from((CLIENT, CLIENT_PORT)),
        SocketAddr::from((CLIENT, SERVER_PORT)),
    )
}

#[test]
fn the_handshake_waits_for_connected_then_carries_the_socket() {
    let mut server = Conversations::new(End::Server, SERVER_PORT);
    let mut out = Vec::new();
    let now = Instant::now();
    server.add(
        segment(true, 5000, etherparse::PacketBuilderStep::syn, &[]),
        now,
        &mut out,
    );
    server.add(
        segment(false, 9000, |t| t.syn().ack(5001), &[]),
        now,
        &mut out,
    );
    server.add(segment(true, 5001, |t| t.ack(9001), &[]), now, &mut out);
    assert!(out.is_empty(), "held until the socket is known");
    let (client, local) = addresses();
    // A dual-stack listener names its IPv4 client as an IPv4-mapped IPv6 address.
    let mapped = SocketAddr::new(
        IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        CLIENT_PORT,
    );
    server.tie(local, mapped, SocketId(3), &mut out);
    server.add(
        segment(false, 9001, |t| t.ack(5001).psh(), b"hello"),
        now,
        &mut out,
    );
    let shown: Vec<_> = out
        .iter()
        .map(|seen| {
            (
                seen.direction,
                seen.segment.flags.to_string(),
                seen.seq,
                seen.ack,
                seen.socket,
                seen.client,
            )
        })
        .collect();
    let socket = Some(SocketId(3));
    assert_eq!(
        shown,
        [
            (Direction::In, "SYN".to_owned(), 0, 0, socket, client),
            (Direction::Out, "SYN,ACK".to_owned(), 0, 1, socket, client),
            (Direction::In, "ACK".to_owned(), 1, 1, socket, client),
            (Direction::Out, "ACK,PSH".to_owned(), 1, 1, socket, client),
        ]
    );
}

#[test]
fn a_refused_connect_goes_on_without_a_socket_after_the_hold() {
    let mut client = Conversations::new(End::Client, SERVER_PORT);
    let mut out = Vec::new();
    let now = Instant::now();
    client.add(
        segment(true, 7, etherparse::PacketBuilderStep::syn, &[]),
        now,
        &mut out,
    );
    client.add(segment(false, 0, |t| t.ack(8).rst(), &[]), now, &mut out);
    client.release_overdue(now, &mut out);
    assert!(out.is_empty());
    client.release_overdue(now + HOLD, &mut out);
    let shown: Vec<_> = out
        .iter()
        .map(|seen| {
            (
                seen.direction,
                seen.segment.flags.to_string(),
                seen.seq,
                seen.ack,
                seen.socket,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (Direction::Out, "SYN".to_owned(), 0, 0, None),
            (Direction::In, "ACK,RST".to_owned(), 0, 1, None),
        ]
    );
    assert_eq!(client.tally().resets, 1);
    assert!(client.settled());
}

#[test]
fn a_syn_sent_again_is_counted_and_a_new_syn_starts_a_new_connection() {
    let mut server = Conversations::new(End::Server, SERVER_PORT);
    let mut out = Vec::new();
    let now = Instant::now();
    server.add(
        segment(true, 7, etherparse::PacketBuilderStep::syn, &[]),
        now,
        &mut out,
    );
    server.add(
        segment(true, 7, etherparse::PacketBuilderStep::syn, &[]),
        now,
        &mut out,
    );
    assert_eq!(server.tally().syn_retransmits, 1);
    server.add(
        segment(true, 70, etherparse::PacketBuilderStep::syn, &[]),
        now,
        &mut out,
    );
    assert_eq!(server.tally().syn_retransmits, 1);
    server.release_all(&mut out);
    assert_eq!(
        out.iter()
            .map(|seen| seen.retransmitted_syn)
            .collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(
        out.iter().map(|seen| seen.seq).collect::<Vec<_>>(),
        [0, 0, 0]
    );
}

#[test]
fn a_connection_settles_after_both_fins_and_the_last_ack() {
    let mut server = Conversations::new(End::Server, SERVER_PORT);
    let mut out = Vec::new();
    let now = Instant::now();
    let (client, local) = addresses();
    server.tie(local, client, SocketId(0), &mut out);
    server.add(segment(true, 1, |t| t.ack(1).fin(), &[]), now, &mut out);
    assert!(!server.settled());
    server.add(segment(false, 1, |t| t.ack(2).fin(), &[]), now, &mut out);
    assert!(!server.settled());
    server.add(segment(true, 2, |t| t.ack(2), &[]), now, &mut out);
    assert!(server.settled());
    assert_eq!(out.len(), 3);
}

//! Parsing: a SYN with its options over IPv4 and IPv6, data with PSH, and what is not a
//! whole TCP segment.

use std::time::SystemTime;

use etherparse::{PacketBuilder, TcpOptionElement};

use super::*;

/// An IPv4 TCP packet from 127.0.0.1:46116 to 127.0.0.1:2002, made by `build`.
fn v4(
    build: impl FnOnce(
        etherparse::PacketBuilderStep<etherparse::TcpHeader>,
    ) -> etherparse::PacketBuilderStep<etherparse::TcpHeader>,
    payload: &[u8],
) -> Vec<u8> {
    let builder = build(
        PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64).tcp(46116, 2002, 1000, 65483),
    );
    let mut packet = Vec::new();
    builder.write(&mut packet, payload).expect("a packet");
    packet
}

#[test]
fn a_syn_has_its_options_and_takes_one_number() {
    let packet = v4(
        |tcp| {
            tcp.syn()
                .options(&[
                    TcpOptionElement::MaximumSegmentSize(65495),
                    TcpOptionElement::SelectiveAcknowledgementPermitted,
                    TcpOptionElement::Timestamp(7, 0),
                    TcpOptionElement::Noop,
                    TcpOptionElement::WindowScale(7),
                ])
                .expect("options fit")
        },
        &[],
    );
    let segment = Segment::parse(&packet, SystemTime::now()).expect("a segment");
    assert_eq!(segment.flags.to_string(), "SYN");
    assert_eq!(segment.seq, 1000);
    assert_eq!(segment.len, 0);
    assert_eq!(segment.window, 65483);
    assert_eq!(segment.sequence_len(), 1);
    assert_eq!(
        segment.source,
        "127.0.0.1:46116".parse().expect("an address")
    );
    assert_eq!(
        segment.options,
        SynOptions {
            mss: Some(65495),
            window_scale: Some(7),
            sack_permitted: true,
            timestamps: Some((7, 0)),
        }
    );
    assert_eq!(
        segment.options.to_string(),
        "MSS 65495, window scale 7, SACK, timestamps"
    );
    assert!(segment.has_port(2002));
}

#[test]
fn data_counts_its_payload_and_flags_keep_their_order() {
    let packet = v4(|tcp| tcp.ack(5).psh().fin(), b"hello");
    let segment = Segment::parse(&packet, SystemTime::now()).expect("a segment");
    assert_eq!(segment.flags.to_string(), "ACK,FIN,PSH");
    assert_eq!(segment.len, 5);
    assert_eq!(segment.ack, 5);
    assert_eq!(segment.sequence_len(), 6);
    assert_eq!(segment.wire_len as usize, packet.len());
}

#[test]
fn ipv6_and_a_kept_prefix_of_a_long_segment() {
    let builder = PacketBuilder::ipv6([0; 16], [0; 16], 64)
        .tcp(2002, 46116, 1, 100)
        .ack(2)
        .rst();
    let mut packet = Vec::new();
    builder.write(&mut packet, &[b'x'; 1000]).expect("a packet");
    let segment = Segment::parse(&packet, SystemTime::now()).expect("a segment");
    assert_eq!(segment.flags.to_string(), "ACK,RST");
    assert_eq!(segment.len, 1000);
    assert_eq!(segment.packet.len(), SNAP_LEN);
    // Cut to SNAP_LEN, as the kernel's filter cuts it: still parsed whole.
    let cut = Segment::parse(&packet[..SNAP_LEN], SystemTime::now()).expect("a cut segment");
    assert_eq!(cut.len, 1000);
    assert_eq!(cut.wire_len as usize, packet.len());
}

#[test]
fn what_is_not_a_tcp_segment_is_none() {
    let mut udp = Vec::new();
    PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .udp(1, 2002)
        .write(&mut udp, b"x")
        .expect("a packet");
    assert_eq!(Segment::parse(&udp, SystemTime::now()), None);
    assert_eq!(Segment::parse(&[], SystemTime::now()), None);
    let syn = v4(etherparse::PacketBuilderStep::syn, &[]);
    assert_eq!(
        Segment::parse(&syn[..30], SystemTime::now()),
        None,
        "a header cut short"
    );
}

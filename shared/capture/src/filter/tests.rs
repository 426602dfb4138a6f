//! The filter's program run by a small interpreter of classic BPF on packets made here: it
//! keeps TCP to or from the port over IPv4 and IPv6, drops other ports, UDP, fragments, and
//! loopback's sent copy.

use etherparse::PacketBuilder;

use super::*;

/// What the kernel would give the program besides the packet.
struct Metadata {
    /// ARPHRD_* of the interface.
    hatype: u32,
    /// PACKET_*.
    pkttype: u32,
}

/// Runs `program` on `packet` as the kernel would: how many bytes it keeps (0: dropped).
fn run(program: &[Instruction], packet: &[u8], metadata: &Metadata) -> u32 {
    let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
    let byte = |at: u32| u32::from(packet[at as usize]);
    let half = |at: u32| {
        u32::from(u16::from_be_bytes([
            packet[at as usize],
            packet[at as usize + 1],
        ]))
    };
    loop {
        let op = program[pc];
        pc += 1;
        match op.code {
            LD_W_ABS => {
                a = match op.k {
                    SKF_AD_HATYPE => metadata.hatype,
                    SKF_AD_PKTTYPE => metadata.pkttype,
                    k => panic!("no word load at {k:#x} in this program"),
                }
            }
            LD_H_ABS => a = half(op.k),
            LD_B_ABS => a = byte(op.k),
            LD_H_IND => a = half(x + op.k),
            LDX_B_MSH => x = 4 * (byte(op.k) & 0xf),
            AND_K => a &= op.k,
            JEQ_K => pc += usize::from(if a == op.k { op.jt } else { op.jf }),
            JSET_K => pc += usize::from(if a & op.k != 0 { op.jt } else { op.jf }),
            RET_K => return op.k,
            code => panic!("an opcode the interpreter does not know: {code:#x}"),
        }
    }
}

const RECEIVED_ON_LOOPBACK: Metadata = Metadata {
    hatype: ARPHRD_LOOPBACK,
    pkttype: 0,
};
const SENT_ON_LOOPBACK: Metadata = Metadata {
    hatype: ARPHRD_LOOPBACK,
    pkttype: PACKET_OUTGOING,
};
const SENT_ON_ETHERNET: Metadata = Metadata {
    hatype: 1,
    pkttype: PACKET_OUTGOING,
};

fn tcp_v4(source: u16, destination: u16) -> Vec<u8> {
    let mut packet = Vec::new();
    PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .tcp(source, destination, 1, 100)
        .syn()
        .write(&mut packet, &[])
        .expect("a packet");
    packet
}

#[test]
fn keeps_either_port_over_ipv4_and_ipv6() {
    let program = tcp_port(2002);
    assert_eq!(
        run(&program, &tcp_v4(46116, 2002), &RECEIVED_ON_LOOPBACK),
        SNAP_LEN as u32
    );
    assert_eq!(
        run(&program, &tcp_v4(2002, 46116), &RECEIVED_ON_LOOPBACK),
        SNAP_LEN as u32
    );
    assert_eq!(
        run(&program, &tcp_v4(46116, 2003), &RECEIVED_ON_LOOPBACK),
        0
    );
    let mut v6 = Vec::new();
    PacketBuilder::ipv6([0; 16], [0; 16], 64)
        .tcp(2002, 5, 1, 100)
        .write(&mut v6, b"x")
        .expect("a packet");
    assert_eq!(run(&program, &v6, &RECEIVED_ON_LOOPBACK), SNAP_LEN as u32);
    assert_eq!(run(&tcp_port(2003), &v6, &RECEIVED_ON_LOOPBACK), 0);
}

#[test]
fn an_ipv4_header_with_options_is_skipped_by_its_length() {
    let mut packet = tcp_v4(46116, 2002);
    // Four bytes of IP options (NOPs): IHL 6, total length + 4.
    packet.splice(20..20, [1, 1, 1, 1]);
    packet[0] = 0x46;
    let total = u16::from_be_bytes([packet[2], packet[3]]) + 4;
    packet[2..4].copy_from_slice(&total.to_be_bytes());
    assert_eq!(
        run(&tcp_port(2002), &packet, &RECEIVED_ON_LOOPBACK),
        SNAP_LEN as u32
    );
}

#[test]
fn drops_loopbacks_sent_copy_udp_and_fragments() {
    let program = tcp_port(2002);
    assert_eq!(run(&program, &tcp_v4(46116, 2002), &SENT_ON_LOOPBACK), 0);
    assert_eq!(
        run(&program, &tcp_v4(46116, 2002), &SENT_ON_ETHERNET),
        SNAP_LEN as u32
    );
    let mut udp = Vec::new();
    PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .udp(46116, 2002)
        .write(&mut udp, b"x")
        .expect("a packet");
    assert_eq!(run(&program, &udp, &RECEIVED_ON_LOOPBACK), 0);
    let mut fragment = tcp_v4(46116, 2002);
    fragment[7] = 8;
    assert_eq!(run(&program, &fragment, &RECEIVED_ON_LOOPBACK), 0);
}

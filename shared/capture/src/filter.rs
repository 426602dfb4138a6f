//! The kernel's filter for `tcp port N`: a classic BPF program, assembled here, that the packet
//! socket runs on every packet before it is copied to us, so the capture's thread wakes only
//! for the server's segments and keeps only their first [`SNAP_LEN`] bytes.
//!
//! The socket is cooked (`SOCK_DGRAM`): every packet starts at its IP header, whatever the
//! link (Ethernet, loopback, a tunnel), so one program serves every interface. It is what
//! `tcpdump -dd 'tcp port N'` gives for a raw-IP link, with one step before it: on the loopback
//! interface the kernel hands a packet socket each segment twice, once as sent (PACKET_OUTGOING)
//! and once as received, and the program drops the first copy, so every segment is counted once
//! and the thread copies half as much. (On other interfaces a sent segment is only seen as sent.)
//!
//! Only IPv4 without fragments and IPv6 with TCP as its first next header are matched, as in
//! tcpdump's program; nothing else reaches the capture.

use crate::segment::SNAP_LEN;

/// One classic BPF instruction: the kernel's `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instruction {
    /// The operation.
    pub code: u16,
    /// How many instructions to skip when a jump's test holds.
    pub jt: u8,
    /// How many instructions to skip when it does not.
    pub jf: u8,
    /// The operand.
    pub k: u32,
}

// The opcodes used (linux/filter.h, linux/bpf_common.h).
/// `ld [k]`: a 32-bit word at k (k at or past SKF_AD_OFF reads the kernel's metadata).
const LD_W_ABS: u16 = 0x20;
/// `ldh [k]`: a 16-bit word at k.
const LD_H_ABS: u16 = 0x28;
/// `ldb [k]`: a byte at k.
const LD_B_ABS: u16 = 0x30;
/// `ldh [x + k]`.
const LD_H_IND: u16 = 0x48;
/// `ldxb 4*([k]&0xf)`: the IPv4 header's length into X.
const LDX_B_MSH: u16 = 0xb1;
/// `and #k`.
const AND_K: u16 = 0x54;
/// `jeq #k, jt, jf`.
const JEQ_K: u16 = 0x15;
/// `jset #k, jt, jf`.
const JSET_K: u16 = 0x45;
/// `ret #k`: keep the packet's first k bytes (0: drop it).
const RET_K: u16 = 0x06;

/// The kernel's metadata a program may load (SKF_AD_OFF + …).
const SKF_AD_OFF: u32 = 0xffff_f000;
/// The packet's type: PACKET_HOST, PACKET_OUTGOING …
const SKF_AD_PKTTYPE: u32 = SKF_AD_OFF + 4;
/// The link type of the interface it crossed (ARPHRD_*).
const SKF_AD_HATYPE: u32 = SKF_AD_OFF + 28;
/// ARPHRD_LOOPBACK: the loopback interface.
const ARPHRD_LOOPBACK: u32 = 772;
/// PACKET_OUTGOING: a copy of a packet this machine sends.
const PACKET_OUTGOING: u32 = 4;
/// IPPROTO_TCP.
const TCP: u32 = 6;

/// Where a jump goes: the next instruction, or one of the two ends.
#[derive(Clone, Copy)]
enum To {
    Next,
    /// The instruction `n` (a label's index in the program below).
    At(usize),
}

/// The program for `tcp port {port}` on a cooked packet socket, loopback's sent copies dropped.
#[must_use]
pub fn tcp_port(port: u16) -> Vec<Instruction> {
    const IPV6: usize = 16;
    const ACCEPT: usize = 23;
    const DROP: usize = 24;
    let port = u32::from(port);
    let program: [(u16, To, To, u32); 25] = [
        // 0-3: loopback's sent copy of a segment is dropped; its received copy is kept.
        (LD_W_ABS, To::Next, To::Next, SKF_AD_HATYPE),
        (JEQ_K, To::Next, To::At(4), ARPHRD_LOOPBACK),
        (LD_W_ABS, To::Next, To::Next, SKF_AD_PKTTYPE),
        (JEQ_K, To::At(DROP), To::Next, PACKET_OUTGOING),
        // 4-6: the IP version.
        (LD_B_ABS, To::Next, To::Next, 0),
        (AND_K, To::Next, To::Next, 0xf0),
        (JEQ_K, To::Next, To::At(IPV6), 0x40),
        // 7-15: IPv4, TCP, not a fragment, either port.
        (LD_B_ABS, To::Next, To::Next, 9),
        (JEQ_K, To::Next, To::At(DROP), TCP),
        (LD_H_ABS, To::Next, To::Next, 6),
        (JSET_K, To::At(DROP), To::Next, 0x1fff),
        (LDX_B_MSH, To::Next, To::Next, 0),
        (LD_H_IND, To::Next, To::Next, 0),
        (JEQ_K, To::At(ACCEPT), To::Next, port),
        (LD_H_IND, To::Next, To::Next, 2),
        (JEQ_K, To::At(ACCEPT), To::At(DROP), port),
        // 16-22: IPv6, TCP, either port.
        (JEQ_K, To::Next, To::At(DROP), 0x60),
        (LD_B_ABS, To::Next, To::Next, 6),
        (JEQ_K, To::Next, To::At(DROP), TCP),
        (LD_H_ABS, To::Next, To::Next, 40),
        (JEQ_K, To::At(ACCEPT), To::Next, port),
        (LD_H_ABS, To::Next, To::Next, 42),
        (JEQ_K, To::At(ACCEPT), To::At(DROP), port),
        // 23, 24.
        (RET_K, To::Next, To::Next, SNAP_LEN as u32),
        (RET_K, To::Next, To::Next, 0),
    ];
    program
        .iter()
        .enumerate()
        .map(|(at, &(code, jt, jf, k))| Instruction {
            code,
            jt: skip(at, jt),
            jf: skip(at, jf),
            k,
        })
        .collect()
}

/// A jump from instruction `at` to `to`, as the count of instructions it skips.
fn skip(at: usize, to: To) -> u8 {
    match to {
        To::Next => 0,
        // Every jump above goes forward, by fewer than 255 instructions.
        To::At(target) => u8::try_from(target - at - 1).unwrap_or(u8::MAX),
    }
}

#[cfg(test)]
mod tests;

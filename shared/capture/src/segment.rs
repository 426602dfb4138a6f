//! One TCP segment as captured: when, between which two ends, its flags, sequence and
//! acknowledgement numbers, payload length, window and a SYN's options, parsed from the IP
//! packet with `etherparse`; and the packet's first bytes, kept for a pcapng file.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use etherparse::{
    IpNumber, Ipv4HeaderSlice, Ipv6Header, Ipv6HeaderSlice, TcpHeaderSlice, TcpOptionElement,
};

/// How many bytes of each packet are kept: the IP and TCP headers at their longest (60 + 60)
/// and the first bytes of the payload, so Wireshark shows a greeting's text; the rest of a bulk
/// segment is counted in its length, never kept, so a ring of segments is bounded in bytes.
pub const SNAP_LEN: usize = 256;

/// A TCP segment, as the kernel handed it to the capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// When the kernel saw it go through the interface (the system clock, to the nanosecond;
    /// when the kernel gives no time, when the capture read it).
    pub at: SystemTime,
    /// The end that sent it.
    pub source: SocketAddr,
    /// The end it is for.
    pub destination: SocketAddr,
    /// Its flags.
    pub flags: Flags,
    /// Its sequence number, as on the wire.
    pub seq: u32,
    /// Its acknowledgement number, as on the wire (meaningful with ACK).
    pub ack: u32,
    /// How many bytes of payload it carries.
    pub len: u32,
    /// The receive window it advertises (unscaled, as on the wire).
    pub window: u16,
    /// A SYN's options (all `None` on other segments, which rarely carry them).
    pub options: SynOptions,
    /// The IP packet's first [`SNAP_LEN`] bytes, for a pcapng file.
    pub packet: Box<[u8]>,
    /// The IP packet's whole length on the wire.
    pub wire_len: u32,
}

/// The options a SYN offers: what each end will do for the whole connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynOptions {
    /// The largest segment this end wants to receive.
    pub mss: Option<u16>,
    /// The window scale: the window of every later segment is shifted left by this much.
    pub window_scale: Option<u8>,
    /// Selective acknowledgements are understood.
    pub sack_permitted: bool,
    /// The timestamp option (its value and echo), used to measure round trips.
    pub timestamps: Option<(u32, u32)>,
}

/// The flags of a segment a learner follows (and URG, rarely seen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools)]
pub struct Flags {
    /// Synchronise: opens a connection (the first two segments of the handshake).
    pub syn: bool,
    /// The acknowledgement number is valid: every segment after the first has it.
    pub ack: bool,
    /// Finish: this end sends no more.
    pub fin: bool,
    /// Reset: the connection is refused or torn down at once.
    pub rst: bool,
    /// Push: hand the data to the application now.
    pub psh: bool,
    /// Urgent data (almost never used).
    pub urg: bool,
}

impl Flags {
    /// The set flags' names in the order SYN, ACK, FIN, RST, PSH, URG.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        [
            (self.syn, "SYN"),
            (self.ack, "ACK"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.urg, "URG"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
    }
}

impl fmt::Display for Flags {
    /// `SYN,ACK`: the set flags joined by commas (the headless `flags` field).
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, name) in self.names().enumerate() {
            if index > 0 {
                formatter.write_str(",")?;
            }
            formatter.write_str(name)?;
        }
        Ok(())
    }
}

impl Segment {
    /// The segment in `packet`, an IP packet (v4 or v6) as a packet socket hands it without
    /// its link-layer header; `None` for anything that is not a whole TCP header (a fragment,
    /// another protocol, IPv6 extension headers before TCP).
    #[must_use]
    pub fn parse(packet: &[u8], at: SystemTime) -> Option<Self> {
        let (source, destination, tcp_start, wire_len) = match packet.first()? >> 4 {
            4 => {
                let ip = Ipv4HeaderSlice::from_slice(packet).ok()?;
                if ip.protocol() != IpNumber::TCP || ip.is_fragmenting_payload() {
                    return None;
                }
                (
                    IpAddr::V4(ip.source_addr()),
                    IpAddr::V4(ip.destination_addr()),
                    usize::from(ip.ihl()) * 4,
                    u32::from(ip.total_len()),
                )
            }
            6 => {
                let ip = Ipv6HeaderSlice::from_slice(packet).ok()?;
                if ip.next_header() != IpNumber::TCP {
                    return None;
                }
                (
                    IpAddr::V6(ip.source_addr()),
                    IpAddr::V6(ip.destination_addr()),
                    Ipv6Header::LEN,
                    Ipv6Header::LEN as u32 + u32::from(ip.payload_length()),
                )
            }
            _ => return None,
        };
        let tcp = TcpHeaderSlice::from_slice(packet.get(tcp_start..)?).ok()?;
        let headers = tcp_start + usize::from(tcp.data_offset()) * 4;
        let options = if tcp.syn() {
            syn_options(&tcp)
        } else {
            SynOptions::default()
        };
        Some(Segment {
            at,
            source: SocketAddr::new(source, tcp.source_port()),
            destination: SocketAddr::new(destination, tcp.destination_port()),
            flags: Flags {
                syn: tcp.syn(),
                ack: tcp.ack(),
                fin: tcp.fin(),
                rst: tcp.rst(),
                psh: tcp.psh(),
                urg: tcp.urg(),
            },
            seq: tcp.sequence_number(),
            ack: tcp.acknowledgment_number(),
            len: wire_len.saturating_sub(headers as u32),
            window: tcp.window_size(),
            options,
            packet: packet[..packet.len().min(SNAP_LEN)].into(),
            wire_len,
        })
    }

    /// Whether `port` is either end's port.
    #[must_use]
    pub fn has_port(&self, port: u16) -> bool {
        self.source.port() == port || self.destination.port() == port
    }

    /// How much of the sequence space it takes: its payload, and one each for SYN and FIN.
    #[must_use]
    pub fn sequence_len(&self) -> u32 {
        self.len + u32::from(self.flags.syn) + u32::from(self.flags.fin)
    }
}

/// The options of a SYN's header; options it cannot read are left out.
fn syn_options(tcp: &TcpHeaderSlice<'_>) -> SynOptions {
    let mut options = SynOptions::default();
    for option in tcp.options_iterator().map_while(Result::ok) {
        match option {
            TcpOptionElement::MaximumSegmentSize(mss) => options.mss = Some(mss),
            TcpOptionElement::WindowScale(scale) => options.window_scale = Some(scale),
            TcpOptionElement::SelectiveAcknowledgementPermitted => options.sack_permitted = true,
            TcpOptionElement::Timestamp(value, echo) => options.timestamps = Some((value, echo)),
            _ => {}
        }
    }
    options
}

impl fmt::Display for SynOptions {
    /// `MSS 65483, window scale 7, SACK, timestamps`: the options a SYN offered, in words.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(mss) = self.mss {
            parts.push(format!("MSS {mss}"));
        }
        if let Some(scale) = self.window_scale {
            parts.push(format!("window scale {scale}"));
        }
        if self.sack_permitted {
            parts.push("SACK".to_owned());
        }
        if self.timestamps.is_some() {
            parts.push("timestamps".to_owned());
        }
        formatter.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests;

//! Segments written as a pcapng file, which Wireshark and `tshark -r` open: a Section Header
//! Block, one Interface Description Block (raw IP, LINKTYPE_RAW: the capture is cooked, so
//! every packet starts at its IP header), and one Enhanced Packet Block a segment, stamped to
//! the microsecond (the format's default resolution).
//!
//! The format is small enough to write here (draft-ietf-opsawg-pcapng): every block is its
//! type, its total length, its body padded to 32 bits, and its total length again, in this
//! machine's byte order, which the section header's magic number tells the reader.

use std::io::{self, Write};
use std::time::UNIX_EPOCH;

use crate::segment::{SNAP_LEN, Segment};

/// The Section Header Block's type.
const SECTION_HEADER: u32 = 0x0A0D_0D0A;
/// The Interface Description Block's type.
const INTERFACE: u32 = 0x0000_0001;
/// The Enhanced Packet Block's type.
const ENHANCED_PACKET: u32 = 0x0000_0006;
/// Tells the reader the byte order.
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// LINKTYPE_RAW: each packet is an IP packet, v4 or v6, told by its first nibble.
const LINKTYPE_RAW: u16 = 101;

/// Writes segments into `out` as a pcapng file.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    /// Where the file goes.
    out: W,
}

impl<W: Write> PcapngWriter<W> {
    /// Starts the file: its section header and its one interface.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut section = Vec::with_capacity(16);
        section.extend_from_slice(&BYTE_ORDER_MAGIC.to_ne_bytes());
        section.extend_from_slice(&1u16.to_ne_bytes());
        section.extend_from_slice(&0u16.to_ne_bytes());
        // The section's length: not given (-1), as a file written as it goes says.
        section.extend_from_slice(&u64::MAX.to_ne_bytes());
        block(&mut out, SECTION_HEADER, &section)?;
        let mut interface = Vec::with_capacity(8);
        interface.extend_from_slice(&LINKTYPE_RAW.to_ne_bytes());
        interface.extend_from_slice(&0u16.to_ne_bytes());
        interface.extend_from_slice(&(SNAP_LEN as u32).to_ne_bytes());
        block(&mut out, INTERFACE, &interface)?;
        Ok(Self { out })
    }

    /// Writes one segment: its time, the bytes kept and the packet's length on the wire.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_segment(&mut self, segment: &Segment) -> io::Result<()> {
        let micros = segment
            .at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros();
        let micros = u64::try_from(micros).unwrap_or(u64::MAX);
        let captured = u32::try_from(segment.packet.len()).unwrap_or(u32::MAX);
        let mut body = Vec::with_capacity(20 + segment.packet.len() + 3);
        body.extend_from_slice(&0u32.to_ne_bytes());
        body.extend_from_slice(&((micros >> 32) as u32).to_ne_bytes());
        body.extend_from_slice(&(micros as u32).to_ne_bytes());
        body.extend_from_slice(&captured.to_ne_bytes());
        body.extend_from_slice(&segment.wire_len.max(captured).to_ne_bytes());
        body.extend_from_slice(&segment.packet);
        block(&mut self.out, ENHANCED_PACKET, &body)
    }

    /// Sends what was written on to the file.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The writer, with everything written so far.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Writes every segment of `segments` as a whole pcapng file into `out`: a window's Export.
///
/// # Errors
/// When `out` fails.
pub fn write_all<'a, W: Write>(
    out: W,
    segments: impl IntoIterator<Item = &'a Segment>,
) -> io::Result<W> {
    let mut writer = PcapngWriter::new(out)?;
    for segment in segments {
        writer.write_segment(segment)?;
    }
    writer.flush()?;
    Ok(writer.into_inner())
}

/// One block: its type, total length, body padded to 32 bits, and total length again.
fn block(out: &mut impl Write, kind: u32, body: &[u8]) -> io::Result<()> {
    let padding = (4 - body.len() % 4) % 4;
    let total = u32::try_from(12 + body.len() + padding)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a block past 4 GiB"))?;
    let mut bytes = Vec::with_capacity(total as usize);
    bytes.extend_from_slice(&kind.to_ne_bytes());
    bytes.extend_from_slice(&total.to_ne_bytes());
    bytes.extend_from_slice(body);
    bytes.extend_from_slice(&[0; 3][..padding]);
    bytes.extend_from_slice(&total.to_ne_bytes());
    out.write_all(&bytes)
}

#[cfg(test)]
mod tests;

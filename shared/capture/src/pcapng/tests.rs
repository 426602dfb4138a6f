//! The file's blocks, read back field by field (tshark reads real ones in `tests/`).

use std::time::{Duration, UNIX_EPOCH};

use etherparse::PacketBuilder;

use super::*;

fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

#[test]
fn a_file_is_a_section_an_interface_and_a_block_a_segment() {
    let mut packet = Vec::new();
    PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .tcp(46116, 2002, 1, 100)
        .syn()
        .write(&mut packet, b"abc")
        .expect("a packet");
    let at = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
    let segment = Segment::parse(&packet, at).expect("a segment");
    let file = write_all(Vec::new(), [&segment, &segment]).expect("written to memory");
    assert_eq!(word(&file, 0), SECTION_HEADER);
    assert_eq!(word(&file, 8), BYTE_ORDER_MAGIC);
    let section = word(&file, 4) as usize;
    assert_eq!(
        word(&file, section - 4) as usize,
        section,
        "the length, again at the end"
    );
    assert_eq!(word(&file, section), INTERFACE);
    let interface = word(&file, section + 4) as usize;
    let first = section + interface;
    assert_eq!(word(&file, first), ENHANCED_PACKET);
    let length = word(&file, first + 4) as usize;
    assert_eq!(length % 4, 0);
    let micros = (u64::from(word(&file, first + 12)) << 32) | u64::from(word(&file, first + 16));
    assert_eq!(micros, 1_700_000_000_123_456);
    assert_eq!(word(&file, first + 20) as usize, packet.len());
    assert_eq!(&file[first + 28..first + 28 + packet.len()], &packet[..]);
    assert_eq!(file.len(), first + 2 * length);
}

//! What the operating system says about ports: the range it picks outgoing connections' ports
//! from, and whether anything listens on a port. Read from `/proc` on Linux; elsewhere the
//! answers are `None` and the messages that use them say less.
//!
//! Why it matters: a listener on a port of the ephemeral range can fail with "address in use"
//! (105) while nothing listens there, because an outgoing connection of some program holds that
//! port as its own end for a moment. Saying so beats a bare 105.

use std::ops::RangeInclusive;

/// The ports the OS gives outgoing connections (Linux: `net.ipv4.ip_local_port_range`, which
/// IPv6 shares).
#[must_use]
pub fn ephemeral_port_range() -> Option<RangeInclusive<u16>> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    parse_range(&text)
}

/// `"32768\t60999\n"` as a range.
fn parse_range(text: &str) -> Option<RangeInclusive<u16>> {
    let mut bounds = text.split_whitespace().map(str::parse::<u16>);
    match (bounds.next(), bounds.next()) {
        (Some(Ok(low)), Some(Ok(high))) if low <= high => Some(low..=high),
        _ => None,
    }
}

/// Whether some socket of this machine listens on TCP `port` (IPv4 or IPv6), or `None` when the
/// OS does not say.
#[must_use]
pub fn something_listens_on(port: u16) -> Option<bool> {
    let mut known = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(table) {
            known = true;
            if table_has_listener(&text, port) {
                return Some(true);
            }
        }
    }
    known.then_some(false)
}

/// Whether a `/proc/net/tcp` table has a socket in LISTEN state (0A) on `port`.
fn table_has_listener(table: &str, port: u16) -> bool {
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace();
        let local = fields.nth(1);
        let state = fields.nth(1);
        let local_port = local
            .and_then(|local| local.rsplit(':').next())
            .and_then(|hex| u16::from_str_radix(hex, 16).ok());
        local_port == Some(port) && state == Some("0A")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_and_the_tables_are_read() {
        assert_eq!(parse_range("32768\t60999\n"), Some(32768..=60999));
        assert_eq!(parse_range("x"), None);
        let table = "  sl  local_address rem_address   st tx_queue rx_queue\n\
   0: 0100007F:07D2 00000000:0000 0A 00000000:00000000 00:00000000 00000000\n\
   1: 0100007F:B0C2 0100007F:07D2 01 00000000:00000000 00:00000000 00000000\n";
        assert!(table_has_listener(table, 2002));
        assert!(
            !table_has_listener(table, 0xB0C2),
            "connected, not listening"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_real_listener_is_seen() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        let port = listener.local_addr().expect("address").port();
        assert_eq!(something_listens_on(port), Some(true));
        drop(listener);
        assert_eq!(something_listens_on(port), Some(false));
        assert!(ephemeral_port_range().is_some());
    }
}

//! What the operating system says about ports: the range it picks outgoing connections' ports
//! from (read from `/proc`), and whether anything listens on a port (asked of the kernel). On
//! Linux; elsewhere the answers are `None` and the messages that use them say less.
//!
//! Why it matters: a listener on a port of the ephemeral range can fail with "address in use"
//! (105) while nothing listens there, because an outgoing connection of some program holds that
//! port as its own end for a moment. Saying so beats a bare 105.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
/// OS does not say. Asks the kernel for its listeners alone (sock_diag): reading
/// `/proc/net/tcp` instead walked every connection of the system, seconds with tens of
/// thousands open, and this runs where a Listen just failed, on the caller's thread.
#[must_use]
pub fn something_listens_on(port: u16) -> Option<bool> {
    let probe = crate::KernelProbe::new().ok()?;
    let mut listening = false;
    for any in [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    ] {
        let listeners = probe.listeners_at(SocketAddr::new(any, port)).ok()?;
        listening |= !listeners.is_empty();
    }
    Some(listening)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_read() {
        assert_eq!(parse_range("32768\t60999\n"), Some(32768..=60999));
        assert_eq!(parse_range("x"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_real_listener_is_seen() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        let port = listener.local_addr().expect("address").port();
        assert_eq!(something_listens_on(port), Some(true));
        // A connection's own port is held, not listened on.
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let client_port = client.local_addr().expect("address").port();
        assert_eq!(something_listens_on(client_port), Some(false));
        drop(listener);
        assert_eq!(something_listens_on(port), Some(false));
        assert!(ephemeral_port_range().is_some());
        // IPv6 listeners count too.
        if let Ok(listener) = std::net::TcpListener::bind("[::1]:0") {
            let port = listener.local_addr().expect("address").port();
            assert_eq!(something_listens_on(port), Some(true));
        }
    }
}

//! What the operating system says about ports: the range it picks outgoing connections' ports
//! from (read from `/proc`), and whether anything listens on a port, or else what holds it
//! (asked of the kernel). On Linux; elsewhere the answers are `None` and the messages that use
//! them say less.
//!
//! Why it matters: a listener on a port of the ephemeral range can fail with "address in use"
//! (105) while nothing listens there, because an outgoing connection of some program holds that
//! port as its own end for a moment, or, closed moments ago, still holds it in TIME_WAIT for
//! about a minute. Saying which beats a bare 105.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;

/// The ports the OS gives outgoing connections (Linux: `net.ipv4.ip_local_port_range`, which
/// IPv6 shares).
#[must_use]
pub fn ephemeral_port_range() -> Option<RangeInclusive<u16>> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    parse_range(&text)
}

/// The ports below which this program may not listen, `None` when it may listen on any (it
/// has `CAP_NET_BIND_SERVICE`, as root has) or the OS does not say. On Linux the bound is
/// `net.ipv4.ip_unprivileged_port_start`, 1024 unless changed; a warning that port 80 needs
/// privileges was shown to root, whose Listen there then worked.
#[must_use]
pub fn ports_needing_privileges() -> Option<u16> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    if may_bind_any_port(&status)? {
        return None;
    }
    let start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start").ok();
    Some(
        start
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(1024),
    )
}

/// Whether the effective capabilities in a `/proc/PID/status` text hold
/// `CAP_NET_BIND_SERVICE` (capability 10).
fn may_bind_any_port(status: &str) -> Option<bool> {
    const CAP_NET_BIND_SERVICE: u32 = 10;
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))?;
    let bits = u64::from_str_radix(effective.trim(), 16).ok()?;
    Some(bits & (1 << CAP_NET_BIND_SERVICE) != 0)
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

/// What holds a TCP port of this machine, as far as the kernel's sockets tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortHolder {
    /// A socket listens on it.
    Listener,
    /// A connection that is open (or closing) has it as its own end: it holds the port until
    /// it closes.
    Connection,
    /// Only connections that closed and wait in TIME_WAIT (about a minute on Linux) have it
    /// as their own end: closed, yet still holding the port.
    TimeWait,
    /// No socket has it (one that held it may have gone since).
    Nothing,
}

/// What holds TCP `port` (IPv4 or IPv6), or `None` when the OS does not say: a listener
/// first, else an open connection, else one in TIME_WAIT. The listeners are asked for alone
/// first (see [`something_listens_on`]); the port's other sockets only when none listens, in
/// one dump the kernel filters to the port.
#[must_use]
pub fn port_holder(port: u16) -> Option<PortHolder> {
    if something_listens_on(port)? {
        return Some(PortHolder::Listener);
    }
    let probe = crate::KernelProbe::new().ok()?;
    let mut holder = PortHolder::Nothing;
    for any in [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    ] {
        for socket in probe.sockets_at(SocketAddr::new(any, port)).ok()? {
            if socket.state == crate::TcpState::TimeWait {
                holder = PortHolder::TimeWait;
            } else {
                return Some(PortHolder::Connection);
            }
        }
    }
    Some(holder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capability_to_bind_low_ports_is_read_from_the_status() {
        let status = |caps: &str| format!("Name:\tx\nCapInh:\t0\nCapEff:\t{caps}\nCapBnd:\t1\n");
        assert_eq!(may_bind_any_port(&status("000001ffffffffff")), Some(true));
        assert_eq!(may_bind_any_port(&status("0000000000000400")), Some(true));
        assert_eq!(may_bind_any_port(&status("0000000000000000")), Some(false));
        assert_eq!(may_bind_any_port("Name:\tx\n"), None);
    }

    /// What it says holds for this very process: a port below the bound is refused, and with no
    /// bound a low port can be listened on.
    #[cfg(target_os = "linux")]
    #[test]
    fn what_it_says_about_low_ports_is_what_a_bind_does() {
        let outcome = (1..1024_u16)
            .rev()
            .map(|port| std::net::TcpListener::bind(("127.0.0.1", port)))
            .find(|bound| !matches!(bound, Err(e) if e.kind() == std::io::ErrorKind::AddrInUse))
            .expect("a port below 1024 nothing holds");
        match ports_needing_privileges() {
            None => assert!(outcome.is_ok(), "{outcome:?}"),
            Some(start) if start > 1023 => assert_eq!(
                outcome.expect_err("refused").kind(),
                std::io::ErrorKind::PermissionDenied
            ),
            Some(_) => {} // the system moved the bound: the port tried may be above it
        }
    }

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
        assert_eq!(port_holder(port), Some(PortHolder::Listener));
        assert_eq!(port_holder(client_port), Some(PortHolder::Connection));
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

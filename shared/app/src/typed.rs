//! Settings as a person types them (a port, a host, a count), read one way for the command lines and
//! the windows, so both refuse the same text with the same words.

use serversocket::SocketError;
use serversocket::bounds::Count;
/// Where the host a client connects to is read for every caller, lesson files among them.
pub use serversocket::host::parse_host;

/// A whole number of `unit` (`seconds`) from `range`, as typed on a command line: `-1` is
/// "not a whole number of seconds", not clap's "invalid digit found in string".
///
/// # Errors
/// In words, naming the text and the range.
pub fn parse_whole(
    text: &str,
    unit: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, String> {
    let trimmed = text.trim();
    match trimmed.parse::<u64>() {
        Ok(value) if range.contains(&value) => Ok(value),
        Ok(value) if value < *range.start() => Err(format!(
            "{value} {unit} is less than {} (the least allowed)",
            range.start()
        )),
        Ok(value) => Err(format!(
            "{value} {unit} is more than {} (the most allowed)",
            range.end()
        )),
        // Digits beyond what a u64 holds: as much more than the most as any other.
        Err(_) if !trimmed.is_empty() && trimmed.bytes().all(|byte| byte.is_ascii_digit()) => {
            Err(format!(
                "{trimmed} {unit} is more than {} (the most allowed)",
                range.end()
            ))
        }
        Err(_) => Err(format!(
            "\"{trimmed}\" is not a whole number of {unit} ({} to {})",
            range.start(),
            range.end()
        )),
    }
}

/// Parses a port typed by a person: a whole number from 0 to 65535 (0 asks the OS for a free port).
///
/// # Errors
/// [`SocketError::InvalidPort`] naming the text and why it is not a port.
pub fn parse_port(text: &str) -> Result<u16, SocketError> {
    read_port(text, "0 to 65535")
}

/// A port within 0 to 65535; a refusal says `range`, the ports the caller takes.
fn read_port(text: &str, range: &str) -> Result<u16, SocketError> {
    let trimmed = text.trim();
    let invalid = |reason: &str| SocketError::InvalidPort {
        port: trimmed.to_owned(),
        reason: format!("{reason} ({range})"),
    };
    if trimmed.is_empty() {
        return Err(invalid(if text.is_empty() {
            "it is empty"
        } else {
            "it is only spaces"
        }));
    }
    if trimmed.starts_with('-') {
        return Err(invalid("ports cannot be negative"));
    }
    if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("it is not a number"));
    }
    trimmed
        .parse::<u16>()
        .map_err(|_| invalid("it is out of range"))
}

/// The address a server listens on, as `--bind` takes it: an IP address, and for an IPv6
/// link-local one the interface it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindAddress {
    /// The address.
    pub ip: std::net::IpAddr,
    /// The interface's index (`%lo` → 1), for a scoped IPv6 address; 0 for none.
    pub scope_id: u32,
}

impl BindAddress {
    /// The socket address to bind with `port`.
    #[must_use]
    pub fn with_port(self, port: u16) -> std::net::SocketAddr {
        match self.ip {
            std::net::IpAddr::V6(v6) => {
                std::net::SocketAddrV6::new(v6, port, 0, self.scope_id).into()
            }
            std::net::IpAddr::V4(_) => std::net::SocketAddr::new(self.ip, port),
        }
    }
}

impl std::fmt::Display for BindAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scope_id {
            0 => write!(f, "{}", self.ip),
            scope => write!(f, "{}%{scope}", self.ip),
        }
    }
}

/// Reads the address a server listens on, as a person types it and as the client takes it:
/// IPv4, IPv6 bare (`::1`) or in brackets (`[::1]`), and a scoped IPv6 address (`fe80::1%lo`,
/// `[fe80::1%2]`) whose interface is named or numbered. Only addresses: a server binds one of
/// this machine's addresses, and a name would be looked up.
///
/// # Errors
/// [`SocketError::InvalidSetting`] (field "bind") naming the text and what is wrong with it.
pub fn parse_bind_address(text: &str) -> Result<BindAddress, SocketError> {
    let trimmed = text.trim();
    let invalid = |reason: String| SocketError::InvalidSetting {
        field: "bind",
        reason,
    };
    let bare = trimmed
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(trimmed);
    let (address, scope) = match bare.split_once('%') {
        Some((address, scope)) => (address, Some(scope)),
        None => (bare, None),
    };
    let ip: std::net::IpAddr = address.parse().map_err(|_| {
        // Copied with its port (`[::1]:2002`, from a log line), as the client's address says.
        invalid(match serversocket::host::port_at_the_end(trimmed) {
            Some(port) => {
                format!("\"{trimmed}\" ends in a port: give the address alone and {port} as --port")
            }
            None => format!(
                "\"{trimmed}\" is not an IP address (127.0.0.1, ::1, [::1], fe80::1%lo, 0.0.0.0, \
                 ::)"
            ),
        })
    })?;
    // `fe80::1` on every interface at once is no address: Listen would fail with "Invalid
    // argument".
    let link_local = match ip {
        std::net::IpAddr::V6(v6) if v6.is_unicast_link_local() => Some(v6),
        _ => None,
    };
    let unscoped = |v6| {
        invalid(format!(
            "{}{}",
            serversocket::host::link_local_without_interface(trimmed, v6),
            if scope.is_some() {
                "; interface 0 is none"
            } else {
                ""
            }
        ))
    };
    let Some(scope) = scope else {
        if let Some(v6) = link_local {
            return Err(unscoped(v6));
        }
        return Ok(BindAddress { ip, scope_id: 0 });
    };
    if !ip.is_ipv6() {
        return Err(invalid(format!(
            "\"{trimmed}\": only an IPv6 address takes an interface after %"
        )));
    }
    let scope_id = serversocket::host::interface_scope(trimmed, scope).map_err(invalid)?;
    if let Some(v6) = link_local.filter(|_| scope_id == 0) {
        return Err(unscoped(v6));
    }
    Ok(BindAddress { ip, scope_id })
}

/// Parses the port a client connects to: as [`parse_port`], but 0 ("any free port", which only
/// a listener can ask for) is refused.
///
/// # Errors
/// [`SocketError::InvalidPort`] naming the text and why it is not a port to connect to.
pub fn parse_remote_port(text: &str) -> Result<u16, SocketError> {
    match read_port(text, "1 to 65535")? {
        0 => Err(SocketError::InvalidPort {
            port: "0".to_owned(),
            reason: "port 0 means \"any port\" to a server; a client must name one (1 to 65535)"
                .to_owned(),
        }),
        port => Ok(port),
    }
}

/// `--min`: a MinimumSocketsAvailable within bounds.
///
/// # Errors
/// As [`Count::parse`].
pub fn parse_minimum_sockets_available(text: &str) -> Result<usize, SocketError> {
    parse_usize(Count::MinimumSocketsAvailable, text)
}

/// `--max`: a MaximumSocketsConnected within bounds.
///
/// # Errors
/// As [`Count::parse`].
pub fn parse_maximum_sockets_connected(text: &str) -> Result<usize, SocketError> {
    parse_usize(Count::MaximumSocketsConnected, text)
}

/// `--connect`: how many sockets the client opens.
///
/// # Errors
/// As [`Count::parse`].
pub fn parse_connect(text: &str) -> Result<u64, SocketError> {
    Count::Connect.parse(text)
}

/// `--in-flight`: how many connects may be under way at once.
///
/// # Errors
/// As [`Count::parse`].
pub fn parse_in_flight(text: &str) -> Result<usize, SocketError> {
    parse_usize(Count::InFlight, text)
}

fn parse_usize(count: Count, text: &str) -> Result<usize, SocketError> {
    count.parse(text).map(|value| {
        // Every ceiling is far below usize::MAX.
        usize::try_from(value).unwrap_or(usize::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `-1` for a number of seconds says what is wrong in the flag's own terms (clap said
    /// "invalid digit found in string").
    #[test]
    fn a_whole_number_out_of_range_or_not_whole_says_so_in_its_unit() {
        assert_eq!(parse_whole(" 5 ", "seconds", 0..=10), Ok(5));
        assert_eq!(
            parse_whole("-1", "seconds", 0..=10),
            Err("\"-1\" is not a whole number of seconds (0 to 10)".to_owned())
        );
        assert_eq!(
            parse_whole("11", "seconds", 0..=10),
            Err("11 seconds is more than 10 (the most allowed)".to_owned())
        );
        // More digits than any number of seconds holds is more than the most, too.
        assert_eq!(
            parse_whole("99999999999999999999", "seconds", 0..=10),
            Err("99999999999999999999 seconds is more than 10 (the most allowed)".to_owned())
        );
        assert_eq!(
            parse_whole("0", "times", 1..=10),
            Err("0 times is less than 1 (the least allowed)".to_owned())
        );
    }

    #[test]
    fn bind_addresses_take_brackets_and_a_scope_like_the_client() {
        let loopback = |ip: &str| BindAddress {
            ip: ip.parse().unwrap_or_else(|e| panic!("{e}")),
            scope_id: 0,
        };
        assert_eq!(parse_bind_address("127.0.0.1"), Ok(loopback("127.0.0.1")));
        assert_eq!(parse_bind_address("[::1]"), Ok(loopback("::1")));
        assert_eq!(parse_bind_address(" ::1 "), Ok(loopback("::1")));
        // `lo` is interface 1 on Linux.
        #[cfg(target_os = "linux")]
        {
            let numbered = parse_bind_address("[fe80::1%1]").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(numbered.scope_id, 1);
            assert_eq!(numbered.to_string(), "fe80::1%1");
        }
        #[cfg(target_os = "linux")]
        assert_eq!(
            parse_bind_address("fe80::1%lo").map(|bind| bind.scope_id),
            Ok(1)
        );
        // A named interface on an address that is not link-local is found as a number is.
        #[cfg(target_os = "linux")]
        assert_eq!(
            parse_bind_address("[::1%lo]").map(|bind| bind.scope_id),
            Ok(1)
        );
        for (text, words) in [
            ("localhost", "not an IP address"),
            ("127.0.0.1%lo", "only an IPv6 address"),
            ("fe80::1%no-such-interface", "no interface"),
            ("fe80::1%99999", "no interface numbered 99999"),
            ("fe80::1", "names its interface too"),
            ("[fe80::1%0]", "interface 0 is none"),
            // Copied with its port, as the client's address says it.
            (
                "[::1]:5701",
                "ends in a port: give the address alone and 5701 as --port",
            ),
            ("127.0.0.1:2002", "and 2002 as --port"),
            ("[fe80::1%eth0]:5701", "and 5701 as --port"),
            ("[::1]:70000", "and 70000 as --port"),
        ] {
            let refused = parse_bind_address(text).expect_err(text).to_string();
            assert!(refused.contains(words), "{text}: {refused}");
        }
    }

    #[test]
    fn ports_parse_with_reasons() {
        assert_eq!(parse_port(" 2002 "), Ok(2002));
        assert_eq!(parse_port("0"), Ok(0));
        for (text, reason) in [
            ("70000", "out of range"),
            ("abc", "not a number"),
            ("-1", "negative"),
            ("", "empty"),
        ] {
            let error = parse_port(text).expect_err(text);
            assert_eq!(error.code(), 107);
            assert!(error.to_string().contains(reason), "{error}");
        }
    }

    #[test]
    fn a_client_port_cannot_be_0() {
        assert_eq!(parse_remote_port("2002"), Ok(2002));
        let error = parse_remote_port("0").expect_err("0");
        assert_eq!(error.code(), 107);
        assert!(
            error.to_string().contains("a client must name one"),
            "{error}"
        );
        // Its other refusals give the client's range, not a server's.
        let error = parse_remote_port("65536").expect_err("past 65535");
        assert!(error.to_string().contains("(1 to 65535)"), "{error}");
    }
}

//! The host a client connects to, as a person types it (`--host`, the window's Address, a
//! lesson's `host`): read one way everywhere, so each refuses the same text with the same words.

use crate::SocketError;

/// Reads the host a client connects to, as a person types it: a name, an IPv4 address, or an
/// IPv6 address bare (`::1`) or in brackets (`[::1]`, as addresses are written beside a port).
///
/// # Errors
/// [`SocketError::InvalidSetting`] (field "address") when it is empty, has spaces or ends in a
/// port (`127.0.0.1:2002`: the port has a setting of its own).
pub fn parse_host(text: &str) -> Result<String, SocketError> {
    let host = text.trim();
    let invalid = |reason: String| SocketError::InvalidSetting {
        field: "address",
        reason,
    };
    if host.is_empty() {
        return Err(invalid(
            "it is empty: type a host name or an IP address".to_owned(),
        ));
    }
    if host.contains(char::is_whitespace) {
        return Err(invalid(format!(
            "\"{host}\" has spaces: a host name or address has none"
        )));
    }
    if let Some(port) = port_at_the_end(host) {
        return Err(invalid(format!(
            "\"{host}\" ends in a port: give the address alone and {port} as the port"
        )));
    }
    // The resolver wants an IPv6 address bare. A bracket out of place (`[::1`, `::1]`,
    // `[localhost]`) is a typo, not a name to look up: it failed later as error 103, "could not
    // be resolved", or was taken as if it were not there.
    let bare = match host.strip_prefix('[') {
        Some(rest) => match rest.strip_suffix(']') {
            Some("") => {
                return Err(invalid(format!(
                    "\"{host}\" is empty: type a host name or an IP address"
                )));
            }
            Some(inside) => {
                let address = inside
                    .split_once('%')
                    .map_or(inside, |(address, _)| address);
                if address.parse::<std::net::Ipv6Addr>().is_err() {
                    return Err(invalid(format!(
                        "\"{host}\": brackets hold an IPv6 address ([::1]); a name or an IPv4 \
                         address goes without them"
                    )));
                }
                inside
            }
            None if rest.contains(']') => {
                return Err(invalid(format!(
                    "\"{host}\" goes on after its closing bracket: give the address alone (a \
                     port has a setting of its own)"
                )));
            }
            None => {
                return Err(invalid(format!(
                    "\"{host}\" has a bracket that is not closed: write an IPv6 address bare \
                     (::1) or in a pair of brackets ([::1])"
                )));
            }
        },
        None => host,
    };
    if bare.contains(['[', ']']) {
        return Err(invalid(format!(
            "\"{host}\" has a bracket out of place: write an IPv6 address bare (::1) or in one \
             pair of brackets ([::1])"
        )));
    }
    // A link-local address is on every interface at once: the connect failed with error 100,
    // "Invalid argument", where a server's --bind says what to write. So did interface 0, and
    // an interface this machine does not have was error 103.
    let (address, scope) = match bare.split_once('%') {
        Some((address, scope)) => (address, Some(scope)),
        None => (bare, None),
    };
    if let Ok(ip) = address.parse::<std::net::Ipv6Addr>() {
        let number = match scope {
            Some(scope) => interface_scope(host, scope).map_err(invalid)?,
            None => 0,
        };
        if number == 0 && ip.is_unicast_link_local() {
            let mut words = link_local_without_interface(host, ip);
            if scope.is_some() {
                words.push_str("; interface 0 is none");
            }
            return Err(invalid(words));
        }
    }
    Ok(bare.to_owned())
}

/// The interface number `scope` names after an IPv6 address's `%` (`lo`, `eth0`, `2`), read
/// as the resolver reads it; the words of the refusal (of `text`, the whole address) when this
/// machine has no such interface. The same for a client's host and a server's bind: a client
/// given `fe80::1%0` or `%nosuch` failed at the connect with "Invalid argument" or error 103
/// where the server's `--bind` said what was wrong.
///
/// # Errors
/// The refusal's words.
pub fn interface_scope(text: &str, scope: &str) -> Result<u32, String> {
    if let Ok(number) = scope.parse::<u32>() {
        // Unchecked, a Listen or connect would fail with the system's "No such device".
        if number != 0 && cfg!(target_os = "linux") && crate::interface_name(number).is_none() {
            return Err(format!(
                "\"{text}\": this machine has no interface numbered {number} (`ip link` lists \
                 them)"
            ));
        }
        return Ok(number);
    }
    // By name, as the resolver reads it (getaddrinfo knows `%lo`). It keeps a scope only on a
    // link-local address, so the name is looked up on one.
    std::net::ToSocketAddrs::to_socket_addrs(&(format!("fe80::1%{scope}"), 0_u16))
        .ok()
        .and_then(|mut found| found.next())
        .and_then(|found| match found {
            std::net::SocketAddr::V6(v6) if v6.scope_id() != 0 => Some(v6.scope_id()),
            _ => None,
        })
        .ok_or_else(|| format!("\"{text}\": this machine has no interface \"{scope}\""))
}

/// Why `text`, the link-local address `ip` without its interface, is refused: the same words
/// for a client's host and a server's bind.
#[must_use]
pub fn link_local_without_interface(text: &str, ip: std::net::Ipv6Addr) -> String {
    format!(
        "\"{text}\": a link-local address names its interface too ({ip}%eth0, as `ip -6 addr` \
         lists it)"
    )
}

/// The port `host` ends in, as in `127.0.0.1:2002`, `[::1]:2002`, `[fe80::1%eth0]:2002` or
/// `localhost:2002` (what a person copies from a log line), which would otherwise fail later
/// as a name nobody can resolve; its digits as written (`[::1]:70000` is still a port typed in
/// the wrong place). A bare IPv6 address has several colons and is not taken for one.
#[must_use]
pub fn port_at_the_end(host: &str) -> Option<&str> {
    let digits = |port: &str| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = host.strip_prefix('[') {
        let (_, port) = rest.rsplit_once("]:")?;
        return digits(port).then_some(port);
    }
    let (name, port) = host.rsplit_once(':')?;
    if name.is_empty() || name.contains(':') || !digits(port) {
        return None;
    }
    Some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_taken_bare_or_in_brackets() {
        assert_eq!(parse_host(" [::1] ").as_deref(), Ok("::1"));
        assert_eq!(parse_host("::1").as_deref(), Ok("::1"));
        assert_eq!(parse_host("localhost").as_deref(), Ok("localhost"));
        assert!(parse_host("").is_err());
        assert!(parse_host("a b").is_err());
        for (typo, said) in [
            ("[::1", "a bracket that is not closed"),
            ("::1]", "a bracket out of place"),
            ("[[::1]]", "brackets hold an IPv6 address"),
            ("[::1]x", "goes on after its closing bracket"),
            ("[]", "is empty"),
            ("[localhost]", "brackets hold an IPv6 address"),
            ("[127.0.0.1]", "brackets hold an IPv6 address"),
        ] {
            let error = parse_host(typo).expect_err(typo).to_string();
            assert!(error.contains(said), "{typo}: {error}");
        }
        assert_eq!(parse_host("[fe80::1%lo]").as_deref(), Ok("fe80::1%lo"));
        assert_eq!(parse_host("fe80::1%1").as_deref(), Ok("fe80::1%1"));
        // An interface that is none, or that this machine does not have, as --bind says.
        for (text, said) in [
            ("fe80::1%0", "interface 0 is none"),
            ("[fe80::1%0]", "interface 0 is none"),
            ("fe80::1%nosuch", "this machine has no interface \"nosuch\""),
            ("::1%nosuch", "this machine has no interface \"nosuch\""),
            ("fe80::1%99999", "no interface numbered 99999"),
        ] {
            let error = parse_host(text).expect_err(text).to_string();
            assert!(error.contains(said), "{text}: {error}");
        }
        let unscoped = parse_host("fe80::1").expect_err("no interface").to_string();
        assert!(unscoped.contains("names its interface too"), "{unscoped}");
        assert_eq!(
            parse_host("::ffff:127.0.0.1").as_deref(),
            Ok("::ffff:127.0.0.1")
        );
    }

    /// An address copied with its port (from a log line, say) is refused in words that say
    /// where the port goes, instead of failing later as a name nobody can resolve.
    #[test]
    fn a_host_with_a_port_says_where_the_port_goes() {
        for (text, port) in [
            ("127.0.0.1:20201", "20201"),
            ("[::1]:2002", "2002"),
            ("localhost:2002", "2002"),
            ("[fe80::1%eth0]:5701", "5701"),
            ("[::1]:70000", "70000"),
        ] {
            let error = parse_host(text).expect_err(text);
            assert_eq!(error.code(), 106);
            let message = error.to_string();
            assert!(message.contains("ends in a port"), "{message}");
            assert!(
                message.contains(&format!("{port} as the port")),
                "{message}"
            );
        }
    }
}

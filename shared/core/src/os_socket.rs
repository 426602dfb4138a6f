//! The operating system's side of our sockets: a listener bound the way a server wants it,
//! and a socket's OS handle as Xojo shows it (its Handle).

use std::net::{IpAddr, SocketAddr};

use socket2::{Domain, Protocol, Type};

use crate::SocketError;

/// Binds a listener the way a server wants it, with room for `backlog` waiting connections.
pub(crate) fn bind(
    address: SocketAddr,
    backlog: i32,
) -> Result<std::net::TcpListener, SocketError> {
    let os = |e: std::io::Error| SocketError::Os(format!("could not open a socket: {e}"));
    if let IpAddr::V6(v6) = address.ip()
        && let Some(ipv4) = v6.to_ipv4_mapped()
    {
        return Err(SocketError::MappedAddress {
            address: v6.to_string(),
            ipv4: ipv4.to_string(),
        });
    }
    // Linux lets TCP bind a multicast group or the broadcast address, and listen there for
    // ever: no client can reach it ("network is unreachable"). Refused as any address that
    // is not this machine's.
    let v4_broadcast = matches!(address.ip(), IpAddr::V4(v4) if v4.is_broadcast());
    if address.ip().is_multicast() || v4_broadcast {
        return Err(SocketError::AddressNotAvailable {
            address: address.ip().to_string(),
            cause: None,
        });
    }
    let socket = socket2::Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(os)?;
    // On Unix this lets a restarted server bind while old connections linger in TIME_WAIT;
    // it never lets two listeners share a port (unlike the Windows flag of the same name).
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(os)?;
    if address.is_ipv6() {
        // "::" takes IPv4 connections too (as 127.0.0.1 → ::ffff:127.0.0.1), as most systems
        // do by default, whatever this one's default; any other IPv6 address is IPv6 only.
        socket
            .set_only_v6(!address.ip().is_unspecified())
            .map_err(os)?;
    }
    socket
        .bind(&address.into())
        .map_err(|e| SocketError::from_bind(e, address))?;
    socket
        .listen(backlog)
        .map_err(|e| SocketError::from_bind(e, address))?;
    socket.set_nonblocking(true).map_err(os)?;
    if crate::keep_alive::OPTIONS_INHERITED {
        // Every accepted connection starts as a copy of this socket: set once here, not per
        // connection (best effort, as on a connection).
        crate::keep_alive::keep_alive(&socket2::SockRef::from(&socket));
        let _ = socket.set_tcp_nodelay(true);
    }
    Ok(socket.into())
}

/// The name of the network interface numbered `index` (an IPv6 address's scope: the `2` of
/// `fe80::1%2`), or `None` when this machine has none by that number (or cannot say: only
/// Linux is asked).
#[must_use]
pub fn interface_name(index: u32) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        // The kernel answers on any socket, for the network namespace it was made in: ours.
        use rustix::net::{AddressFamily, SocketType, netdevice, socket};
        let asked = socket(AddressFamily::INET, SocketType::DGRAM, None).ok()?;
        netdevice::index_to_name(&asked, index)
            .ok()
            .filter(|name| !name.is_empty())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = index;
        None
    }
}

/// The listener's OS handle as Xojo shows it.
pub(crate) fn os_handle<S>(socket: &S) -> i64
where
    S: OsHandle,
{
    socket.os_handle()
}

/// A socket's file descriptor (Unix) or socket handle (Windows), as Xojo's Handle shows it.
pub(crate) trait OsHandle {
    /// The handle as a number; -1 where it does not fit.
    fn os_handle(&self) -> i64;
}

#[cfg(unix)]
impl<S: std::os::fd::AsRawFd> OsHandle for S {
    fn os_handle(&self) -> i64 {
        i64::from(self.as_raw_fd())
    }
}

#[cfg(windows)]
impl<S: std::os::windows::io::AsRawSocket> OsHandle for S {
    fn os_handle(&self) -> i64 {
        i64::try_from(self.as_raw_socket()).unwrap_or(-1)
    }
}

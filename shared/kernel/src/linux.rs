//! Linux: the kernel's socket table through sock_diag netlink, counters from `/proc/net/netstat`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
use netlink_packet_sock_diag::inet::nlas::Nla;
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, InetResponse, SocketId, StateFlags,
};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;
use netlink_sys::{Socket, SocketAddr as NetlinkAddr};

use super::{KernelError, KernelSocket, OverflowCounters, Scope, TcpState};

/// Room for one datagram of a dump (the kernel fills up to about a page per message batch).
const RECEIVE_BUFFER: usize = 64 * 1024;
/// Where `tcpi_rtt` (microseconds) sits in `struct tcp_info`: a stable part of the kernel ABI.
const TCP_INFO_RTT_OFFSET: usize = 68;
/// The most datagrams one dump may take, so a misbehaving answer cannot loop forever.
const MAX_DATAGRAMS: usize = 10_000;

fn request_error(e: impl std::fmt::Display) -> KernelError {
    KernelError::Request(e.to_string())
}

/// The two open files a sample reads. Kept open between samples, so sampling takes no new
/// file descriptor: a server that ran out of them is still watched, and the sampler never
/// takes or frees one under the accept loop's feet.
#[derive(Debug)]
pub(super) struct Probe {
    /// A sock_diag netlink socket.
    netlink: Socket,
    /// `/proc/net/netstat`, read again from its start for every sample.
    netstat: File,
}

impl Probe {
    pub(super) fn new() -> Result<Self, KernelError> {
        let netlink = Socket::new(NETLINK_SOCK_DIAG).map_err(request_error)?;
        netlink
            .connect(&NetlinkAddr::new(0, 0))
            .map_err(request_error)?;
        let netstat = File::open("/proc/net/netstat").map_err(|_| KernelError::Unavailable)?;
        Ok(Self { netlink, netstat })
    }

    /// ListenOverflows and ListenDrops from `/proc/net/netstat`.
    pub(super) fn overflow_counters(&mut self) -> Result<OverflowCounters, KernelError> {
        let mut text = String::new();
        self.netstat
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.netstat.read_to_string(&mut text))
            .map_err(request_error)?;
        parse_netstat(&text).ok_or(KernelError::Unavailable)
    }

    /// Every TCP socket of `local`'s address family whose local port is `local`'s (the
    /// kernel filters by port, we filter the rest).
    /// With [`Scope::Listeners`] the kernel looks at its listening sockets alone and skips the
    /// walk over every connection of the system, which is what a frequent sample wants.
    pub(super) fn dump(
        &self,
        local: SocketAddr,
        scope: Scope,
    ) -> Result<Vec<KernelSocket>, KernelError> {
        dump(&self.netlink, local, scope)
    }

    /// The connection from `local` to `remote` (any state but listening), found by its four
    /// ends: a hash lookup in the kernel, however many connections the system has, where a
    /// dump walks them all. `None` when the kernel has no such connection.
    pub(super) fn lookup(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<Option<KernelSocket>, KernelError> {
        let mut request = inet_request(local, StateFlags::all());
        request.socket_id.source_address = local.ip();
        request.socket_id.destination_address = remote.ip();
        request.socket_id.destination_port = remote.port();
        // "No cookie": the kernel matches by the addresses alone.
        request.socket_id.cookie = [0xff; 8];
        send(&self.netlink, request, NLM_F_REQUEST)?;
        Ok(receive(&self.netlink, Answer::One)?.into_iter().next())
    }
}

/// What a request is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A dump: any number of sockets, then a "done" message.
    Many,
    /// A lookup: one socket, or "no such socket" (ENOENT).
    One,
}

fn send(socket: &Socket, request: InetRequest, flags: u16) -> Result<(), KernelError> {
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    let mut packet = NetlinkMessage::new(header, SockDiagMessage::InetRequest(request).into());
    packet.finalize();
    let mut bytes = vec![0; packet.buffer_len()];
    packet.serialize(&mut bytes[..]);
    socket.send(&bytes, 0).map_err(request_error)?;
    Ok(())
}

fn dump(
    socket: &Socket,
    local: SocketAddr,
    scope: Scope,
) -> Result<Vec<KernelSocket>, KernelError> {
    // SYN_RECV also asks for the request sockets of half-open connections.
    let states = match scope {
        Scope::Listeners => StateFlags::LISTEN,
        Scope::HalfOpen => StateFlags::LISTEN | StateFlags::SYN_RECV,
        Scope::Everything => StateFlags::all(),
    };
    send(
        socket,
        inet_request(local, states),
        NLM_F_REQUEST | NLM_F_DUMP,
    )?;
    receive(socket, Answer::Many)
}

/// A request for TCP sockets of `local`'s family and port in `states`, with their TCP details.
fn inet_request(local: SocketAddr, states: StateFlags) -> InetRequest {
    let mut socket_id = if local.is_ipv4() {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    socket_id.source_port = local.port();
    InetRequest {
        family: if local.is_ipv4() { AF_INET } else { AF_INET6 },
        protocol: IPPROTO_TCP,
        extensions: ExtensionFlags::INFO,
        states,
        socket_id,
    }
}

/// Reads the kernel's answer to the request just sent.
fn receive(socket: &Socket, answer: Answer) -> Result<Vec<KernelSocket>, KernelError> {
    let mut found = Vec::new();
    let mut buffer = vec![0; RECEIVE_BUFFER];
    for _ in 0..MAX_DATAGRAMS {
        let size = socket
            .recv(&mut &mut buffer[..], 0)
            .map_err(request_error)?;
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&buffer[offset..size])
                .map_err(|e| KernelError::Malformed(e.to_string()))?;
            let length = usize::try_from(message.header.length).unwrap_or(0);
            match message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    found.push(kernel_socket(&response));
                    if answer == Answer::One {
                        return Ok(found);
                    }
                }
                NetlinkPayload::Done(_) => return Ok(found),
                NetlinkPayload::Error(e) => {
                    let error = e.to_io();
                    if answer == Answer::One && error.kind() == std::io::ErrorKind::NotFound {
                        return Ok(found);
                    }
                    return Err(request_error(error));
                }
                _ => {}
            }
            if length == 0 {
                break;
            }
            offset += length;
        }
    }
    Err(KernelError::Malformed(
        "the socket list did not end".to_owned(),
    ))
}

/// One socket of the kernel's answer.
fn kernel_socket(response: &InetResponse) -> KernelSocket {
    let header = &response.header;
    let rtt = response.nlas.iter().find_map(|nla| match nla {
        Nla::TcpInfo(info) => info
            .get(TCP_INFO_RTT_OFFSET..TCP_INFO_RTT_OFFSET + 4)
            .and_then(|b| b.try_into().ok())
            .map(|b| Duration::from_micros(u64::from(u32::from_ne_bytes(b)))),
        _ => None,
    });
    KernelSocket {
        local: address(
            header.socket_id.source_address,
            header.socket_id.source_port,
        ),
        remote: address(
            header.socket_id.destination_address,
            header.socket_id.destination_port,
        ),
        state: TcpState::from_kernel(header.state),
        recv_queue: header.recv_queue,
        send_queue: header.send_queue,
        rtt,
        // The kernel names the owning socket's inode; 0 means no program holds one yet
        // (waiting in an accept queue) or any more (TIME_WAIT).
        owned: header.inode != 0,
        cookie: u64::from_ne_bytes(header.socket_id.cookie),
    }
}

/// An IPv4-mapped IPv6 address shown as the IPv4 address it is.
fn address(ip: IpAddr, port: u16) -> SocketAddr {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    SocketAddr::new(ip, port)
}

/// Finds the two counters in netstat's pairs of lines (`TcpExt: names…` then `TcpExt: values…`).
fn parse_netstat(text: &str) -> Option<OverflowCounters> {
    let mut lines = text.lines();
    while let Some(names) = lines.next() {
        let values = lines.next()?;
        let (Some(names), Some(values)) = (
            names.strip_prefix("TcpExt:"),
            values.strip_prefix("TcpExt:"),
        ) else {
            continue;
        };
        let value = |wanted: &str| {
            names
                .split_whitespace()
                .zip(values.split_whitespace())
                .find(|(name, _)| *name == wanted)
                .and_then(|(_, value)| value.parse().ok())
        };
        return Some(OverflowCounters {
            listen_overflows: value("ListenOverflows")?,
            listen_drops: value("ListenDrops")?,
        });
    }
    None
}

/// `net.core.somaxconn`, the largest backlog any listener gets.
pub(super) fn somaxconn() -> Result<u32, KernelError> {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or(KernelError::Unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netstat_counters_are_found_by_name() {
        let text = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n\
                    TcpExt: 0 7 9\n\
                    IpExt: InNoRoutes\n\
                    IpExt: 0\n";
        assert_eq!(
            parse_netstat(text),
            Some(OverflowCounters {
                listen_overflows: 7,
                listen_drops: 9
            })
        );
        assert_eq!(parse_netstat("IpExt: A\nIpExt: 1\n"), None);
    }
}

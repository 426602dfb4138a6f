//! The packet socket a capture reads (Linux): AF_PACKET, cooked (each packet from its IP
//! header), every protocol on every interface, loopback included, with the kernel's filter
//! for the server's port attached, through `socket2`'s safe calls.

use std::io::{self, Read};
use std::time::Duration;

use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use crate::filter;

/// ETH_P_ALL: every protocol; the filter keeps only TCP to or from the port.
const ETH_P_ALL: u16 = 0x0003;

/// How much the kernel may queue for us while the thread is busy: a burst of ten thousand
/// handshakes is some 30,000 segments of at most [`crate::SNAP_LEN`] bytes each. Past it the
/// kernel drops segments for this socket only; the server's own sockets never wait.
const RECEIVE_BUFFER: usize = 8 << 20;

/// A packet socket filtered to `tcp port {port}`.
pub(crate) struct PacketSocket(Socket);

impl PacketSocket {
    /// Opens it; a process without CAP_NET_RAW gets `PermissionDenied`.
    pub(crate) fn open(port: u16) -> io::Result<Self> {
        let protocol = Protocol::from(i32::from(ETH_P_ALL.to_be()));
        let socket = Socket::new(Domain::PACKET, Type::DGRAM, Some(protocol))?;
        let program: Vec<SockFilter> = filter::tcp_port(port)
            .iter()
            .map(|op| SockFilter::new(op.code, op.jt, op.jf, op.k))
            .collect();
        socket.attach_filter(&program)?;
        // A smaller buffer than asked for is still a capture: its drops are the kernel's.
        let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
        // Read dry without waiting; `wait` is where the thread sleeps.
        socket.set_nonblocking(true)?;
        Ok(Self(socket))
    }

    /// The next packet into `buffer`, or `None` when none is queued now. Packets that arrived
    /// between the socket's creation and its filter are not filtered: the caller checks each
    /// segment's port itself.
    pub(crate) fn next(&mut self, buffer: &mut [u8]) -> io::Result<Option<usize>> {
        match self.0.read(buffer) {
            Ok(length) => Ok(Some(length)),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Sleeps until a packet is queued or `timeout` has passed; whether one is.
    pub(crate) fn wait(&self, timeout: Duration) -> io::Result<bool> {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let mut watched = [PollFd::new(&self.0, PollFlags::IN)];
        let timeout = Timespec::try_from(timeout).map_err(io::Error::other)?;
        match poll(&mut watched, Some(&timeout)) {
            Ok(ready) => Ok(ready > 0),
            Err(rustix::io::Errno::INTR) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}

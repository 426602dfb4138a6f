//! The packet socket a capture reads (Linux): AF_PACKET, cooked (each packet from its IP
//! header), every protocol on every interface, loopback included, with the kernel's filter
//! for the server's port attached, through `socket2`'s safe calls; and each packet with the
//! moment the kernel saw it (SO_TIMESTAMPNS, through `nix`'s safe calls), not the moment this
//! thread got round to reading it.

use std::io::{self, IoSliceMut};
use std::os::fd::AsRawFd;
use std::time::{Duration, SystemTime};

use nix::errno::Errno;
use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
use nix::sys::time::TimeSpec;
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use crate::filter;

/// ETH_P_ALL: every protocol; the filter keeps only TCP to or from the port.
const ETH_P_ALL: u16 = 0x0003;

/// How much the kernel may queue for us while the thread is busy: a burst of ten thousand
/// handshakes is some 30,000 segments of at most [`crate::SNAP_LEN`] bytes each. Past it the
/// kernel drops segments for this socket only; the server's own sockets never wait.
const RECEIVE_BUFFER: usize = 8 << 20;

/// A packet socket filtered to `tcp port {port}`.
pub(crate) struct PacketSocket {
    /// The socket.
    socket: Socket,
    /// Room for the control message that carries a packet's time, kept between reads.
    control: Vec<u8>,
}

/// One packet read: its length in the buffer, and when the kernel saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packet {
    /// How many bytes of the buffer it filled.
    pub(crate) length: usize,
    /// When the kernel received it (or sent it): a segment is stamped as it went through the
    /// interface, not when the capture's thread woke up for it, up to milliseconds later
    /// (the thread lets a busy spell's packets gather). The moment of reading where the
    /// kernel gave none.
    pub(crate) at: SystemTime,
}

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
        // A kernel that will not stamp still lets us capture: each packet is then stamped as
        // it is read.
        let _ = setsockopt(&socket, sockopt::ReceiveTimestampns, &true);
        Ok(Self {
            socket,
            control: nix::cmsg_space!(TimeSpec),
        })
    }

    /// The next packet into `buffer`, or `None` when none is queued now. Packets that arrived
    /// between the socket's creation and its filter are not filtered: the caller checks each
    /// segment's port itself.
    pub(crate) fn next(&mut self, buffer: &mut [u8]) -> io::Result<Option<Packet>> {
        match self.receive(buffer) {
            Ok((length, kernel)) => Ok(Some(Packet {
                length,
                at: kernel.unwrap_or_else(SystemTime::now),
            })),
            Err(Errno::EAGAIN | Errno::EINTR) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Reads a packet into `buffer` with its control message: its length, and the kernel's
    /// time when one came.
    fn receive(&mut self, buffer: &mut [u8]) -> nix::Result<(usize, Option<SystemTime>)> {
        let mut parts = [IoSliceMut::new(buffer)];
        let message = recvmsg::<()>(
            self.socket.as_raw_fd(),
            &mut parts,
            Some(&mut self.control),
            MsgFlags::empty(),
        )?;
        // A control message cut short (no room) says nothing: the packet is stamped as read.
        let kernel = message.cmsgs().ok().and_then(|mut messages| {
            messages.find_map(|control| match control {
                ControlMessageOwned::ScmTimestampns(time) => wall_clock(time),
                _ => None,
            })
        });
        Ok((message.bytes, kernel))
    }

    /// Sleeps until a packet is queued or `timeout` has passed; whether one is.
    pub(crate) fn wait(&self, timeout: Duration) -> io::Result<bool> {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let mut watched = [PollFd::new(&self.socket, PollFlags::IN)];
        let timeout = Timespec::try_from(timeout).map_err(io::Error::other)?;
        match poll(&mut watched, Some(&timeout)) {
            Ok(ready) => Ok(ready > 0),
            Err(rustix::io::Errno::INTR) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}

/// The kernel's time of a packet (seconds and nanoseconds since 1970, as SO_TIMESTAMPNS gives
/// it) on the wall clock; `None` for one before 1970 or out of range.
fn wall_clock(time: TimeSpec) -> Option<SystemTime> {
    let seconds = u64::try_from(time.tv_sec()).ok()?;
    let nanoseconds = u32::try_from(time.tv_nsec()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanoseconds))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use std::net::{TcpListener, TcpStream};
    use std::time::Instant;

    use super::*;
    use crate::segment::Segment;

    /// The handshake of one connect to `listener`, read from `socket` well after it happened:
    /// its flags and stamps, and the moments just before the connect and just after it
    /// returned.
    fn handshake_read_late(
        socket: &mut PacketSocket,
        listener: &TcpListener,
    ) -> (Vec<(String, SystemTime)>, SystemTime, SystemTime) {
        let before = SystemTime::now();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        // The whole handshake went through the kernel while connect ran.
        let connected = SystemTime::now();
        let _server = listener.accept().unwrap();
        // This connection's segments only: an earlier one's close may be queued too.
        let client_port = client.local_addr().unwrap().port();
        // Read well afterwards, as the capture's thread does after a busy spell.
        std::thread::sleep(Duration::from_millis(20));
        let mut buffer = vec![0; 1 << 16];
        let mut stamps = Vec::new();
        // What is queued is finite; the bound only keeps a stray flood from holding the test.
        for _ in 0..1024 {
            let Some(packet) = socket.next(&mut buffer).unwrap() else {
                break;
            };
            // Packets queued before the filter was attached are not the port's.
            if let Some(segment) = Segment::parse(&buffer[..packet.length], packet.at)
                && segment.has_port(client_port)
            {
                stamps.push((segment.flags.to_string(), segment.at));
            }
        }
        (stamps, before, connected)
    }

    #[test]
    fn each_packet_is_stamped_when_the_kernel_saw_it_not_when_it_was_read() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut socket = PacketSocket::open(port).unwrap_or_else(|error| {
            panic!("this test captures packets and needs CAP_NET_RAW (CI runs as root): {error}")
        });
        // The kernel turns its clock for packets on a moment after the first socket asks for
        // it (a deferred work item), and stamps a packet that came before then as it is read:
        // a connect at once may come too soon; one of the next, within patience, does not.
        let deadline = Instant::now() + test_support::PATIENCE;
        loop {
            let (stamps, before, connected) = handshake_read_late(&mut socket, &listener);
            let flags: Vec<&str> = stamps.iter().map(|(flags, _)| flags.as_str()).collect();
            assert_eq!(flags, ["SYN", "SYN,ACK", "ACK"]);
            if stamps
                .iter()
                .all(|(_, at)| before <= *at && *at <= connected)
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the handshake is stamped {stamps:?}, not between {before:?} and {connected:?}"
            );
        }
    }
}

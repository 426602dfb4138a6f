//! What the kernel sees: the listener's accept queue and backlog, half-open connections, the
//! overflow counters, and each connection's TCP state, queues and round-trip time.
//!
//! The application only learns about a connection when it accepts it; before that the kernel
//! has already completed the handshake and holds the connection in the listener's *accept
//! queue*, up to the *backlog*. This crate asks the kernel itself (sock_diag netlink and
//! `/proc/net/netstat` on Linux), so a learner can watch that hidden part. Elsewhere every
//! function returns [`KernelError::Unavailable`] and the rest of the library works as before.
//!
//! Limits: the overflow counters are per network namespace (every listener of the machine or
//! container adds to them), so an overflow count is "since Listen, on this system", not
//! "of this listener"; a sample is a snapshot that may be stale a moment later.
//!
//! # Layout
//! - this file: [`KernelProbe`] and what it reads ([`AcceptQueue`], [`KernelSocket`],
//!   [`TcpView`], [`OverflowCounters`], [`TcpState`]), the backlog's cap.
//! - `linux`: sock_diag netlink and `/proc/net/netstat`, where Linux has them.
//! - [`ports`]: what the OS says about ports (its ephemeral range, who listens).
//!
//! The socket core (`serversocket`) samples through this crate while listening and follows
//! chosen connections; it knows nothing of netlink.

#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

#[cfg(target_os = "linux")]
mod linux;
pub mod ports;

/// How often the accept queue is sampled while listening (20 Hz at most).
pub const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// How often the sampler counts half-open connections while the queue is busy, when counting is
/// cheap: each count walks every connection of the system, so it runs at the contract's
/// "checked at least every 100 ms" rather than at every sample.
pub const HALF_OPEN_EVERY: Duration = Duration::from_millis(100);

/// When a sample that may walk the kernel's table of connections (half-open connections, the
/// followed connections of a window) is not cheap, the pause after it is at least this many
/// times what it took, so sampling never spends more than a twentieth of one core. (With the
/// 131,072 TIME_WAIT connections a benchmark leaves behind, one walk takes about 65 ms on the
/// 2-core test machine: repeated every 100 ms it would take two thirds of a core.)
pub const PAUSE_FACTOR: u32 = 20;

/// Which of a port's sockets a dump asks the kernel for. The fewer states, the less it copies
/// to us; listeners alone also spare it the walk over every connection of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Listening sockets.
    Listeners,
    /// Listening sockets and half-open connections (SYN_RECV).
    HalfOpen,
    /// Sockets in every state.
    Everything,
}

/// Why the kernel's view could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// This system has no interface we know to read it (only Linux is supported so far).
    #[error("the kernel's view of sockets is not available on this system")]
    Unavailable,
    /// The kernel refused or failed the request (say, netlink is blocked in a sandbox).
    #[error("could not ask the kernel about sockets: {0}")]
    Request(String),
    /// The kernel's answer could not be understood.
    #[error("could not understand the kernel's answer: {0}")]
    Malformed(String),
}

/// A TCP state as the kernel names it (RFC 793's states, Linux's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TcpState {
    /// Open: data flows both ways.
    Established,
    /// A client sent its SYN and waits for the server's answer.
    SynSent,
    /// A server answered a SYN and waits for the final ACK (the SYN queue).
    SynRecv,
    /// This side closed first and waits for the peer to acknowledge.
    FinWait1,
    /// This side closed first, the peer acknowledged; waiting for the peer's own close.
    FinWait2,
    /// This side closed first and both closes are done: the kernel keeps the connection's
    /// name for a while (2×MSL) so stray late packets cannot confuse a new connection.
    TimeWait,
    /// No connection.
    Close,
    /// The peer closed; the kernel waits for this application to close too.
    CloseWait,
    /// The peer closed, then this side closed; waiting for the last acknowledgement.
    LastAck,
    /// A listening socket.
    Listen,
    /// Both sides closed at the same moment.
    Closing,
    /// A number this program does not know.
    Other(u8),
}

impl TcpState {
    /// The kernel's number for a state (`TCP_ESTABLISHED` = 1 …).
    #[must_use]
    pub fn from_kernel(state: u8) -> Self {
        match state {
            1 => Self::Established,
            2 => Self::SynSent,
            3 | 12 => Self::SynRecv,
            4 => Self::FinWait1,
            5 => Self::FinWait2,
            6 => Self::TimeWait,
            7 => Self::Close,
            8 => Self::CloseWait,
            9 => Self::LastAck,
            10 => Self::Listen,
            11 => Self::Closing,
            other => Self::Other(other),
        }
    }

    /// The name `ss` and textbooks use (`ESTABLISHED`, `TIME_WAIT` …).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Established => "ESTABLISHED",
            Self::SynSent => "SYN_SENT",
            Self::SynRecv => "SYN_RECV",
            Self::FinWait1 => "FIN_WAIT1",
            Self::FinWait2 => "FIN_WAIT2",
            Self::TimeWait => "TIME_WAIT",
            Self::Close => "CLOSE",
            Self::CloseWait => "CLOSE_WAIT",
            Self::LastAck => "LAST_ACK",
            Self::Listen => "LISTEN",
            Self::Closing => "CLOSING",
            Self::Other(_) => "UNKNOWN",
        }
    }
}

impl std::fmt::Display for TcpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl TcpView {
    /// One line for a log or a tooltip: `ESTABLISHED · 0 B unread · 12 B unacknowledged ·
    /// RTT 0.05 ms`, and whether the peer's end waits in an accept queue or a program holds it,
    /// when that is known.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut line = format!(
            "{} · {} B unread · {} B unacknowledged",
            self.state, self.recv_queue, self.send_queue
        );
        if let Some(rtt) = self.rtt {
            let _ = write!(line, " · RTT {:.2} ms", rtt.as_secs_f64() * 1000.0);
        }
        match self.peer_accepted {
            Some(false) => line.push_str(
                " · accepted by the server's kernel, not yet by a server socket (waiting in its accept queue)",
            ),
            // True of both sides: a server's socket accepted its end, a client's socket
            // made it (a server's row said "accepted" of a client, which never accepts).
            Some(true) => line.push_str(" · the peer's program holds its end"),
            None => {}
        }
        line
    }
}

/// One TCP socket as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelSocket {
    /// This end.
    pub local: SocketAddr,
    /// The peer's end (unspecified for a listener).
    pub remote: SocketAddr,
    /// The TCP state.
    pub state: TcpState,
    /// For a listener: connections waiting in the accept queue. Otherwise: bytes received
    /// that the application has not read yet.
    pub recv_queue: u32,
    /// For a listener: the accept queue's capacity (the backlog). Otherwise: bytes the
    /// application wrote that the peer has not acknowledged yet.
    pub send_queue: u32,
    /// The kernel's smoothed round-trip time estimate, when it keeps one for this state.
    pub rtt: Option<Duration>,
    /// A program holds a socket for it (it was accepted, or opened by connect). False while
    /// the connection waits in a listener's accept queue, and in TIME_WAIT.
    pub owned: bool,
    /// The kernel's number for this socket, kept into its TIME_WAIT: a later connection with
    /// the same two ends (a client port used again) has another.
    pub cookie: u64,
}

/// The accept queue of one listener, and what happened around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AcceptQueue {
    /// Connections whose handshake completed, waiting for the application to accept them.
    pub waiting: u32,
    /// How many may wait (the backlog, as capped by the system).
    pub capacity: u32,
    /// Half-open connections on the listener's port (SYN received, final ACK not yet).
    pub syn_recv: u32,
    /// Connection attempts the kernel dropped because a listen queue was full, since the
    /// sampling began (the network namespace's ListenOverflows: every listener counts).
    pub overflows: u64,
}

/// The namespace-wide counters of dropped connection attempts (`/proc/net/netstat`, TcpExt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OverflowCounters {
    /// ListenOverflows: a completed handshake or a SYN found the accept queue full.
    pub listen_overflows: u64,
    /// ListenDrops: every drop at a listener, overflows included.
    pub listen_drops: u64,
}

/// One connection as the kernel sees it, as a window shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpView {
    /// The TCP state of this end.
    pub state: TcpState,
    /// Bytes received and not yet read by the program.
    pub recv_queue: u32,
    /// Bytes sent and not yet acknowledged by the peer.
    pub send_queue: u32,
    /// The kernel's smoothed round-trip time, when it keeps one.
    pub rtt: Option<Duration>,
    /// For a peer on this machine: `Some(false)` while the peer's end still waits in its
    /// listener's accept queue (no program has accepted it), `Some(true)` once one has;
    /// `None` when the peer's end cannot be seen (another machine) or it is not open.
    pub peer_accepted: Option<bool>,
}

/// An open line to the kernel's socket reports. Holding one (as the listener's sampler does)
/// makes a sample take no new file descriptor; the free functions below open one per call.
#[derive(Debug)]
pub struct KernelProbe {
    #[cfg(target_os = "linux")]
    /// The open netlink socket and netstat file.
    inner: linux::Probe,
}

impl KernelProbe {
    /// Opens the line to the kernel.
    ///
    /// # Errors
    /// [`KernelError::Unavailable`] on systems other than Linux (or without `/proc`); the
    /// kernel's refusal otherwise.
    pub fn new() -> Result<Self, KernelError> {
        #[cfg(target_os = "linux")]
        {
            Ok(Self {
                inner: linux::Probe::new()?,
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(KernelError::Unavailable)
        }
    }

    /// Every TCP socket (listening, connected, closing, TIME_WAIT) whose local address is
    /// `local`; with an unspecified IP, every one on that port.
    ///
    /// # Errors
    /// The request's failure.
    pub fn sockets_at(&self, local: SocketAddr) -> Result<Vec<KernelSocket>, KernelError> {
        self.sockets(local, Scope::Everything)
    }

    /// The listening sockets at `local` (with an unspecified IP, every one on that port): the
    /// kernel looks at its listeners alone, so this costs the same with a hundred thousand
    /// connections open as with none.
    ///
    /// # Errors
    /// The request's failure.
    pub fn listeners_at(&self, local: SocketAddr) -> Result<Vec<KernelSocket>, KernelError> {
        self.sockets(local, Scope::Listeners)
    }

    /// Every TCP socket of the system of one address family (one walk of the kernel's
    /// tables, however many connections are wanted from it).
    ///
    /// # Errors
    /// The request's failure.
    pub fn all_sockets(&self, ipv6: bool) -> Result<Vec<KernelSocket>, KernelError> {
        #[cfg(target_os = "linux")]
        {
            let any: std::net::IpAddr = if ipv6 {
                std::net::Ipv6Addr::UNSPECIFIED.into()
            } else {
                std::net::Ipv4Addr::UNSPECIFIED.into()
            };
            // Port 0 asks the kernel for no port filter.
            self.inner.dump(SocketAddr::new(any, 0), Scope::Everything)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = ipv6;
            Err(KernelError::Unavailable)
        }
    }

    /// [`Self::sockets_at`] in the states `scope` names.
    fn sockets(&self, local: SocketAddr, scope: Scope) -> Result<Vec<KernelSocket>, KernelError> {
        #[cfg(target_os = "linux")]
        {
            let all = self.inner.dump(local, scope)?;
            Ok(all
                .into_iter()
                .filter(|s| {
                    s.local.port() == local.port()
                        && (local.ip().is_unspecified() || s.local.ip() == local.ip())
                })
                .collect())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (local, scope);
            Err(KernelError::Unavailable)
        }
    }

    /// The network namespace's listen overflow counters now.
    ///
    /// # Errors
    /// [`KernelError::Unavailable`] where the system lacks them.
    pub fn overflow_counters(&mut self) -> Result<OverflowCounters, KernelError> {
        #[cfg(target_os = "linux")]
        {
            self.inner.overflow_counters()
        }
        #[cfg(not(target_os = "linux"))]
        {
            Err(KernelError::Unavailable)
        }
    }

    /// The accept queue of the listener bound at `address`, with `overflows` counted from
    /// `since` (taken at Listen). `None` when no listener is bound there (any more).
    ///
    /// # Errors
    /// As [`Self::sockets_at`] and [`Self::overflow_counters`].
    pub fn accept_queue(
        &mut self,
        address: SocketAddr,
        since: OverflowCounters,
    ) -> Result<Option<AcceptQueue>, KernelError> {
        self.sample_accept_queue(address, since, true)
    }

    /// [`Self::accept_queue`]; without `half_open` the kernel looks at listeners only (it
    /// then skips walking every connection of the system) and `syn_recv` is 0.
    pub fn sample_accept_queue(
        &mut self,
        address: SocketAddr,
        since: OverflowCounters,
        half_open: bool,
    ) -> Result<Option<AcceptQueue>, KernelError> {
        let scope = if half_open {
            Scope::HalfOpen
        } else {
            Scope::Listeners
        };
        let sockets = self.sockets(address, scope)?;
        let Some(listener) = sockets.iter().find(|s| s.state == TcpState::Listen) else {
            return Ok(None);
        };
        let syn_recv = sockets
            .iter()
            .filter(|s| s.state == TcpState::SynRecv)
            .count();
        let now = self.overflow_counters()?;
        Ok(Some(AcceptQueue {
            waiting: listener.recv_queue,
            capacity: listener.send_queue,
            syn_recv: u32::try_from(syn_recv).unwrap_or(u32::MAX),
            overflows: now.listen_overflows.saturating_sub(since.listen_overflows),
        }))
    }

    /// The kernel's view of one connection, found by its two ends (a hash lookup, not a walk
    /// over every connection of the system); `None` once the kernel has forgotten it (after
    /// TIME_WAIT, or at once for the side that did not close first).
    ///
    /// # Errors
    /// [`KernelError::Unavailable`] on systems other than Linux; the kernel's refusal
    /// otherwise.
    pub fn connection(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<Option<KernelSocket>, KernelError> {
        #[cfg(target_os = "linux")]
        {
            // With no connection of these two ends the kernel answers with the socket that
            // listens on `local`, which is not this connection.
            Ok(self
                .inner
                .lookup(local, remote)?
                .filter(|s| s.state != TcpState::Listen))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (local, remote);
            Err(KernelError::Unavailable)
        }
    }
}

/// [`KernelProbe::sockets_at`] with a probe of its own.
///
/// # Errors
/// As [`KernelProbe::new`] and [`KernelProbe::sockets_at`].
pub fn sockets_at(local: SocketAddr) -> Result<Vec<KernelSocket>, KernelError> {
    KernelProbe::new()?.sockets_at(local)
}

/// [`KernelProbe::connection`] with a probe of its own.
///
/// # Errors
/// As [`KernelProbe::new`] and [`KernelProbe::connection`].
pub fn connection(
    local: SocketAddr,
    remote: SocketAddr,
) -> Result<Option<KernelSocket>, KernelError> {
    KernelProbe::new()?.connection(local, remote)
}

/// [`KernelProbe::accept_queue`] with a probe of its own.
///
/// # Errors
/// As [`KernelProbe::new`] and [`KernelProbe::accept_queue`].
pub fn accept_queue(
    address: SocketAddr,
    since: OverflowCounters,
) -> Result<Option<AcceptQueue>, KernelError> {
    KernelProbe::new()?.accept_queue(address, since)
}

/// [`KernelProbe::overflow_counters`] with a probe of its own.
///
/// # Errors
/// As [`KernelProbe::new`] and [`KernelProbe::overflow_counters`].
pub fn overflow_counters() -> Result<OverflowCounters, KernelError> {
    KernelProbe::new()?.overflow_counters()
}

/// The system's cap on any listener's backlog (`net.core.somaxconn` on Linux): a larger
/// backlog is silently cut to it.
///
/// # Errors
/// [`KernelError::Unavailable`] where the system does not say.
pub fn backlog_cap() -> Result<u32, KernelError> {
    #[cfg(target_os = "linux")]
    {
        linux::somaxconn()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(KernelError::Unavailable)
    }
}

/// Says so when the system cuts `backlog` down (`Backlog 4096 is capped at 1024 by
/// net.core.somaxconn.`), `None` when it is honoured or the system does not say.
#[must_use]
pub fn backlog_capped(backlog: u32) -> Option<String> {
    let cap = backlog_cap().ok()?;
    (backlog > cap).then(|| format!("Backlog {backlog} is capped at {cap} by net.core.somaxconn."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_have_the_names_ss_uses() {
        assert_eq!(TcpState::from_kernel(6).to_string(), "TIME_WAIT");
        assert_eq!(TcpState::from_kernel(8), TcpState::CloseWait);
        assert_eq!(TcpState::from_kernel(12), TcpState::SynRecv);
        assert_eq!(TcpState::from_kernel(99), TcpState::Other(99));
    }

    /// The line says what is true of either side: a server's socket whose peer is a client
    /// (which made its end, never accepted it) is not told the peer "accepted" it.
    #[test]
    fn the_line_says_where_the_peers_end_is() {
        let view = |peer_accepted| TcpView {
            state: TcpState::Established,
            recv_queue: 0,
            send_queue: 12,
            rtt: None,
            peer_accepted,
        };
        assert_eq!(
            view(None).describe(),
            "ESTABLISHED · 0 B unread · 12 B unacknowledged"
        );
        assert!(
            view(Some(true))
                .describe()
                .ends_with(" · the peer's program holds its end")
        );
        assert!(
            view(Some(false))
                .describe()
                .contains("waiting in its accept queue")
        );
    }
}

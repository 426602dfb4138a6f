//! Where a socket is in its life ([`SocketState`]) and its counters ([`SocketStatus`]): what
//! its task updates and its handles read, without waiting on the task.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::sync::lock;

/// Where a socket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SocketState {
    /// Resolving the host name and connecting.
    #[default]
    Connecting,
    /// TCP is connected and the TLS handshake is under way (a secure socket only).
    Handshaking,
    /// The connection is up.
    Connected,
    /// The connection is closed (or never came up); the socket's task has ended.
    Closed,
}

/// A snapshot of a socket's state and counters, updated by its task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketStatus {
    /// Connecting, connected or closed.
    pub state: SocketState,
    /// Our end, once connected.
    pub local: Option<SocketAddr>,
    /// The peer's end, once connected.
    pub remote: Option<SocketAddr>,
    /// When the connection came up.
    pub connected_at: Option<SystemTime>,
    /// The code of the last failure, `None` if none yet (Xojo shows 0).
    pub last_error_code: Option<i32>,
    /// Received bytes the handler has not read yet.
    pub bytes_available: usize,
    /// Queued bytes not yet sent.
    pub bytes_left_to_send: usize,
    /// All bytes received so far.
    pub bytes_received: u64,
    /// All bytes sent so far.
    pub bytes_sent: u64,
    /// What the TLS handshake agreed on (protocol, cipher, duration); `None` for a plain
    /// socket, and until the handshake is done.
    pub tls: Option<crate::tls::TlsInfo>,
    /// The connection's OS handle (file descriptor or socket handle: Xojo's Handle), once
    /// connected; it stays as it was after the close, when the OS may give the number to
    /// another socket.
    pub handle: Option<i64>,
}

/// Shows the caller a socket whose TCP connection is up and whose TLS handshake runs.
pub(crate) fn mark_handshaking(
    status: &Mutex<SocketStatus>,
    local: SocketAddr,
    remote: SocketAddr,
) {
    let mut status = lock(status);
    status.state = SocketState::Handshaking;
    status.local = Some(local);
    status.remote = Some(remote);
}

/// Shows the caller a connected socket. Done before Connected is sent (by the pool at the
/// handoff, by a client's task here), so a caller that writes when Connected arrives finds the
/// socket usable: its writes wait in the command channel until the task runs.
pub(crate) fn mark_connected(status: &Mutex<SocketStatus>, local: SocketAddr, remote: SocketAddr) {
    let mut status = lock(status);
    status.state = SocketState::Connected;
    status.local = Some(local);
    status.remote = Some(remote);
    status.connected_at = Some(SystemTime::now());
}

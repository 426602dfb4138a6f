//! What the library tells its caller: one [`Event`] per thing that happened to a socket or a pool.
//!
//! Events are observations, so a window or a log can show exactly what each socket did and in
//! which order. Behaviour (what a socket *does* when data arrives) belongs in a
//! [`crate::SocketHandler`]; events only report. Each socket's events come in this order:
//! AddSocket (pooled) or Connecting (client), for a secure socket Handshaking and Secured,
//! Connected, then Data, SendProgress, SendComplete
//! and Error as they happen, and Closed last, exactly once.
//!
//! When each is sent, relative to the handler's method of the same name:
//! - **Connected** is sent once the socket is usable (a caller's write succeeds), before the
//!   handler's `connected` runs.
//! - **Data** and **SendComplete** are sent before the handler's `data_available` /
//!   `send_complete` runs, so the log shows what happened before whatever the handler did
//!   about it. **SendProgress** is sent after the handler's `send_progress` answered (its
//!   answer decides whether SendComplete, aborted, travels with it).
//! - **Error** for a refused write is sent before the handler's `error` runs; **Error** for a
//!   lost connection is sent with Closed, after the handler's `error` and `closed` ran.
//! - **Closed** is sent after the handler's `closed` ran and the socket left
//!   ActiveConnections: nothing of that socket follows it.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::SocketError;

/// Names one socket. A server numbers its sockets in AddSocket order from 0 (the seed's
/// `curSocket`); a client numbers its socket array from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SocketId(pub u64);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Hands out socket ids, each once. Clones share one count. An [`Event`] names its socket by id
/// alone, so every socket that reports on one event channel takes its id from one count: a
/// client beside a server takes the server's ([`crate::ServerSocket::socket_ids`]), and a
/// window that runs a [`crate::ServerSocket`] and, after a switch of mode, a
/// [`crate::naive::NaiveServer`] gives every socket of its life its own id: a row, a Send or a
/// Disconnect can never reach a newer socket that happens to have an old one's number.
#[derive(Debug, Clone, Default)]
pub struct SocketIds(Arc<AtomicU64>);

impl SocketIds {
    /// A count starting at 0.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id.
    pub(crate) fn next(&self) -> SocketId {
        SocketId(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// Something that happened to a [`crate::ServerSocket`] or a [`crate::TcpSocket`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server's listener is open. `address` is the real bound address (port 0 resolved).
    Listening {
        /// Where the listener is bound.
        address: SocketAddr,
        /// The listener's OS handle (file descriptor or socket handle).
        handle: i64,
        /// MinimumSocketsAvailable when listening started.
        min: usize,
        /// MaximumSocketsConnected when listening started.
        max: usize,
    },
    /// Xojo's AddSocket: the pool asked the application for a new socket, which now waits idle.
    AddSocket {
        /// The new socket.
        socket: SocketId,
    },
    /// A client socket started resolving and connecting.
    Connecting {
        /// The socket.
        socket: SocketId,
        /// The host as given (name or address).
        host: String,
        /// The port.
        port: u16,
    },
    /// A client socket's connect to one of its host's addresses began: its SYN left from
    /// `local`, the end the kernel gave it (the SYN_SENT state). The connection's two ends are
    /// known from here on, before it is up, refused or given up (a packet capture ties its
    /// first segments to the socket by them). No log line and no headless line.
    SynSent {
        /// The socket.
        socket: SocketId,
        /// Our end of the connection being made.
        local: SocketAddr,
        /// The address connected to.
        remote: SocketAddr,
    },
    /// Slow motion only: the listener accepted a connection and will hand it to a pooled socket
    /// after `handoff_in` (see [`crate::ServerSocket::set_handoff_delay`]).
    Accepted {
        /// The peer's end.
        remote: SocketAddr,
        /// How long the connection waits before the handoff.
        handoff_in: std::time::Duration,
    },
    /// The connection is up: a client's Connect succeeded, or the pool handed an accepted
    /// connection to one of its idle sockets.
    Connected {
        /// The socket.
        socket: SocketId,
        /// Our end of the connection.
        local: SocketAddr,
        /// The peer's end.
        remote: SocketAddr,
    },
    /// A secure socket's TCP connection is up and its TLS handshake begins; Connected follows
    /// once the handshake is done ([`Event::Secured`]), or Error and Closed if it fails.
    Handshaking {
        /// The socket.
        socket: SocketId,
        /// Our end of the connection.
        local: SocketAddr,
        /// The peer's end.
        remote: SocketAddr,
    },
    /// A secure socket's TLS handshake is done: what it agreed on and how long it took.
    Secured {
        /// The socket.
        socket: SocketId,
        /// The protocol version and cipher suite, and the handshake's duration.
        tls: crate::tls::TlsInfo,
    },
    /// Bytes arrived (the DataAvailable event): one chunk, as read from the OS. Make it with
    /// [`Event::data`]. The whole chunk is in the socket's receive buffer, for its handler to
    /// read; the event carries what any view of it shows.
    Data {
        /// The socket.
        socket: SocketId,
        /// The chunk itself when it is at most [`DATA_EVENT_BYTES`] long (shared, not copied,
        /// with the receive buffer); else a copy of its start, long enough for every view
        /// (the JSON line's text, the log's preview and hex).
        data: Bytes,
        /// The chunk's whole length.
        bytes: usize,
    },
    /// Progress of queued writes: `sent` bytes went out in this step, `left` are still queued.
    SendProgress {
        /// The socket.
        socket: SocketId,
        /// Bytes written by this step.
        sent: u64,
        /// Bytes still queued.
        left: u64,
    },
    /// Everything queued has been handed to the OS, or the send was cut short.
    SendComplete {
        /// The socket.
        socket: SocketId,
        /// True when queued bytes were dropped unsent: the handler cancelled the send from
        /// SendProgress, a Purge dropped them, or a Close left them.
        user_aborted: bool,
    },
    /// Something failed. `socket` is `None` when the listener itself failed.
    Error {
        /// The socket concerned, if any.
        socket: Option<SocketId>,
        /// What went wrong, with its Xojo code.
        error: SocketError,
    },
    /// The connection is closed and the socket's task has ended.
    Closed {
        /// The socket.
        socket: SocketId,
    },
    /// An idle pooled socket was let go without ever connecting (the pool shrank or stopped).
    Released {
        /// The socket.
        socket: SocketId,
    },
    /// MinimumSocketsAvailable or MaximumSocketsConnected changed while listening.
    LimitsChanged {
        /// The new MinimumSocketsAvailable.
        min: usize,
        /// The new MaximumSocketsConnected.
        max: usize,
    },
    /// The kernel's accept queue of the listener changed (sampled while listening, see
    /// [`serversocket_kernel`]): connections the kernel completed but the pool has not accepted yet.
    AcceptQueue {
        /// Connections waiting in the accept queue now.
        waiting: u32,
        /// The queue's capacity: the backlog, as capped by the system.
        capacity: u32,
        /// Half-open connections on the port (SYN received, handshake not complete).
        syn_recv: u32,
        /// Attempts dropped by full listen queues since Listen (counted per network
        /// namespace, so other listeners' overflows count too).
        overflows: u64,
    },
    /// What the kernel says of a connection changed (sent by a
    /// [`crate::watch::ConnectionWatch`] that follows the socket): its TCP state, queues,
    /// RTT, or, for a peer on this machine, whether the peer's program has accepted it.
    /// `view` is `None` once the kernel has forgotten the connection.
    KernelState {
        /// The socket.
        socket: SocketId,
        /// The kernel's view now.
        view: Option<serversocket_kernel::TcpView>,
    },
    /// The listener is closed (StopListening, or the server was dropped).
    Stopped,
    /// The naive server's single listening socket closed to hand a connection off (see
    /// [`crate::naive`]): not the end, as Stopped would be, but the gap a ServerSocket exists
    /// to close. Until [`Event::ListenerReopened`] nothing listens on the port and the OS
    /// refuses new connections. A [`crate::ServerSocket`] never sends it.
    ListenerClosed,
    /// The naive server listens again after a [`Event::ListenerClosed`], on the same address.
    ListenerReopened {
        /// The new listening socket's OS handle (each gap ends with a new socket).
        handle: i64,
    },
    /// A socket's handler says what it decided and why ([`crate::Socket::note`]), e.g. the
    /// seed's client stopping its automatic replies.
    Note {
        /// The socket.
        socket: SocketId,
        /// The words, for the log.
        text: String,
    },
}

/// The most characters of a received chunk's text that any view shows: the log's line, the
/// JSON line's `text` (cut there, with `text_cut`), the window's preview.
pub const DATA_TEXT_CHARS: usize = 4096;

/// The most of a chunk a Data event carries: a text of [`DATA_TEXT_CHARS`] characters, at most 4 bytes each, and one
/// character more to know the text was cut.
///
/// Why not the whole chunk: an event waits for its consumer (a window drains once a frame), and
/// at gigabytes a second the read buffers it would hold add up to megabytes of memory that
/// falls out of the cache before the next read reuses it. That was most of the gap between the
/// pool's upload speed and a plain loop's, which reads into one buffer over and over.
pub const DATA_EVENT_BYTES: usize = 4 * (DATA_TEXT_CHARS + 1);

impl From<serversocket_kernel::AcceptQueue> for Event {
    /// The kernel's sample of the accept queue, as the event that reports it.
    fn from(sample: serversocket_kernel::AcceptQueue) -> Self {
        let serversocket_kernel::AcceptQueue {
            waiting,
            capacity,
            syn_recv,
            overflows,
        } = sample;
        Self::AcceptQueue {
            waiting,
            capacity,
            syn_recv,
            overflows,
        }
    }
}

impl Event {
    /// The kernel's sample an [`Event::AcceptQueue`] carries; `None` for any other event.
    #[must_use]
    pub fn accept_queue(&self) -> Option<serversocket_kernel::AcceptQueue> {
        match *self {
            Self::AcceptQueue {
                waiting,
                capacity,
                syn_recv,
                overflows,
            } => Some(serversocket_kernel::AcceptQueue {
                waiting,
                capacity,
                syn_recv,
                overflows,
            }),
            _ => None,
        }
    }

    /// What a socket whose TCP connection just came up says of it: Connected, or Handshaking
    /// for a secure socket, which is connected only once its TLS handshake is done.
    pub(crate) fn came_up(
        socket: SocketId,
        local: SocketAddr,
        remote: SocketAddr,
        secure: bool,
    ) -> Self {
        if secure {
            Self::Handshaking {
                socket,
                local,
                remote,
            }
        } else {
            Self::Connected {
                socket,
                local,
                remote,
            }
        }
    }

    /// The Data event for `chunk`, just read from `socket`: the chunk shared if it is short,
    /// else a copy of as much of its start as a view can show.
    #[must_use]
    pub fn data(socket: SocketId, chunk: &Bytes) -> Self {
        let bytes = chunk.len();
        let data = if bytes <= DATA_EVENT_BYTES {
            chunk.clone()
        } else {
            // ASCII, the usual bulk payload, takes one byte a character.
            let ascii = DATA_TEXT_CHARS + 1;
            let keep = if chunk[..ascii].is_ascii() {
                ascii
            } else {
                DATA_EVENT_BYTES
            };
            Bytes::copy_from_slice(&chunk[..keep])
        };
        Self::Data {
            socket,
            data,
            bytes,
        }
    }

    /// The socket this event concerns, if any.
    #[must_use]
    pub fn socket(&self) -> Option<SocketId> {
        match self {
            Self::AddSocket { socket }
            | Self::Connecting { socket, .. }
            | Self::SynSent { socket, .. }
            | Self::Connected { socket, .. }
            | Self::Handshaking { socket, .. }
            | Self::Secured { socket, .. }
            | Self::Data { socket, .. }
            | Self::SendProgress { socket, .. }
            | Self::SendComplete { socket, .. }
            | Self::Closed { socket }
            | Self::Released { socket }
            | Self::Note { socket, .. }
            | Self::KernelState { socket, .. } => Some(*socket),
            Self::Error { socket, .. } => *socket,
            Self::Listening { .. }
            | Self::Accepted { .. }
            | Self::LimitsChanged { .. }
            | Self::AcceptQueue { .. }
            | Self::Stopped
            | Self::ListenerClosed
            | Self::ListenerReopened { .. } => None,
        }
    }
}

//! One line of the log: an event, when it happened, and the seed's words for it. Its own file
//! because both the log ([`crate::log`]) and a socket's sequence ([`crate::sequence`]) read it.

use std::time::SystemTime;

use serversocket::{Event, SocketId};

/// One logged event.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// When it happened: when the socket sent it, not when the window took it.
    pub at: SystemTime,
    /// The event itself (kept for the hex view and the NDJSON export).
    pub event: Event,
    /// The seed's line for it.
    pub line: String,
}

impl LogEntry {
    /// The socket it concerns.
    #[must_use]
    pub fn socket(&self) -> Option<SocketId> {
        self.event.socket()
    }

    /// True for failures, which the view colours red. A close by the peer is reported as
    /// Error 102 (the seed's line stays), but it is the normal end of a connection: neutral.
    #[must_use]
    pub fn is_error(&self) -> bool {
        matches!(&self.event, Event::Error { error, .. } if !error.is_peer_close())
    }
}

//! What a socket is doing, in colour and in plain words, the same in both windows.

use egui::Color32;

use crate::theme;

/// A socket's state as the windows show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// In the server's pool, waiting for a connection.
    Idle,
    /// A client socket resolving and connecting.
    Connecting,
    /// Connected to its peer.
    Connected,
    /// TCP is connected and the TLS handshake is under way (a secure socket).
    Handshaking,
    /// Closed after being connected.
    Closed,
    /// An idle socket the pool let go (Stop Listening, a lower Minimum) before it was ever
    /// handed a connection: finished, but no connection ended.
    Released,
    /// Never connected (refused, unknown host, timed out), or cut off before being served.
    Failed,
}

impl RowState {
    /// One word for the table.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Handshaking => "handshaking",
            Self::Closed => "closed",
            Self::Released => "released",
            Self::Failed => "error",
        }
    }

    /// What the state means, for a learner hovering over it.
    #[must_use]
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Idle => {
                "Idle in the pool: created by AddSocket, waiting for the listener to hand it the next incoming connection."
            }
            Self::Connecting => "Looking up the host and asking it for a connection.",
            Self::Connected => "Connected: it can send and receive until one side closes.",
            Self::Handshaking => {
                "TLS handshake: TCP is connected, and the two sides now agree on a protocol version and cipher and the client checks the server's certificate. Connected fires once that is done."
            }
            Self::Closed => "Closed: the connection ended; this socket is finished.",
            Self::Released => {
                "Released: the pool let this idle socket go (Stop Listening, or a lower Minimum) before it was ever handed a connection; this socket is finished."
            }
            Self::Failed => {
                "Never served: refused, unknown host, timed out, or cut off before the server sent anything; see the error code and its meaning."
            }
        }
    }

    /// Its colour, from the shared colour-blind safe palette.
    #[must_use]
    pub fn color(self) -> Color32 {
        match self {
            Self::Idle => theme::SKY_BLUE,
            Self::Connecting => theme::ORANGE,
            Self::Connected => theme::BLUISH_GREEN,
            Self::Handshaking => theme::BLUE,
            Self::Closed | Self::Released => theme::GREY,
            Self::Failed => theme::VERMILLION,
        }
    }
}

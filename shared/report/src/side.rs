//! Whose events a log, a printer or a lesson step is about: the server's or the client's.

use serde::{Deserialize, Serialize};

/// Whose events: the server window's (or `server-app --headless`) or the client's. The seed
/// words received data differently on each side, and a lesson's step belongs to one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The ServerSocket's application: `Socket 0 got: …`.
    Server,
    /// The client's socket array: `Socket 0: …`.
    Client,
}

impl Side {
    /// `server` or `client`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Side::Server => "server",
            Side::Client => "client",
        }
    }

    /// The other side: the client's for the server, the server's for the client.
    #[must_use]
    pub fn other(self) -> Side {
        match self {
            Side::Server => Side::Client,
            Side::Client => Side::Server,
        }
    }
}

/// [`Side`] under the name the windows' code still gives it (the log's "role"): the same enum,
/// until the windows say `Side` too.
pub type Role = Side;

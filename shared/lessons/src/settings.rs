//! What a lesson's step sets in the window that does it (the server's mode, limits, backlog,
//! TLS; the client's host, port, burst, trust), and what starting a lesson sets: both windows
//! back to nothing.

use serde::{Deserialize, Deserializer};
use serversocket::bounds::Count;

use crate::Side;

/// The host a lesson's client connects to unless a step says otherwise: the server window
/// listens on 127.0.0.1 by default.
pub const LOOPBACK_HOST: &str = "127.0.0.1";

/// Settings a step applies, in the window that does the step (a client step's `port` is the
/// client's, never the server's); each window applies those it has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Server: `pool` or `naive`.
    pub mode: Option<ServerMode>,
    /// Server: MinimumSocketsAvailable.
    #[serde(default, deserialize_with = "minimum_sockets_available")]
    pub min: Option<usize>,
    /// Server: MaximumSocketsConnected.
    #[serde(default, deserialize_with = "maximum_sockets_connected")]
    pub max: Option<usize>,
    /// Server: the backlog.
    pub backlog: Option<u32>,
    /// Server: pause accepting.
    pub paused: Option<bool>,
    /// Server: the port to listen on; client: the port to connect to.
    pub port: Option<u16>,
    /// Both: put back the port this window had before a lesson's `port` first moved it (a
    /// learner on a machine where 2002 is taken keeps the port they chose), applied before
    /// `port`.
    pub restore_port: Option<bool>,
    /// Client: the host to connect to.
    #[serde(default, deserialize_with = "host")]
    pub host: Option<String>,
    /// Client: how many sockets Connect ×N opens.
    #[serde(default, deserialize_with = "burst")]
    pub burst: Option<usize>,
    /// Both: secure new connections with TLS (the server with its generated certificate).
    pub tls: Option<bool>,
    /// Client: accept any certificate (insecure, for teaching), or (`false`) trust the
    /// system's roots alone: no CA file and no pin either.
    pub tls_insecure: Option<bool>,
    /// Server: stop listening and close every connection (Stop Listening, Disconnect all),
    /// so the step starts from a server that is not listening.
    pub stop: Option<bool>,
    /// Client: close every socket and take closed and failed ones out of the list (Close
    /// all, Remove closed), so the step's counts start from nothing.
    pub close_all: Option<bool>,
    /// Both: Capture packets (the Packets view), so a step can wait for a segment
    /// (`event segment(flags ~ "RST")`).
    pub capture: Option<bool>,
}

impl Settings {
    /// What starting (or resetting) a lesson sets in a window: back to nothing (the server
    /// not listening, no connection left on either side), the pool as a new install has it
    /// (a ServerSocket, Xojo's Min 2 and Max 10, the default backlog, accepting, TLS and the
    /// packet capture off), the client connecting to 127.0.0.1 and trusting the system's
    /// roots alone, then what the first step sets there (`first`, empty when the first step
    /// is the other window's). Whatever the previous lesson left (a connection, Max 1 from
    /// lesson 3, TLS and a pinned certificate from the TLS lesson, the unknown host of the
    /// errors lesson) cannot hold a Max place, keep a client waiting, fail or pass a
    /// handshake, fail a connect or count in this one. The ports go back to where they were
    /// before a lesson moved them (lesson 5's closed port 2999 or port 80), and otherwise
    /// stay: a learner may have moved off a port taken on this machine.
    #[must_use]
    pub fn fresh_start(first: &Settings) -> Settings {
        Settings {
            stop: Some(true),
            close_all: Some(true),
            mode: first.mode.or(Some(ServerMode::Pool)),
            min: first.min.or(Some(
                serversocket::server_socket::DEFAULT_MINIMUM_SOCKETS_AVAILABLE,
            )),
            max: first.max.or(Some(
                serversocket::server_socket::DEFAULT_MAXIMUM_SOCKETS_CONNECTED,
            )),
            backlog: first
                .backlog
                .or(Some(serversocket::server_socket::DEFAULT_BACKLOG)),
            paused: first.paused.or(Some(false)),
            tls: first.tls.or(Some(false)),
            tls_insecure: first.tls_insecure.or(Some(false)),
            capture: first.capture.or(Some(false)),
            restore_port: Some(true),
            host: first
                .host
                .clone()
                .or_else(|| Some(LOOPBACK_HOST.to_owned())),
            ..first.clone()
        }
    }
}

impl Settings {
    /// The first key set here that only the other window than `side`'s has (`host` in a
    /// server step, `max` in a client step); `port`, `tls`, `capture` and `restore_port` are
    /// both windows'.
    #[must_use]
    pub fn other_sides_key(&self, side: Side) -> Option<&'static str> {
        let server_only = [
            ("mode", self.mode.is_some()),
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("backlog", self.backlog.is_some()),
            ("paused", self.paused.is_some()),
            ("stop", self.stop.is_some()),
        ];
        let client_only = [
            ("host", self.host.is_some()),
            ("burst", self.burst.is_some()),
            ("tls_insecure", self.tls_insecure.is_some()),
            ("close_all", self.close_all.is_some()),
        ];
        let others: &[(&'static str, bool)] = match side {
            Side::Server => &client_only,
            Side::Client => &server_only,
        };
        others.iter().find(|(_, set)| *set).map(|(key, _)| *key)
    }

    /// Applies `restore_port`, then `port`, to a window's Port field (as typed), keeping in
    /// `before` the port a lesson first moved it from (the window remembers it with its
    /// settings, so a step after a restart still finds it).
    pub fn apply_port(&self, field: &mut String, before: &mut Option<String>) {
        if self.restore_port == Some(true)
            && let Some(port) = before.take()
        {
            *field = port;
        }
        if let Some(port) = self.port {
            before.get_or_insert_with(|| field.clone());
            *field = port.to_string();
        }
    }
}

// A value a step sets is checked as it is read, by the very checks of the command lines and
// the windows (`serversocket::bounds`, `serversocket::host`), so a lesson file holding one
// the window would refuse is refused when it loads, naming its line and field (the error
// points at the value), not when a learner reaches the step. The open-files limit is left to
// the window that applies the value: a lesson file is valid or not whichever machine reads it.

fn minimum_sockets_available<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    count(deserializer, Count::MinimumSocketsAvailable)
}

fn maximum_sockets_connected<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    count(deserializer, Count::MaximumSocketsConnected)
}

fn burst<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
    count(deserializer, Count::Connect)
}

/// A whole number within `count`'s bounds.
fn count<'de, D: Deserializer<'de>>(
    deserializer: D,
    count: Count,
) -> Result<Option<usize>, D::Error> {
    let value = u64::deserialize(deserializer)?;
    count
        .check_with(value, None)
        .map_err(serde::de::Error::custom)?;
    // Every ceiling is far below usize::MAX.
    Ok(Some(usize::try_from(value).unwrap_or(usize::MAX)))
}

fn host<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(deserializer)?;
    serversocket::host::parse_host(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// The server's two ways of listening, as a lesson names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerMode {
    /// A ServerSocket.
    Pool,
    /// The single re-listening socket.
    Naive,
}

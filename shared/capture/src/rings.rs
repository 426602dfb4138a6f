//! The segments a window keeps: a ring for each connection and one for all, each bounded, so
//! a flood costs the oldest segments (counted), never memory without end.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use serversocket::SocketId;

use crate::conversation::Seen;

/// How many segments are kept in all (some 300 bytes each: about 20 MB at most).
pub const ALL_SEGMENTS: usize = 65_536;

/// How many segments of one connection are kept: its handshake, its first exchanges and its
/// goodbye fit many times over.
pub const CONNECTION_SEGMENTS: usize = 512;

/// The segments kept, in all and by connection.
#[derive(Debug, Default)]
pub struct Rings {
    /// Every segment, oldest first: what Export .pcapng writes.
    all: VecDeque<Seen>,
    /// Each connection's segments by its client's end, oldest first: what the Packets view
    /// draws.
    by_client: HashMap<SocketAddr, VecDeque<Seen>>,
    /// Each socket's connection, by its client's end.
    clients: HashMap<SocketId, SocketAddr>,
    /// Segments forgotten to keep within the bounds.
    forgotten: u64,
}

impl Rings {
    /// Keeps `seen`, forgetting the oldest segments past the bounds.
    pub fn push(&mut self, seen: Seen) {
        if let Some(socket) = seen.socket {
            self.clients.insert(socket, seen.client);
        }
        let ring = self.by_client.entry(seen.client).or_default();
        if ring.len() == CONNECTION_SEGMENTS {
            ring.pop_front();
        }
        ring.push_back(seen.clone());
        if self.all.len() == ALL_SEGMENTS
            && let Some(oldest) = self.all.pop_front()
        {
            self.forgotten += 1;
            // A connection whose every segment left the ring of all is forgotten too.
            if let Some(ring) = self.by_client.get_mut(&oldest.client)
                && ring.front() == Some(&oldest)
            {
                ring.pop_front();
                if ring.is_empty() {
                    self.by_client.remove(&oldest.client);
                    self.clients.retain(|_, client| *client != oldest.client);
                }
            }
        }
        self.all.push_back(seen);
    }

    /// Every segment kept, oldest first.
    #[must_use]
    pub fn all(&self) -> impl ExactSizeIterator<Item = &Seen> {
        self.all.iter()
    }

    /// The segments of `socket`'s connection, oldest first (none when it has none).
    pub fn of_socket(&self, socket: SocketId) -> impl Iterator<Item = &Seen> {
        self.clients
            .get(&socket)
            .and_then(|client| self.by_client.get(client))
            .into_iter()
            .flatten()
    }

    /// The segments of the connection whose client's port is `port` (the name both windows
    /// give a connection), oldest first; none when no kept connection has it.
    pub fn of_client_port(&self, port: u16) -> impl Iterator<Item = &Seen> {
        self.by_client
            .iter()
            .find(|(client, _)| client.port() == port)
            .map(|(_, ring)| ring)
            .into_iter()
            .flatten()
    }

    /// The last segment of `socket`'s connection.
    #[must_use]
    pub fn last_of_socket(&self, socket: SocketId) -> Option<&Seen> {
        self.clients
            .get(&socket)
            .and_then(|client| self.by_client.get(client))
            .and_then(VecDeque::back)
    }

    /// How many segments were forgotten to keep within the bounds.
    #[must_use]
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    /// Forgets everything (a new Listen).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

//! Segments as one program sees them: each tied to its connection by the four ends (so to
//! the socket that holds it and to its client's port), with its direction as this program
//! sees it (`in` or `out`) and its sequence and acknowledgement numbers relative to each
//! side's first, as Wireshark shows them (a SYN is 0, the SYN-ACK acknowledges 1).
//!
//! A connection's first segments come before its socket does: the server's kernel completes
//! the handshake before the pool accepts it, and a client's SYN leaves before its connect
//! returns. So a segment of a connection no socket holds yet waits here, at most [`HOLD`],
//! for the socket's Connected ([`Conversations::tie`]; a client's socket names its ends as
//! soon as its SYN leaves, SynSent). The server's goes on without a socket after that (a
//! connection still in the server's accept queue, a client the naive server's closed listener
//! refused); a client's is dropped: a connection to the same port that none of this program's
//! sockets made is another program's, maybe another user's, and not this program's to show.
//! A server's capture also drops what does not reach the address it listens on.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use serversocket::SocketId;

use crate::segment::Segment;

/// How long a segment waits for its connection's socket before it goes on without one: far
/// longer than a pool takes to accept a connection from its queue when it has room.
pub const HOLD: Duration = Duration::from_millis(500);

/// How many connections are followed at once; past it the oldest is forgotten (a later
/// segment of it starts it again, its numbers then relative to that segment).
pub const MAX_CONVERSATIONS: usize = 16_384;

/// How many segments of one connection wait for its socket at most; past it they go on
/// without it. Many: a program may take a connection's Connected tens of milliseconds after
/// its SYN, and an upload sends thousands of segments in that time on loopback.
pub const MAX_HELD: usize = 4096;

/// How many segments wait for their sockets at most, all connections together (a few MiB):
/// past it, a connection's segments go on without waiting.
pub const MAX_HELD_ALL: usize = 65_536;

/// Which end of the connections this program is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The server: its port is the captured port.
    Server,
    /// A client of the server on the captured port.
    Client,
}

impl End {
    /// Sends on, without a socket, the segments `conversation` held: a server's (a connection
    /// in its accept queue, one its closed naive listener refused); a client's is another
    /// program's, and what it held and counted goes.
    fn release(self, conversation: &mut Conversation, out: &mut Vec<Seen>) {
        match self {
            End::Server => out.append(&mut conversation.held),
            End::Client => {
                conversation.held.clear();
                conversation.uncounted = Tally::default();
            }
        }
    }
}

/// Which way a segment went, as this program sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To this program.
    In,
    /// From this program.
    Out,
}

impl Direction {
    /// `in` or `out`, the headless `dir` field.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// A segment as this program sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The segment as captured.
    pub segment: Segment,
    /// Which way it went.
    pub direction: Direction,
    /// Whether the client sent it (else the server did).
    pub from_client: bool,
    /// Its sequence number relative to its sender's first (a SYN's is 0).
    pub seq: u32,
    /// Its acknowledgement number relative to the other side's first (0 without ACK).
    pub ack: u32,
    /// The socket that holds its connection, once one does.
    pub socket: Option<SocketId>,
    /// The client's end of its connection: "client :46116" names the connection.
    pub client: SocketAddr,
    /// A SYN sent again with the same sequence number: the first went unanswered.
    pub retransmitted_syn: bool,
}

/// What was counted of every connection since the capture began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Segments with RST: refused connects, connections torn down.
    pub resets: u64,
    /// SYNs a client sent again because the first went unanswered (a full queue drops them).
    pub syn_retransmits: u64,
    /// Segments that came after a gap in their sender's sequence numbers: what was sent
    /// before them is missing from the capture (the kernel's capture buffer overflowed under
    /// heavy traffic, or the network lost it before it reached this machine).
    pub gaps: u64,
}

impl Tally {
    /// Adds `other`'s counts to these.
    fn add(&mut self, other: Tally) {
        self.resets += other.resets;
        self.syn_retransmits += other.syn_retransmits;
        self.gaps += other.gaps;
    }
}

/// One connection's numbering and socket.
#[derive(Debug, Default)]
struct Conversation {
    /// The client's first sequence number (its SYN's).
    client_base: Option<u32>,
    /// The server's first sequence number (its SYN-ACK's).
    server_base: Option<u32>,
    /// The socket that holds it, once tied.
    socket: Option<SocketId>,
    /// Its segments waiting for the socket.
    held: Vec<Seen>,
    /// When the oldest of them came.
    held_since: Option<Instant>,
    /// A FIN came from the client, and from the server.
    fins: (bool, bool),
    /// The client's and the server's next sequence number (relative) after the furthest of
    /// their segments seen: a segment beyond it means some were not captured.
    next: (Option<u32>, Option<u32>),
    /// It ended: a RST, or both FINs and the last ACK.
    finished: bool,
    /// What it counted while it was not known to be this program's (a client's connection
    /// before its socket names it): counted when it is, forgotten with it otherwise.
    uncounted: Tally,
}

/// The connections of one captured port as one program sees them.
#[derive(Debug)]
pub struct Conversations {
    /// Which end this program is.
    end: End,
    /// The server's port.
    port: u16,
    /// The address a server listens on, when it listens on one (not every address): its
    /// capture drops the connections to other addresses on the same port.
    server_ip: Option<IpAddr>,
    /// Each connection by its (client, server) ends.
    map: HashMap<(SocketAddr, SocketAddr), Conversation>,
    /// The connections in the order they began: the oldest is forgotten first.
    order: VecDeque<(SocketAddr, SocketAddr)>,
    /// When each connection began holding segments, oldest first.
    holds: VecDeque<(Instant, (SocketAddr, SocketAddr))>,
    /// RSTs and retransmitted SYNs.
    tally: Tally,
    /// How many segments wait in all connections' `held`.
    held_all: usize,
}

impl Conversations {
    /// The connections to or from `port`, seen from `end`.
    #[must_use]
    pub fn new(end: End, port: u16) -> Self {
        Self {
            end,
            port,
            server_ip: None,
            map: HashMap::new(),
            order: VecDeque::new(),
            holds: VecDeque::new(),
            tally: Tally::default(),
            held_all: 0,
        }
    }

    /// A server's connections to `ip` alone (the address it listens on); every address when
    /// `ip` is unspecified (`0.0.0.0`, `::`): no other program can listen on the port then.
    #[must_use]
    pub fn listening_on(mut self, ip: IpAddr) -> Self {
        self.server_ip = (!ip.is_unspecified()).then(|| ip.to_canonical());
        self
    }

    /// The server's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// RSTs and retransmitted SYNs so far.
    #[must_use]
    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// Takes a captured segment at `now`: pushes it onto `out` if its connection has a socket,
    /// else holds it until one does or [`HOLD`] has passed.
    pub fn add(&mut self, segment: Segment, now: Instant, out: &mut Vec<Seen>) {
        let from_client = segment.destination.port() == self.port;
        let (client, server) = if from_client {
            (canonical(segment.source), canonical(segment.destination))
        } else {
            (canonical(segment.destination), canonical(segment.source))
        };
        if self
            .server_ip
            .is_some_and(|ip| self.end == End::Server && server.ip() != ip)
        {
            // Another program's connection, on another address of the same port.
            return;
        }
        let key = (client, server);
        let opening = segment.flags.syn && !segment.flags.ack && from_client;
        let mut retransmitted_syn = false;
        let conversation = match self.map.entry(key) {
            Entry::Occupied(entry) => {
                let conversation = entry.into_mut();
                match conversation.client_base {
                    Some(base) if opening && base == segment.seq => retransmitted_syn = true,
                    Some(_) if opening => {
                        // The same four ends again: a new connection.
                        self.held_all -= conversation.held.len();
                        self.end.release(conversation, out);
                        *conversation = Conversation::default();
                    }
                    // Tied before its first segment came, or not a SYN.
                    _ => {}
                }
                conversation
            }
            Entry::Vacant(entry) => {
                self.order.push_back(key);
                entry.insert(Conversation::default())
            }
        };
        let (own, other) = if from_client {
            (&mut conversation.client_base, &mut conversation.server_base)
        } else {
            (&mut conversation.server_base, &mut conversation.client_base)
        };
        let seq = segment.seq.wrapping_sub(*own.get_or_insert(segment.seq));
        let ack = if segment.flags.ack {
            // The other side's first number, one less than the first thing acknowledged.
            let base = *other.get_or_insert(segment.ack.wrapping_sub(1));
            segment.ack.wrapping_sub(base)
        } else {
            0
        };
        let next = if from_client {
            &mut conversation.next.0
        } else {
            &mut conversation.next.1
        };
        // Sequence numbers wrap: "beyond" is a positive distance of less than half the space.
        let distance = |from: u32| seq.wrapping_sub(from).cast_signed();
        // A client's connection counts once one of its sockets names it; a server's at once.
        let counts = if self.end == End::Server || conversation.socket.is_some() {
            &mut self.tally
        } else {
            &mut conversation.uncounted
        };
        if next.is_some_and(|expected| distance(expected) > 0) && !segment.flags.rst {
            counts.gaps += 1;
        }
        let end = seq
            .wrapping_add(segment.len)
            .wrapping_add(u32::from(segment.flags.syn) + u32::from(segment.flags.fin));
        // A bare ACK seen first tells nothing of what its sender sends next: a keep-alive
        // probe is numbered one below it (the capture began on an idle connection).
        let bare = segment.len == 0 && !segment.flags.syn && !segment.flags.fin;
        let first_seen_bare = next.is_none() && bare;
        if !first_seen_bare
            && next.is_none_or(|expected| end.wrapping_sub(expected).cast_signed() > 0)
        {
            *next = Some(end);
        }
        if segment.flags.rst {
            counts.resets += 1;
            conversation.finished = true;
        }
        if retransmitted_syn {
            counts.syn_retransmits += 1;
        }
        if segment.flags.fin {
            if from_client {
                conversation.fins.0 = true;
            } else {
                conversation.fins.1 = true;
            }
        } else if conversation.fins == (true, true) && segment.flags.ack {
            conversation.finished = true;
        }
        let direction = match (self.end, from_client) {
            (End::Server, true) | (End::Client, false) => Direction::In,
            (End::Server, false) | (End::Client, true) => Direction::Out,
        };
        let seen = Seen {
            segment,
            direction,
            from_client,
            seq,
            ack,
            socket: conversation.socket,
            client,
            retransmitted_syn,
        };
        if conversation.socket.is_some()
            || conversation.held.len() >= MAX_HELD
            || self.held_all >= MAX_HELD_ALL
        {
            self.held_all -= conversation.held.len();
            out.append(&mut conversation.held);
            out.push(seen);
        } else {
            if conversation.held_since.is_none() {
                conversation.held_since = Some(now);
                self.holds.push_back((now, key));
            }
            self.held_all += 1;
            conversation.held.push(seen);
        }
        self.forget_oldest(out);
    }

    /// Follows a socket's events: a client's SynSent (its connect's SYN left), a Connected,
    /// or a secure socket's Handshaking (its TCP connection is up, its TLS handshake under
    /// way), ties its connection to the socket ([`Self::tie`]); other events change nothing.
    pub fn follow(&mut self, event: &serversocket::Event, out: &mut Vec<Seen>) {
        if let serversocket::Event::Connected {
            socket,
            local,
            remote,
        }
        | serversocket::Event::SynSent {
            socket,
            local,
            remote,
        }
        | serversocket::Event::Handshaking {
            socket,
            local,
            remote,
        } = event
        {
            self.tie(*local, *remote, *socket, out);
        }
    }

    /// The connection between `local` and `remote` (a socket's Connected) is `socket`'s: its
    /// held segments go on, tied to it, and so will its later ones.
    pub fn tie(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        socket: SocketId,
        out: &mut Vec<Seen>,
    ) {
        let key = match self.end {
            End::Server => (canonical(remote), canonical(local)),
            End::Client => (canonical(local), canonical(remote)),
        };
        let conversation = match self.map.entry(key) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                self.order.push_back(key);
                entry.insert(Conversation::default())
            }
        };
        conversation.socket = Some(socket);
        conversation.held_since = None;
        self.tally.add(std::mem::take(&mut conversation.uncounted));
        self.held_all -= conversation.held.len();
        for mut seen in conversation.held.drain(..) {
            seen.socket = Some(socket);
            out.push(seen);
        }
        self.forget_oldest(out);
    }

    /// Sends on, without a socket, the segments that waited [`HOLD`] by `now` (a server's;
    /// a client's are another program's and go).
    pub fn release_overdue(&mut self, now: Instant, out: &mut Vec<Seen>) {
        while let Some(&(since, key)) = self.holds.front() {
            if now.duration_since(since) < HOLD {
                break;
            }
            self.holds.pop_front();
            if let Some(conversation) = self.map.get_mut(&key)
                && conversation.held_since == Some(since)
            {
                conversation.held_since = None;
                self.held_all -= conversation.held.len();
                self.end.release(conversation, out);
            }
        }
    }

    /// Sends on every waiting segment a server's (the program is stopping).
    pub fn release_all(&mut self, out: &mut Vec<Seen>) {
        self.holds.clear();
        self.held_all = 0;
        for conversation in self.map.values_mut() {
            conversation.held_since = None;
            self.end.release(conversation, out);
        }
    }

    /// Nothing waits and every connection a socket held has ended (RST, or both FINs and the
    /// last ACK): a program that stops can stop capturing without cutting a goodbye short.
    #[must_use]
    pub fn settled(&self) -> bool {
        self.map.values().all(|conversation| {
            conversation.held.is_empty() && (conversation.socket.is_none() || conversation.finished)
        })
    }

    /// Forgets the oldest connections past [`MAX_CONVERSATIONS`], sending on what they held.
    fn forget_oldest(&mut self, out: &mut Vec<Seen>) {
        while self.map.len() > MAX_CONVERSATIONS {
            let Some(key) = self.order.pop_front() else {
                return;
            };
            if let Some(mut conversation) = self.map.remove(&key) {
                self.held_all -= conversation.held.len();
                self.end.release(&mut conversation, out);
            }
        }
    }
}

/// An address as the packets carry it: an IPv4-mapped IPv6 address (what a dual-stack
/// listener reports for an IPv4 client) as the IPv4 address it maps.
fn canonical(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V6(ip) => SocketAddr::new(ip.to_canonical(), address.port()),
        IpAddr::V4(_) => address,
    }
}

#[cfg(test)]
mod tests;

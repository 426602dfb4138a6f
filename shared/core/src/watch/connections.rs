//! Follows chosen connections in the kernel and reports each change as [`Event::KernelState`].

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::sync::lock;
use crate::{Event, EventSender, Runtime, SocketId};
use serversocket_kernel::{
    KernelError, KernelProbe, KernelSocket, PAUSE_FACTOR, TcpState, TcpView,
};

/// How often followed connections are sampled: often enough to watch a close go through
/// FIN_WAIT and TIME_WAIT, rarely enough to cost nothing.
pub const CONNECTION_SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// A change of queues or RTT alone is reported at most this often per connection (a state
/// change at once), so a busy connection adds a line a second to a log, not four.
pub const NUMBERS_EVERY: Duration = Duration::from_secs(1);

/// The connections to follow, by socket.
type Followed = Arc<Mutex<BTreeMap<SocketId, Connection>>>;

/// A followed connection: its two ends, and whether its socket has closed.
#[derive(Debug, Clone, Copy)]
struct Connection {
    /// (our end, the peer's end).
    ends: (SocketAddr, SocketAddr),
    /// Its socket is closed: a program's socket on the same two ends is a later connection's
    /// (ours, closed, is held by no program: it is gone, or orphaned in FIN_WAIT or TIME_WAIT).
    closed: bool,
}

/// Follows connections in the kernel on the runtime and sends [`Event::KernelState`] whenever
/// what it sees of one changes, until the kernel forgets it (after TIME_WAIT). Dropping the
/// watch ends its task.
#[derive(Debug)]
pub struct ConnectionWatch {
    /// What the task samples.
    followed: Followed,
    /// Cancels the task when the watch is dropped.
    _stop: DropGuard,
}

impl ConnectionWatch {
    /// Starts the sampling task on `runtime`; it reports to `events`.
    #[must_use]
    pub fn start(runtime: &Runtime, events: EventSender) -> Self {
        let followed = Followed::default();
        let stop = CancellationToken::new();
        runtime
            .handle()
            .spawn(sample(Arc::clone(&followed), events, stop.clone()));
        Self {
            followed,
            _stop: stop.drop_guard(),
        }
    }

    /// Follows `socket`'s connection from `local` to `remote` (call it on Connected).
    pub fn follow(&self, socket: SocketId, local: SocketAddr, remote: SocketAddr) {
        let connection = Connection {
            ends: (local, remote),
            closed: false,
        };
        lock(&self.followed).insert(socket, connection);
    }

    /// Follows a connection when `event` says one is up (Connected, or Handshaking for a
    /// secure one), and notes when its socket closed (so
    /// a later connection on the same two ends is not taken for it); a window passes every
    /// event.
    pub fn follow_event(&self, event: &Event) {
        match event {
            // A secure socket's connection is up at Handshaking: a TLS client that waits in
            // its server's accept queue waits there, and its row says so.
            Event::Connected {
                socket,
                local,
                remote,
            }
            | Event::Handshaking {
                socket,
                local,
                remote,
            } => self.follow(*socket, *local, *remote),
            Event::Closed { socket } => {
                if let Some(connection) = lock(&self.followed).get_mut(socket) {
                    connection.closed = true;
                }
            }
            _ => {}
        }
    }
}

/// The sampling task.
async fn sample(followed: Followed, events: EventSender, stop: CancellationToken) {
    let mut probe = match KernelProbe::new() {
        Ok(probe) => probe,
        Err(error) => {
            tracing::info!(%error, "not following connections in the kernel");
            return;
        }
    };
    let mut ticks = tokio::time::interval(CONNECTION_SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // A costly sample (thousands of connections) makes the next wait: see PAUSE_FACTOR.
    let mut next_sample = tokio::time::Instant::now();
    // Connections a sample did not find, waiting for the next to confirm they are gone.
    let mut missed: std::collections::HashSet<SocketId> = std::collections::HashSet::new();
    // What was last reported of each connection, and when.
    let mut last: HashMap<SocketId, (TcpView, tokio::time::Instant)> = HashMap::new();
    // The kernel's number of each connection's socket, from its first sighting: the two ends
    // with another number are a later connection's.
    let mut cookies: HashMap<SocketId, u64> = HashMap::new();
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now: Vec<(SocketId, Connection)> = lock(&followed)
            .iter()
            .map(|(id, connection)| (*id, *connection))
            .collect();
        if now.is_empty() || tokio::time::Instant::now() < next_sample {
            continue;
        }
        // Lookups and dumps are answered from kernel memory, but many of them, or a walk over
        // a large table, take milliseconds: not on one of the runtime's workers.
        let started = tokio::time::Instant::now();
        let looked = tokio::task::spawn_blocking(move || {
            let seen = look(&probe, &now);
            (probe, seen)
        })
        .await;
        let Ok((returned, seen)) = looked else {
            return;
        };
        probe = returned;
        next_sample = tokio::time::Instant::now() + started.elapsed() * PAUSE_FACTOR;
        let seen = match seen {
            Ok(seen) => seen,
            Err(KernelError::Unavailable) => return,
            Err(error) => {
                tracing::debug!(%error, "connection sample skipped");
                continue;
            }
        };
        let mut changes = Vec::new();
        for (socket, found) in seen {
            // A later connection on the same two ends is not this one: this one is gone.
            let view = found.and_then(
                |Found {
                     view,
                     cookie,
                     later,
                 }| {
                    let first = *cookies.entry(socket).or_insert(cookie);
                    (first == cookie && !later).then_some(view)
                },
            );
            if let Some(view) = view {
                missed.remove(&socket);
                let at = tokio::time::Instant::now();
                let news = match last.get(&socket) {
                    None => true,
                    Some((before, _)) if *before == view => false,
                    Some((before, when)) => {
                        before.state != view.state
                            || before.peer_accepted != view.peer_accepted
                            || at.duration_since(*when) >= NUMBERS_EVERY
                    }
                };
                if news {
                    last.insert(socket, (view, at));
                    changes.push(Event::KernelState {
                        socket,
                        view: Some(view),
                    });
                }
            } else if missed.insert(socket) {
                // Not found once: a lookup can miss a connection at the instant the kernel
                // swaps it for its TIME_WAIT form. Forgotten only when the next sample agrees.
            } else {
                // Forgotten by the kernel: say so once and stop following it.
                missed.remove(&socket);
                lock(&followed).remove(&socket);
                cookies.remove(&socket);
                if last.remove(&socket).is_some() {
                    changes.push(Event::KernelState { socket, view: None });
                }
            }
        }
        if !changes.is_empty() {
            events.send_all(changes).await;
        }
    }
}

/// Up to this many connections, a sample looks each one up by its two ends (a hash lookup in
/// the kernel, two when the peer is on this machine); beyond it, one dump per address family
/// lists every socket of the system, so a window with thousands of connections costs one walk
/// per sample rather than thousands of lookups.
pub const LOOKUPS_UP_TO: usize = 256;

/// What a sample found on a followed connection's two ends.
struct Found {
    /// What the kernel says of it.
    view: TcpView,
    /// The kernel's number of the socket found.
    cookie: u64,
    /// Held by a program although the followed socket closed: a later connection's.
    later: bool,
}

/// One sample of every followed connection.
fn look(
    probe: &KernelProbe,
    followed: &[(SocketId, Connection)],
) -> Result<Vec<(SocketId, Option<Found>)>, KernelError> {
    let wide = followed.len() > LOOKUPS_UP_TO;
    // The wide dumps, one per family, taken when first needed, each by its connections' two
    // ends: a search through the dump for every followed connection made a sample of n
    // connections cost n times the system's sockets (10^10 comparisons at 100,000).
    let mut dumps: HashMap<bool, HashMap<(SocketAddr, SocketAddr), KernelSocket>> = HashMap::new();
    let mut find =
        |local: SocketAddr, remote: SocketAddr| -> Result<Option<KernelSocket>, KernelError> {
            if !wide {
                return probe.connection(local, remote);
            }
            let sockets = match dumps.entry(local.is_ipv6()) {
                Entry::Occupied(dump) => dump.into_mut(),
                Entry::Vacant(slot) => slot.insert(by_ends(probe.all_sockets(local.is_ipv6())?)),
            };
            Ok(sockets.get(&(local, remote)).cloned())
        };
    let mut seen = Vec::with_capacity(followed.len());
    for &(socket, Connection { ends, closed }) in followed {
        let (local, remote) = ends;
        let Some(mine) = find(local, remote)? else {
            seen.push((socket, None));
            continue;
        };
        let mut view = TcpView {
            state: mine.state,
            recv_queue: mine.recv_queue,
            send_queue: mine.send_queue,
            rtt: mine.rtt,
            peer_accepted: None,
        };
        // Only a peer on this machine can be looked at, and only an open one tells.
        if is_this_machine(remote) && view.state == TcpState::Established {
            view.peer_accepted = find(remote, local)?
                .filter(|peer| peer.state == TcpState::Established)
                .map(|peer| peer.owned);
        }
        let found = Found {
            view,
            cookie: mine.cookie,
            later: closed && mine.owned,
        };
        seen.push((socket, Some(found)));
    }
    Ok(seen)
}

/// A dump's connections by their two ends (listeners left out); where two share them, the
/// first in the dump, as a search from its start would find.
fn by_ends(sockets: Vec<KernelSocket>) -> HashMap<(SocketAddr, SocketAddr), KernelSocket> {
    let mut ends = HashMap::with_capacity(sockets.len());
    for socket in sockets {
        if socket.state != TcpState::Listen {
            ends.entry((socket.local, socket.remote)).or_insert(socket);
        }
    }
    ends
}

/// Loopback: the peer's end is in this kernel's table too.
fn is_this_machine(address: SocketAddr) -> bool {
    address.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(local: &str, remote: &str, state: TcpState, recv_queue: u32) -> KernelSocket {
        KernelSocket {
            local: local.parse().expect("address"),
            remote: remote.parse().expect("address"),
            state,
            recv_queue,
            send_queue: 0,
            rtt: None,
            owned: true,
            cookie: 0,
        }
    }

    #[test]
    fn a_dump_by_its_ends_finds_what_a_search_from_its_start_finds() {
        let dump = vec![
            socket("127.0.0.1:2002", "0.0.0.0:0", TcpState::Listen, 0),
            socket("127.0.0.1:2002", "127.0.0.1:40000", TcpState::TimeWait, 1),
            socket(
                "127.0.0.1:2002",
                "127.0.0.1:40000",
                TcpState::Established,
                2,
            ),
            socket(
                "127.0.0.1:2002",
                "127.0.0.1:40001",
                TcpState::Established,
                3,
            ),
        ];
        let ends = by_ends(dump.clone());
        for wanted in &dump {
            let searched = dump
                .iter()
                .find(|s| {
                    s.local == wanted.local
                        && s.remote == wanted.remote
                        && s.state != TcpState::Listen
                })
                .cloned();
            assert_eq!(ends.get(&(wanted.local, wanted.remote)).cloned(), searched);
        }
        assert_eq!(
            ends.len(),
            2,
            "the listener is left out, and a pair of ends counts once"
        );
    }
}

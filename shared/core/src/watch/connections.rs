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

/// The connections to follow, by socket: (our end, the peer's end).
type Followed = Arc<Mutex<BTreeMap<SocketId, (SocketAddr, SocketAddr)>>>;

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
        lock(&self.followed).insert(socket, (local, remote));
    }

    /// Follows a connection when `event` says one is up; a window passes every event.
    pub fn follow_event(&self, event: &Event) {
        if let Event::Connected {
            socket,
            local,
            remote,
        } = event
        {
            self.follow(*socket, *local, *remote);
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
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now: Vec<(SocketId, (SocketAddr, SocketAddr))> = lock(&followed)
            .iter()
            .map(|(id, ends)| (*id, *ends))
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
        for (socket, view) in seen {
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

/// One sample of every followed connection.
fn look(
    probe: &KernelProbe,
    followed: &[(SocketId, (SocketAddr, SocketAddr))],
) -> Result<Vec<(SocketId, Option<TcpView>)>, KernelError> {
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
    for &(socket, (local, remote)) in followed {
        let view = find(local, remote)?.map(|mine| TcpView {
            state: mine.state,
            recv_queue: mine.recv_queue,
            send_queue: mine.send_queue,
            rtt: mine.rtt,
            peer_accepted: None,
        });
        let view = match view {
            // Only a peer on this machine can be looked at, and only an open one tells.
            Some(mut view) if is_this_machine(remote) && view.state == TcpState::Established => {
                view.peer_accepted = find(remote, local)?
                    .filter(|peer| peer.state == TcpState::Established)
                    .map(|peer| peer.owned);
                Some(view)
            }
            view => view,
        };
        seen.push((socket, view));
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

//! What each socket is doing, kept up to date from the event stream alone, so drawing a frame
//! never asks a socket anything.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::SystemTime;

use serversocket::tls::TlsInfo;
use serversocket::{Event, SocketError, SocketId};
use serversocket_kernel::{TcpState, TcpView};
use serversocket_report::{Role, human_line};

use crate::RowState;

/// One socket as the tables and tiles show it.
#[derive(Debug, Clone)]
pub struct SocketRow {
    /// The socket.
    pub id: SocketId,
    /// Where it is in its life. Changed only by [`SocketRows::apply`], which keeps the
    /// per-state counts.
    pub state: RowState,
    /// Our end, once connected.
    pub local: Option<SocketAddr>,
    /// The peer, once connected.
    pub remote: Option<SocketAddr>,
    /// When it connected.
    pub since: Option<SystemTime>,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// The last thing that happened, in the seed's words.
    pub last_event: String,
    /// The last error's code and meaning.
    pub last_error: Option<(i32, &'static str)>,
    /// What the user is typing in this row's Send box.
    pub draft: String,
    /// What the kernel last said of its connection (when a window follows it).
    pub kernel: Option<TcpView>,
    /// The client's port, which both ends know: "client :46116" names the same connection
    /// in the server window (its peer's port) and the client window (its own port).
    pub client_port: Option<u16>,
    /// What its TLS handshake agreed on (a secure socket, once secured).
    pub tls: Option<TlsInfo>,
    /// "closed by the server" (or client) once the peer closed in good order: the last
    /// error's 102 is then the normal end, drawn as such.
    pub closed_by_peer: Option<&'static str>,
}

impl SocketRow {
    /// Closed or failed: nothing more happens to it.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        matches!(
            self.state,
            RowState::Closed | RowState::Released | RowState::Failed
        )
    }

    /// The connection's name in both windows, "client :46116", once it is known.
    #[must_use]
    pub fn client_label(&self) -> Option<String> {
        self.client_port.map(|port| format!("client :{port}"))
    }

    /// True while the server's kernel holds this client's connection in its accept queue:
    /// connected as far as the client's kernel knows (a secure one handshaking: its hello
    /// waits with it), not yet accepted by a server socket.
    #[must_use]
    pub fn waits_in_accept_queue(&self) -> bool {
        matches!(self.state, RowState::Connected | RowState::Handshaking)
            && self
                .kernel
                .is_some_and(|view| view.peer_accepted == Some(false))
    }

    fn new(id: SocketId, state: RowState) -> Self {
        Self {
            id,
            state,
            local: None,
            remote: None,
            since: None,
            bytes_in: 0,
            bytes_out: 0,
            last_event: String::new(),
            last_error: None,
            draft: String::new(),
            kernel: None,
            client_port: None,
            tls: None,
            closed_by_peer: None,
        }
    }
}

/// Every socket the window knows of, by id.
#[derive(Debug, Clone, Default)]
pub struct SocketRows {
    /// The rows, in id order.
    rows: BTreeMap<SocketId, SocketRow>,
    /// How many rows are in each state (indexed by `RowState as usize`), kept as rows change
    /// so that the counts the window shows every frame do not walk thousands of rows.
    tally: [usize; 7],
    /// Bytes received and sent over every row, kept as rows change like `tally`: the status
    /// chips show them every frame, and at ten thousand rows two walks over them (a cache miss
    /// a row) were a quarter of a frame.
    bytes: (u64, u64),
    /// How many rows of each state wait in the server's accept queue (connected, or a secure
    /// one handshaking), kept like `tally`.
    in_accept_queue: [usize; 6],
    /// Rows to forget as soon as they finish ([`Self::forget_all`]: a lesson's fresh start
    /// closed them, and they are not the new lesson's).
    leaving: BTreeSet<SocketId>,
    /// Sockets whose rows were forgotten that way: their last events (Closed after an Error)
    /// make no row again.
    gone: BTreeSet<SocketId>,
    /// One more than the newest socket that ever had a row.
    after_newest: u64,
    /// Every socket numbered below this was forgotten by [`Self::forget_all`], its row shown or
    /// already removed ([`Self::forgot`]).
    forgotten_below: u64,
}

impl SocketRows {
    /// Updates the rows from one event, as `role` words it.
    pub fn apply(&mut self, role: Role, event: &Event) {
        let Some(id) = event.socket() else {
            return;
        };
        if self.gone.contains(&id) {
            return;
        }
        // What the kernel says of a connection is a detail of its row, never the news that
        // makes one: it still reports a socket after the socket closed (TIME_WAIT, then gone
        // a minute later), when the learner may have removed its row.
        if let Event::KernelState { view, .. } = event {
            // A closed socket's end is gone or on its way out (FIN_WAIT, LAST_ACK, TIME_WAIT):
            // a state only an open socket has is a sample taken before the close, or a later
            // connection's on the same ends, and would show a closed row "ESTABLISHED".
            let open_state = view.is_some_and(|view| {
                matches!(
                    view.state,
                    TcpState::Established
                        | TcpState::CloseWait
                        | TcpState::SynSent
                        | TcpState::SynRecv
                )
            });
            if let Some(row) = self
                .rows
                .get_mut(&id)
                .filter(|row| !(row.is_finished() && open_state))
            {
                let waited = queued(row);
                row.kernel = *view;
                recount(&mut self.in_accept_queue, waited, queued(row));
            }
            return;
        }
        self.after_newest = self.after_newest.max(id.0 + 1);
        let tally = &mut self.tally;
        let row = self.rows.entry(id).or_insert_with(|| {
            let state = match role {
                Role::Server => RowState::Idle,
                Role::Client => RowState::Connecting,
            };
            tally[state as usize] += 1;
            SocketRow::new(id, state)
        });
        let before = row.state;
        let waited = queued(row);
        match event {
            Event::Connected { local, remote, .. } => {
                row.state = RowState::Connected;
                row.local = Some(*local);
                row.remote = Some(*remote);
                row.since = Some(SystemTime::now());
                row.client_port = Some(match role {
                    Role::Server => remote.port(),
                    Role::Client => local.port(),
                });
            }
            Event::Handshaking { local, remote, .. } => {
                row.state = RowState::Handshaking;
                row.local = Some(*local);
                row.remote = Some(*remote);
                row.client_port = Some(match role {
                    Role::Server => remote.port(),
                    Role::Client => local.port(),
                });
            }
            Event::Secured { tls, .. } => row.tls = Some(tls.clone()),
            Event::Data { bytes, .. } => {
                row.bytes_in += *bytes as u64;
                self.bytes.0 += *bytes as u64;
            }
            Event::SendProgress { sent, .. } => {
                row.bytes_out += sent;
                self.bytes.1 += sent;
            }
            Event::Error { error, .. } => {
                row.last_error = Some((error.code(), error.meaning()));
                row.closed_by_peer = error.is_peer_close().then_some(match role {
                    Role::Server => "closed by the client",
                    Role::Client => "closed by the server",
                });
                // A client whose connection is cut before the server sent a byte was never
                // served: e.g. it waited in the backlog of a listener that then closed (the
                // naive server), and the OS reset it.
                let unserved = role == Role::Client
                    && row.state == RowState::Connected
                    && row.bytes_in == 0
                    && matches!(error, SocketError::LostConnection { .. });
                if row.state != RowState::Connected || unserved {
                    row.state = RowState::Failed;
                }
            }
            Event::Released { .. } if row.state == RowState::Idle => {
                row.state = RowState::Released;
            }
            Event::Closed { .. } if !matches!(row.state, RowState::Failed | RowState::Released) => {
                row.state = RowState::Closed;
            }
            _ => {}
        }
        if matches!(event, Event::Closed { .. }) {
            // The last sample was of the open connection ("closed ESTABLISHED" stayed up to a
            // second under load): what the kernel says after the close comes with its next.
            row.kernel = None;
        }
        if let Some(line) = human_line(role, event) {
            row.last_event = line;
        }
        tally[before as usize] -= 1;
        tally[row.state as usize] += 1;
        recount(&mut self.in_accept_queue, waited, queued(row));
        if row.is_finished() && self.leaving.remove(&id) {
            self.remove(id);
            self.gone.insert(id);
        }
    }

    /// Forgets every row: the finished ones now, the others as soon as they finish (a
    /// lesson's fresh start is closing them), so none of them is taken for the new lesson's.
    pub fn forget_all(&mut self) {
        self.remove_finished();
        self.leaving.extend(self.rows.keys().copied());
        self.forgotten_below = self.after_newest;
    }

    /// Whether socket `id` was forgotten by the last [`Self::forget_all`]: it was there before
    /// a lesson started again, and what it still reports (an error on its way as it closed, the
    /// kernel's TIME_WAIT a minute later) is not the new run's.
    #[must_use]
    pub fn forgot(&self, id: SocketId) -> bool {
        id.0 < self.forgotten_below
    }

    /// Takes row `id` out, with its share of the counts.
    fn remove(&mut self, id: SocketId) {
        if let Some(row) = self.rows.remove(&id) {
            self.tally[row.state as usize] -= 1;
            self.bytes.0 -= row.bytes_in;
            self.bytes.1 -= row.bytes_out;
            recount(&mut self.in_accept_queue, queued(&row), None);
        }
    }

    /// How many rows wait in the server's accept queue (see
    /// [`SocketRow::waits_in_accept_queue`]); they count as connected (or handshaking) in
    /// [`Self::count`].
    #[must_use]
    pub fn in_accept_queue(&self) -> usize {
        self.in_accept_queue.iter().sum()
    }

    /// How many rows in `state` (connected, or handshaking) wait in the server's accept queue.
    #[must_use]
    pub fn in_accept_queue_while(&self, state: RowState) -> usize {
        self.in_accept_queue[state as usize]
    }

    /// The rows in id order.
    pub fn iter(&self) -> impl Iterator<Item = &SocketRow> {
        self.rows.values()
    }

    /// The rows in id order, for editing their Send boxes.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut SocketRow> {
        self.rows.values_mut()
    }

    /// One row.
    #[must_use]
    pub fn get(&self, id: SocketId) -> Option<&SocketRow> {
        self.rows.get(&id)
    }

    /// What one socket is doing, if the table has its row.
    #[must_use]
    pub fn state_of(&self, id: SocketId) -> Option<RowState> {
        self.rows.get(&id).map(|row| row.state)
    }

    /// One row, for editing.
    pub fn get_mut(&mut self, id: SocketId) -> Option<&mut SocketRow> {
        self.rows.get_mut(&id)
    }

    /// How many rows are in `state`.
    #[must_use]
    pub fn count(&self, state: RowState) -> usize {
        self.tally[state as usize]
    }

    /// How many sockets were refused: nothing listened when they tried to connect.
    #[must_use]
    pub fn refused(&self) -> usize {
        self.rows
            .values()
            .filter(|row| matches!(row.last_error, Some((_, "connection refused"))))
            .count()
    }

    /// How many client sockets were cut off (reset) before the server sent anything, during the
    /// handshake or just after it.
    #[must_use]
    pub fn dropped_unserved(&self) -> usize {
        self.rows
            .values()
            .filter(|row| {
                row.state == RowState::Failed
                    && matches!(row.last_error, Some((_, "lost connection")))
            })
            .count()
    }

    /// Forgets rows that are finished (closed or failed).
    pub fn remove_finished(&mut self) {
        self.rows.retain(|_, row| !row.is_finished());
        self.tally[RowState::Closed as usize] = 0;
        self.tally[RowState::Released as usize] = 0;
        self.tally[RowState::Failed as usize] = 0;
        self.bytes = self
            .rows
            .values()
            .fold((0, 0), |(bytes_in, bytes_out), row| {
                (bytes_in + row.bytes_in, bytes_out + row.bytes_out)
            });
    }

    /// Bytes received and sent over every row (what their `bytes_in` and `bytes_out` add up to).
    #[must_use]
    pub fn bytes_total(&self) -> (u64, u64) {
        self.bytes
    }

    /// How many rows there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The state a row waits in the server's accept queue in, counted in
/// [`SocketRows::in_accept_queue_while`]; `None` when it does not wait there.
fn queued(row: &SocketRow) -> Option<RowState> {
    row.waits_in_accept_queue().then_some(row.state)
}

/// Moves a row's place in the accept-queue counts from `before` to `after`.
fn recount(counts: &mut [usize; 6], before: Option<RowState>, after: Option<RowState>) {
    if let Some(state) = before {
        counts[state as usize] -= 1;
    }
    if let Some(state) = after {
        counts[state as usize] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddrV4};

    fn connected(rows: &mut SocketRows, id: u64) {
        let address = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 2002));
        rows.apply(
            Role::Client,
            &Event::Connected {
                socket: SocketId(id),
                local: address,
                remote: address,
            },
        );
    }

    fn lost(rows: &mut SocketRows, id: u64) {
        let error = SocketError::LostConnection {
            peer: "127.0.0.1:2002".parse().expect("address"),
            reason: "reset by the peer".into(),
            cause: None,
        };
        rows.apply(
            Role::Client,
            &Event::Error {
                socket: Some(SocketId(id)),
                error,
            },
        );
        rows.apply(
            Role::Client,
            &Event::Closed {
                socket: SocketId(id),
            },
        );
    }

    /// At a lesson's fresh start every row goes: a finished one at once, one still open as
    /// soon as it finishes (its Error, then Closed, make no row again), with the counts.
    #[test]
    fn forget_all_takes_every_row_out_as_it_finishes() {
        let mut rows = SocketRows::default();
        connected(&mut rows, 1);
        connected(&mut rows, 2);
        lost(&mut rows, 1);
        rows.forget_all();
        assert!(rows.get(SocketId(1)).is_none(), "finished: gone at once");
        assert_eq!(
            rows.count(RowState::Connected),
            1,
            "still open: still counted"
        );
        lost(&mut rows, 2);
        assert!(rows.get(SocketId(2)).is_none(), "gone once it finished");
        assert_eq!(rows.len(), 0);
        assert!(STATES.iter().all(|&state| rows.count(state) == 0));
        // A socket of the new lesson is a row as usual.
        connected(&mut rows, 3);
        assert_eq!(rows.count(RowState::Connected), 1);
        // Every socket of before counts as forgotten (what it still reports is not the new
        // lesson's), the ones whose rows went at once too; the new lesson's do not.
        assert!(rows.forgot(SocketId(1)) && rows.forgot(SocketId(2)));
        assert!(!rows.forgot(SocketId(3)));
    }

    /// Every state a row can be in.
    const STATES: [RowState; 7] = [
        RowState::Idle,
        RowState::Connecting,
        RowState::Connected,
        RowState::Handshaking,
        RowState::Closed,
        RowState::Released,
        RowState::Failed,
    ];

    /// The counts as a walk over the rows gives them.
    fn walked(rows: &SocketRows) -> Vec<usize> {
        STATES
            .iter()
            .map(|&state| rows.iter().filter(|row| row.state == state).count())
            .collect()
    }

    fn counted(rows: &SocketRows) -> Vec<usize> {
        STATES.iter().map(|&state| rows.count(state)).collect()
    }

    #[test]
    fn a_closed_row_forgets_the_kernel_state_of_its_open_connection() {
        let mut rows = SocketRows::default();
        connected(&mut rows, 0);
        let view = |state| serversocket_kernel::TcpView {
            state,
            recv_queue: 0,
            send_queue: 0,
            rtt: None,
            peer_accepted: None,
        };
        let state = |state| Event::KernelState {
            socket: SocketId(0),
            view: Some(view(state)),
        };
        rows.apply(Role::Client, &state(TcpState::Established));
        rows.apply(
            Role::Client,
            &Event::Closed {
                socket: SocketId(0),
            },
        );
        assert_eq!(rows.get(SocketId(0)).and_then(|row| row.kernel), None);
        // A sample taken before the close (or of a later connection on the same ends),
        // arriving after it, is not shown.
        rows.apply(Role::Client, &state(TcpState::Established));
        assert_eq!(rows.get(SocketId(0)).and_then(|row| row.kernel), None);
        rows.apply(Role::Client, &state(TcpState::TimeWait));
        assert_eq!(
            rows.get(SocketId(0))
                .and_then(|row| row.kernel)
                .map(|v| v.state),
            Some(TcpState::TimeWait)
        );
    }

    #[test]
    fn the_kernel_never_brings_back_a_removed_row_nor_changes_a_closed_one() {
        let mut rows = SocketRows::default();
        for id in 0..3 {
            connected(&mut rows, id);
            rows.apply(
                Role::Client,
                &Event::Closed {
                    socket: SocketId(id),
                },
            );
        }
        let gone = |id| Event::KernelState {
            socket: SocketId(id),
            view: None,
        };
        // Closed, then the kernel's TIME_WAIT and its end: the row stays Closed.
        rows.apply(Role::Client, &gone(0));
        assert_eq!(
            rows.get(SocketId(0)).map(|row| row.state),
            Some(RowState::Closed)
        );
        rows.remove_finished();
        // A minute later the kernel reports the connections gone: no row comes back.
        for id in 0..3 {
            rows.apply(Role::Client, &gone(id));
        }
        assert_eq!(rows.iter().count(), 0);
        assert_eq!(counted(&rows), vec![0; STATES.len()]);
    }

    #[test]
    fn the_kept_counts_follow_every_change_of_state() {
        let mut rows = SocketRows::default();
        for id in 0..6 {
            connected(&mut rows, id);
        }
        lost(&mut rows, 0); // never served: failed
        assert_eq!(
            rows.get(SocketId(0)).and_then(|row| row.closed_by_peer),
            None,
            "a reset is a failure, not the peer's close"
        );
        rows.apply(
            Role::Client,
            &Event::data(SocketId(1), &bytes::Bytes::from_static(b"hi")),
        );
        lost(&mut rows, 1); // served, then closed
        rows.apply(
            Role::Client,
            &Event::Closed {
                socket: SocketId(2),
            },
        );
        // A socket that never connected, then failed.
        let refused = SocketError::ConnectionRefused {
            address: "127.0.0.1:9".into(),
            cause: None,
        };
        rows.apply(
            Role::Client,
            &Event::Error {
                socket: Some(SocketId(9)),
                error: refused,
            },
        );
        assert_eq!(counted(&rows), walked(&rows));
        assert_eq!(counted(&rows), vec![0, 0, 3, 0, 2, 0, 2]);
        rows.apply(
            Role::Client,
            &Event::SendProgress {
                socket: SocketId(3),
                sent: 5,
                left: 0,
            },
        );
        let summed = |rows: &SocketRows| {
            rows.iter().fold((0, 0), |(bytes_in, bytes_out), row| {
                (bytes_in + row.bytes_in, bytes_out + row.bytes_out)
            })
        };
        assert_eq!(rows.bytes_total(), summed(&rows));
        assert_eq!(rows.bytes_total(), (2, 5));
        rows.remove_finished();
        assert_eq!(counted(&rows), walked(&rows));
        assert_eq!(rows.count(RowState::Connected), 3);
        assert_eq!(rows.bytes_total(), summed(&rows));
        assert_eq!(
            rows.bytes_total(),
            (0, 5),
            "socket 1's bytes left with its row"
        );
        let mut server = SocketRows::default();
        server.apply(
            Role::Server,
            &Event::AddSocket {
                socket: SocketId(0),
            },
        );
        assert_eq!(server.count(RowState::Idle), 1);
        server.apply(
            Role::Server,
            &Event::Released {
                socket: SocketId(0),
            },
        );
        assert_eq!(counted(&server), walked(&server));
        // Let go before any connection: released, not a connection that closed.
        assert_eq!(server.count(RowState::Released), 1);
        assert_eq!(server.count(RowState::Closed), 0);
    }

    #[test]
    fn a_client_cut_off_before_the_server_said_anything_was_never_served() {
        let mut rows = SocketRows::default();
        // Socket 0: connected, then reset with nothing received (a naive server's backlog).
        connected(&mut rows, 0);
        lost(&mut rows, 0);
        // Socket 1: greeted, then the server went away: an ordinary end.
        connected(&mut rows, 1);
        rows.apply(
            Role::Client,
            &Event::data(SocketId(1), &bytes::Bytes::from_static(b"hello")),
        );
        lost(&mut rows, 1);
        assert_eq!(
            rows.get(SocketId(0)).map(|r| r.state),
            Some(RowState::Failed)
        );
        assert_eq!(
            rows.get(SocketId(1)).map(|r| r.state),
            Some(RowState::Closed)
        );
        assert_eq!(rows.dropped_unserved(), 1);
        assert_eq!(rows.refused(), 0);
    }
}

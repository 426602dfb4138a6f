//! What the server is doing, apart from how the window draws it: the ServerSocket (or the
//! naive single socket), the reply new sockets give, and everything its events tell — the
//! sockets' rows, the log, the listener's gaps, the kernel's accept queue. Fed by
//! [`ServerState::apply`]; no egui type in it, so it is tested without a window.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serversocket::naive::NaiveServer;
use serversocket::tls::ServerTls;
use serversocket::watch::ConnectionWatch;
use serversocket::{Event, EventSender, Runtime, ServerSocket, SocketError, SocketId, TcpSocket};
use serversocket_app::reply::{ChosenOnConnect, ReplyMode};
use serversocket_kernel::{AcceptQueue, KernelError, KernelProbe};
use serversocket_report::Role;
use serversocket_ui::drain::Happened;
use serversocket_ui::{EventLog, RowState, SocketRows};

use super::settings::{MAX_HANDOFF_DELAY_MS, ServerSettings};

/// Which server takes the window's connections. The ServerSocket itself always exists (its
/// limits, slow motion and socket numbering live on between Listens); in naive mode the
/// single re-listening socket takes connections instead, until Stop Listening drops it.
pub enum Serving {
    /// The ServerSocket's pool (listening or not).
    Pool,
    /// The naive single socket, listening and re-listening.
    Naive(NaiveServer),
}

/// What the server is doing.
pub struct ServerState {
    /// The ServerSocket (declared before the runtime so it is dropped first).
    pub socket: ServerSocket,
    /// Which server takes connections now: the ServerSocket's pool, or the naive socket.
    pub serving: Serving,
    /// Cloned into the naive server when it starts.
    events: EventSender,
    /// The background threads the sockets run on.
    pub runtime: Runtime,
    /// How new pooled sockets answer (the greeting among it); AddSocket reads it on the runtime.
    reply: Arc<Mutex<ReplyMode>>,
    /// Why the reply setting as typed cannot be used (new sockets keep the last good mode).
    pub reply_problem: Option<String>,
    /// Every socket the pool made, as tiles and rows.
    pub rows: SocketRows,
    /// Every event as a line.
    pub log: EventLog,
    /// The last listener error, shown in the status line until the next Listen.
    pub listener_error: Option<SocketError>,
    /// Slow motion: the connection accepted and not yet handed to a pooled socket (the
    /// listener accepts nothing else meanwhile, so there is at most one).
    pub waiting: Option<SocketAddr>,
    /// The listener's gaps since the last Listen: how many, and how long closed in all.
    pub listener_gaps: (u64, Duration),
    /// Since when the listener is closed (the naive server between connections).
    pub closed_since: Option<Instant>,
    /// The kernel's side: the accept queue in front of the pool.
    pub kernel: KernelQueue,
    /// Follows each connection in the kernel, through TIME_WAIT after it closed.
    connections_in_kernel: ConnectionWatch,
    /// Connections the pool handed to a socket, as its events told them (a secure one at its
    /// Handshaking), since the window opened or the session started over (a lesson's step
    /// that stops everything): the "accepted" chip, counted from the events the rows and the
    /// pipeline are drawn from, so they all tell the same moment.
    pub accepted: u64,
}

impl ServerState {
    /// A server with `settings`, not yet listening, reporting to `events`; whoever receives
    /// those feeds them back through [`Self::apply`].
    ///
    /// # Errors
    /// When the socket runtime cannot start.
    pub fn new(settings: &ServerSettings, events: EventSender) -> Result<Self, SocketError> {
        let runtime = Runtime::new()?;
        let (mode, reply_problem) = match settings.reply.mode(&settings.greeting) {
            Ok(mode) => (mode, None),
            Err(problem) => (ReplyMode::default(), Some(problem)),
        };
        let reply = Arc::new(Mutex::new(mode));
        let add_socket_reply = Arc::clone(&reply);
        let socket = ServerSocket::new(&runtime, events.clone(), move |_id| {
            ChosenOnConnect::new(Arc::clone(&add_socket_reply))
        });
        socket.set_handoff_delay(Duration::from_millis(
            settings.handoff_delay_ms.min(MAX_HANDOFF_DELAY_MS),
        ));
        socket.set_idle_timeout(idle_timeout(settings.idle_timeout_seconds));
        let connections_in_kernel = ConnectionWatch::start(&runtime, events.clone());
        Ok(Self {
            socket,
            serving: Serving::Pool,
            events,
            runtime,
            reply,
            reply_problem,
            rows: SocketRows::default(),
            log: EventLog::new(Role::Server),
            listener_error: None,
            waiting: None,
            listener_gaps: (0, Duration::ZERO),
            accepted: 0,
            closed_since: None,
            kernel: KernelQueue::new(),
            connections_in_kernel,
        })
    }

    /// Follows one event, which `happened` then: the status line's error, the listener's gaps
    /// (timed from the events' own moments, so a frame's lateness never stretches one), the
    /// connection waiting for its handoff, the kernel's queue, the rows and the log.
    pub fn apply(&mut self, event: Event, happened: Happened) {
        let now = happened.instant;
        match &event {
            Event::Error {
                socket: None,
                error,
            } => self.listener_error = Some(error.clone()),
            Event::Listening { .. } => self.closed_since = None,
            // The naive listener's gaps: only these count, not a Stop and Listen by the user.
            Event::ListenerReopened { .. } => {
                if let Some(since) = self.closed_since.take() {
                    self.listener_gaps.0 += 1;
                    self.listener_gaps.1 += now.saturating_duration_since(since);
                }
            }
            Event::Stopped | Event::ListenerClosed => {
                self.closed_since = matches!(event, Event::ListenerClosed).then_some(now);
                // A connection still waiting for its handoff was closed with the listener.
                self.waiting = None;
            }
            Event::Accepted { remote, .. } => self.waiting = Some(*remote),
            Event::Handshaking { .. } => self.count_accepted(),
            Event::Connected { socket, .. } => {
                // The handoff of the waiting connection, the only one there can be.
                self.waiting = None;
                // A secure socket was counted at its Handshaking.
                if self.rows.state_of(*socket) != Some(RowState::Handshaking) {
                    self.count_accepted();
                }
            }
            _ => {}
        }
        self.kernel.record(&event);
        self.connections_in_kernel.follow_event(&event);
        self.rows.apply(Role::Server, &event);
        self.log.push(event, happened.at);
    }

    /// One more connection handed to a pooled socket (the naive socket counts its own).
    fn count_accepted(&mut self) {
        if matches!(self.serving, Serving::Pool) {
            self.accepted += 1;
        }
    }

    /// Whether the listener is open: the ServerSocket's, or the naive socket's (which counts
    /// as listening between its connections too, until Stop Listening).
    #[must_use]
    pub fn is_listening(&self) -> bool {
        match &self.serving {
            Serving::Pool => self.socket.is_listening(),
            Serving::Naive(_) => true,
        }
    }

    /// In naive mode, the connections the single socket accepted so far.
    #[must_use]
    pub fn naive_accepted(&self) -> Option<u64> {
        match &self.serving {
            Serving::Pool => None,
            Serving::Naive(naive) => Some(naive.accepted()),
        }
    }

    /// A new Listen begins: the last one's error, gaps and finished sockets are forgotten.
    pub fn forget_last_listen(&mut self) {
        // The pool row shows this Listen's sockets: the last one's finished sockets are in
        // the log, and tiles of them beside the new pool would be taken for its own.
        self.rows.remove_finished();
        self.listener_error = None;
        self.listener_gaps = (0, Duration::ZERO);
        self.closed_since = None;
    }

    /// Listens on `interface` and `port` with the ServerSocket, the settings' backlog and
    /// limits, and `tls`; returns where it listens.
    ///
    /// # Errors
    /// Why it cannot listen. Listen returns its error and sends no event for it: the caller
    /// shows it (log, status line, lessons) as the event would be, once.
    pub fn listen_pool(
        &mut self,
        settings: &ServerSettings,
        (interface, port): (IpAddr, u16),
        tls: Option<Arc<ServerTls>>,
    ) -> Result<SocketAddr, SocketError> {
        self.socket.set_network_interface(interface);
        self.socket.set_port(port);
        self.socket.set_backlog(settings.backlog);
        self.socket.set_tls(tls);
        self.socket
            .set_limits(settings.min, settings.max)
            .and_then(|()| self.socket.listen())
    }

    /// Starts the naive single socket on `address`, re-listening `relisten_delay` after each
    /// connection; returns where it listens.
    ///
    /// # Errors
    /// Why it cannot listen (returned, not sent as an event, as for the ServerSocket).
    pub fn listen_naive(
        &mut self,
        address: SocketAddr,
        relisten_delay: Duration,
    ) -> Result<SocketAddr, SocketError> {
        let reply = Arc::clone(&self.reply);
        // One numbering for both modes: the rows of earlier sockets stay, and no new socket
        // may take their ids.
        let (naive, address) = NaiveServer::listen_with_ids(
            &self.runtime,
            self.events.clone(),
            address,
            relisten_delay,
            self.socket.socket_ids(),
            move |_id| {
                reply
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .handler()
            },
        )?;
        self.serving = Serving::Naive(naive);
        Ok(address)
    }

    /// Stops whichever server listens: the naive socket is dropped (which stops its listener
    /// and closes its connections); the ServerSocket stops listening and keeps its
    /// connections.
    pub fn stop_listening(&mut self) {
        match self.serving {
            Serving::Naive(_) => self.serving = Serving::Pool,
            Serving::Pool => self.socket.stop_listening(),
        }
    }

    /// Makes the reply setting as typed the one new sockets use, or keeps why it cannot be.
    pub fn set_reply(&mut self, settings: &ServerSettings) {
        match settings.reply.mode(&settings.greeting) {
            Ok(mode) => {
                *self.reply.lock().unwrap_or_else(PoisonError::into_inner) = mode;
                self.reply_problem = None;
            }
            Err(problem) => self.reply_problem = Some(problem),
        }
    }

    /// A connected socket of whichever server runs: the naive one or the ServerSocket.
    #[must_use]
    pub fn connection(&self, id: SocketId) -> Option<TcpSocket> {
        match &self.serving {
            Serving::Naive(naive) => naive.connection(id),
            Serving::Pool => self.socket.connection(id),
        }
    }

    /// Closes every connected socket of whichever server runs.
    pub fn close_all(&self) {
        match &self.serving {
            Serving::Naive(naive) => naive.close_all(),
            Serving::Pool => self.socket.close_all(),
        }
    }

    /// Writes `bytes` to connection `id`; a failure goes to the log.
    pub fn write(&mut self, id: SocketId, bytes: Vec<u8>) {
        if let Some(socket) = self.connection(id)
            && let Err(error) = socket.write(bytes)
        {
            self.log.push(
                Event::Error {
                    socket: Some(id),
                    error,
                },
                SystemTime::now(),
            );
        }
    }
}

/// The idle timeout for `seconds` as set in the window (0 = none).
#[must_use]
pub fn idle_timeout(seconds: u64) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// What the window last heard of the accept queue.
#[derive(Debug)]
pub struct KernelQueue {
    /// The last sample while listening (none before the first one, and after Stop).
    queue: Option<AcceptQueue>,
    /// Why there will be no samples on this system, found once when the window opens.
    unavailable: Option<KernelError>,
}

impl KernelQueue {
    /// Checks once (a syscall, no waiting) whether this system lets us see the kernel's view.
    #[must_use]
    pub fn new() -> Self {
        Self {
            queue: None,
            unavailable: KernelProbe::new().err(),
        }
    }

    /// The last accept-queue sample, while listening.
    #[must_use]
    pub fn queue(&self) -> Option<AcceptQueue> {
        self.queue
    }

    /// Why the kernel's view is missing, if it is.
    #[must_use]
    pub fn unavailable(&self) -> Option<&KernelError> {
        self.unavailable.as_ref()
    }

    /// Follows the server's events.
    pub fn record(&mut self, event: &Event) {
        match event {
            Event::AcceptQueue { .. } => self.queue = event.accept_queue(),
            Event::Listening { .. } | Event::Stopped => self.queue = None,
            _ => {}
        }
    }
}

impl Default for KernelQueue {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use std::net::{Ipv4Addr, TcpStream};

    use serversocket::{EventReceiver, SocketId, event_channel};
    use serversocket_ui::RowState;

    use super::*;

    /// A state on its own channel, no window and no egui.
    fn state() -> (ServerState, EventReceiver) {
        let (events, receiver) = event_channel(None);
        let state = ServerState::new(&ServerSettings::default(), events).unwrap();
        (state, receiver)
    }

    /// Applies what the sockets report until `done` holds, within the tests' patience.
    fn apply_until(
        (state, receiver): (&mut ServerState, &mut EventReceiver),
        done: impl Fn(&ServerState) -> bool,
    ) -> bool {
        test_support::within_patience(|| {
            while let Some(event) = receiver.try_recv() {
                state.apply(event, Happened::now());
            }
            done(state).then_some(())
        })
        .is_some()
    }

    #[test]
    fn a_client_of_the_pool_becomes_a_connected_row_and_log_lines() {
        let (mut state, mut receiver) = state();
        let settings = ServerSettings {
            min: 2,
            ..ServerSettings::default()
        };
        let address = state
            .listen_pool(&settings, (Ipv4Addr::LOCALHOST.into(), 0), None)
            .unwrap();
        assert!(state.is_listening());
        assert!(apply_until((&mut state, &mut receiver), |s| s
            .rows
            .count(RowState::Idle)
            == 2));
        let _client = TcpStream::connect(address).unwrap();
        assert!(
            apply_until((&mut state, &mut receiver), |s| s
                .rows
                .count(RowState::Connected)
                == 1),
            "{:#?}",
            state.log.lines()
        );
        assert!(state.log.contains("Socket 0 connected."));
        assert!(state.connection(SocketId(0)).is_some());
    }

    #[test]
    fn the_naive_listeners_gaps_count_only_its_own_reopenings() {
        let (mut state, _receiver) = state();
        let start = Happened::now();
        let listening = Event::Listening {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 1)),
            handle: 3,
            min: 0,
            max: 1,
        };
        state.apply(listening.clone(), start);
        state.apply(Event::ListenerClosed, start);
        state.apply(
            Event::ListenerReopened { handle: 4 },
            Happened {
                at: start.at + Duration::from_millis(30),
                instant: start.instant + Duration::from_millis(30),
            },
        );
        assert_eq!(state.listener_gaps, (1, Duration::from_millis(30)));
        // A Stop and a Listen by the user are no gap.
        state.apply(Event::Stopped, start);
        state.apply(listening, start);
        assert_eq!(state.listener_gaps.0, 1);
    }

    #[test]
    fn a_connection_handed_off_counts_once_as_accepted_a_secure_one_at_its_handshake() {
        let (mut state, _receiver) = state();
        let now = Happened::now();
        let local = SocketAddr::from((Ipv4Addr::LOCALHOST, 2002));
        let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_000));
        for socket in [SocketId(0), SocketId(1)] {
            state.apply(Event::AddSocket { socket }, now);
        }
        let secure = SocketId(0);
        state.apply(
            Event::Handshaking {
                socket: secure,
                local,
                remote,
            },
            now,
        );
        assert_eq!(state.accepted, 1);
        state.apply(
            Event::Connected {
                socket: secure,
                local,
                remote,
            },
            now,
        );
        assert_eq!(state.accepted, 1, "the handshake's end is no second accept");
        state.apply(
            Event::Connected {
                socket: SocketId(1),
                local,
                remote,
            },
            now,
        );
        assert_eq!(state.accepted, 2);
    }

    #[test]
    fn a_connection_waits_for_its_handoff_until_connected_or_stopped() {
        let (mut state, _receiver) = state();
        let now = Happened::now();
        let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_000));
        state.apply(
            Event::Accepted {
                remote,
                handoff_in: Duration::from_millis(500),
            },
            now,
        );
        assert_eq!(state.waiting, Some(remote));
        state.apply(Event::Stopped, now);
        assert_eq!(state.waiting, None);
    }

    #[test]
    fn a_failed_listen_is_kept_for_the_status_line_until_the_next_listen() {
        let (mut state, _receiver) = state();
        let error = SocketError::Os("no listener".to_owned());
        state.apply(
            Event::Error {
                socket: None,
                error: error.clone(),
            },
            Happened::now(),
        );
        assert_eq!(state.listener_error, Some(error));
        state.forget_last_listen();
        assert_eq!(state.listener_error, None);
    }
}

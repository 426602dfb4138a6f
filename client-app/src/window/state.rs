//! What the client is doing, apart from how the window draws it: the socket array, the
//! connects still queued behind the "at once" limit, the files going out, and what the
//! sockets' events tell (their rows and the log). Fed by [`ClientState::apply`]; no egui type
//! in it, so it is tested without a window.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, SystemTime};

use serversocket::seed::Replier;
use serversocket::tls::ClientTls;
use serversocket::watch::ConnectionWatch;
use serversocket::{
    Event, EventSender, Runtime, SocketError, SocketId, SocketIds, SocketState, TcpSocket,
};
use serversocket_app::file_to_send::{read_file_to_send, size_to_send};
use serversocket_report::Role;
use serversocket_ui::{EventLog, RowState, SendRequest, SocketRows};

/// A connect asked for and not started yet, with the settings of the moment it was asked.
#[derive(Clone)]
pub struct Connect {
    /// Where to.
    pub host: String,
    /// Which port.
    pub port: u16,
    /// The seed's behaviours as toggled.
    pub behaviour: Replier,
    /// How long the connect may take.
    pub timeout: Duration,
    /// How many connects may be under way when this one starts.
    pub in_flight: usize,
    /// The TLS settings, `None` for plain TCP.
    pub tls: Option<Arc<ClientTls>>,
}

/// A send repeated ×N every M ms on one socket, running on the socket runtime.
#[derive(Debug)]
pub struct Repeat {
    /// Its task: aborted by Stop repeating.
    task: tokio::task::JoinHandle<()>,
    /// Writes made so far (the first one, at once, included).
    written: Arc<AtomicU64>,
    /// Writes asked for.
    times: u64,
}

/// A file going out through one socket.
pub struct FileSend {
    /// The socket (its counters tell the progress).
    pub socket: TcpSocket,
    /// The file's name, for the bar's text.
    pub name: String,
    /// The file's size.
    pub total: u64,
    /// The socket's bytes sent when the file started.
    start: u64,
}

/// How far a file has gone out.
#[derive(Debug, Clone, Copy)]
pub struct FileProgress {
    /// Its bytes sent so far.
    pub sent: u64,
    /// The share sent, 0 to 1.
    pub fraction: f32,
    /// Still going: not all sent, and the socket still connected.
    pub going: bool,
}

impl FileSend {
    /// How far the file has gone, from the socket's counters (SendProgress).
    #[must_use]
    pub fn progress(&self) -> FileProgress {
        let status = self.socket.status();
        let sent = status.bytes_sent.saturating_sub(self.start).min(self.total);
        let fraction = if self.total == 0 {
            1.0
        } else {
            sent as f32 / self.total as f32
        };
        FileProgress {
            sent,
            fraction,
            going: sent != self.total && status.state == SocketState::Connected,
        }
    }
}

/// What one event changed, for the window's timeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Applied {
    /// A socket connected.
    pub connected: bool,
    /// A socket failed just now: refused, unknown host, timed out, or cut off before being
    /// served.
    pub failed: bool,
}

/// What the client is doing.
pub struct ClientState {
    /// The socket array, by index (dropping a handle closes its socket, so they are kept).
    pub sockets: Vec<TcpSocket>,
    /// Hands out each Connect's index (the seed's curSocket), each once.
    ids: SocketIds,
    /// Connects asked for and not started yet: at most their "at once" are under way, the
    /// rest start as those connect or fail.
    queued: VecDeque<Connect>,
    /// The background threads the sockets run on (declared after the sockets).
    pub runtime: Runtime,
    /// Cloned into every new socket.
    events: EventSender,
    /// Every socket as a row.
    pub rows: SocketRows,
    /// Every event as a line.
    pub log: EventLog,
    /// Files being sent, for their progress bars.
    pub file_sends: Vec<FileSend>,
    /// Sends repeated ×N every M ms still running, to show how far they are and stop them.
    pub repeats: Vec<Repeat>,
    /// Failed file sends report here (the event channel is the library's own), and the log
    /// shows them next frame.
    file_errors: (mpsc::Sender<Event>, mpsc::Receiver<Event>),
    /// Follows each connection in the kernel (TCP state, queues, RTT, and whether a server
    /// on this machine has accepted it yet).
    kernel: ConnectionWatch,
}

impl ClientState {
    /// No sockets yet; they will report to `events`, and whoever receives those feeds them
    /// back through [`Self::apply`].
    ///
    /// # Errors
    /// When the socket runtime cannot start.
    pub fn new(events: EventSender) -> Result<Self, SocketError> {
        let runtime = Runtime::new()?;
        let kernel = ConnectionWatch::start(&runtime, events.clone());
        Ok(Self {
            sockets: Vec::new(),
            ids: SocketIds::new(),
            queued: VecDeque::new(),
            runtime,
            events,
            rows: SocketRows::default(),
            log: EventLog::new(Role::Client),
            file_sends: Vec::new(),
            repeats: Vec::new(),
            file_errors: mpsc::channel(),
            kernel,
        })
    }

    /// Follows one event, which happened `at`: the socket's row and its connection in the
    /// kernel, and the log when `logged` (the window's filter).
    pub fn apply(&mut self, event: Event, logged: bool, at: SystemTime) -> Applied {
        let state_of = |rows: &SocketRows| {
            event
                .socket()
                .and_then(|id| rows.get(id))
                .map(|row| row.state)
        };
        let before = state_of(&self.rows);
        self.rows.apply(Role::Client, &event);
        self.kernel.follow_event(&event);
        let after = state_of(&self.rows);
        let applied = Applied {
            connected: matches!(event, Event::Connected { .. }),
            failed: after == Some(RowState::Failed) && before != after,
        };
        if logged {
            self.log.push(event, at);
        }
        applied
    }

    /// Adds `count` sockets and connects each as `connect` says, as the seed's Connect button
    /// does; at most its "at once" connect at a time.
    pub fn connect(&mut self, connect: &Connect, count: usize) {
        self.queued
            .extend(std::iter::repeat_n(connect, count).cloned());
        self.start_queued();
    }

    /// Starts queued connects while fewer than their "at once" are connecting.
    pub fn start_queued(&mut self) {
        if self.queued.is_empty() {
            return;
        }
        let mut connecting = self
            .sockets
            .iter()
            .filter(|socket| socket.status().state == SocketState::Connecting)
            .count();
        while let Some(next) = self.queued.front() {
            if connecting >= next.in_flight {
                break;
            }
            let Some(next) = self.queued.pop_front() else {
                break;
            };
            let mut connect = TcpSocket::builder(next.host, next.port).timeout(next.timeout);
            if let Some(tls) = next.tls {
                connect = connect.tls(tls);
            }
            self.sockets.push(connect.connect(
                &self.runtime,
                &self.ids,
                next.behaviour,
                self.events.clone(),
            ));
            connecting += 1;
        }
    }

    /// Socket `id` of the array.
    #[must_use]
    pub fn socket(&self, id: SocketId) -> Option<&TcpSocket> {
        self.sockets.iter().find(|socket| socket.id() == id)
    }

    /// Takes closed and failed sockets out of the array and the rows.
    pub fn remove_closed(&mut self) {
        self.rows.remove_finished();
        self.sockets
            .retain(|socket| self.rows.get(socket.id()).is_some());
    }

    /// Writes `bytes` to socket `id`; a failure goes to the log.
    pub fn write(&mut self, id: SocketId, bytes: Vec<u8>) {
        if let Some(Err(error)) = self.socket(id).map(|socket| socket.write(bytes)) {
            self.log.push(
                Event::Error {
                    socket: Some(id),
                    error,
                },
                SystemTime::now(),
            );
        }
    }

    /// Writes what the send box asked for; repeats run on the socket runtime.
    pub fn send(&mut self, request: &SendRequest) {
        let targets: Vec<TcpSocket> = self
            .sockets
            .iter()
            .filter(|s| request.to.is_none_or(|id| s.id() == id) && s.is_connected())
            .cloned()
            .collect();
        for socket in targets {
            if let Err(error) = socket.write(request.data.clone()) {
                self.log.push(
                    Event::Error {
                        socket: Some(socket.id()),
                        error,
                    },
                    SystemTime::now(),
                );
                continue;
            }
            if request.times > 1 {
                let written = Arc::new(AtomicU64::new(1));
                let task = self
                    .runtime
                    .handle()
                    .spawn(serversocket_app::script::repeat(
                        socket,
                        request.data.clone().into(),
                        request.times - 1,
                        request.interval,
                        Arc::clone(&written),
                    ));
                self.repeats.push(Repeat {
                    task,
                    written,
                    times: request.times,
                });
            }
        }
    }

    /// How far the repeated sends still running are: writes made and asked for, over all of
    /// them, and how many run; forgets those that ended.
    pub fn repeating(&mut self) -> Option<(u64, u64, usize)> {
        self.repeats.retain(|repeat| !repeat.task.is_finished());
        (!self.repeats.is_empty()).then(|| {
            self.repeats.iter().fold((0, 0, 0), |(done, all, n), r| {
                (
                    done + r.written.load(Ordering::Relaxed),
                    all + r.times,
                    n + 1,
                )
            })
        })
    }

    /// Stops every repeated send (what was written stays written).
    pub fn stop_repeats(&mut self) {
        for repeat in self.repeats.drain(..) {
            repeat.task.abort();
        }
    }

    /// Sends a file through every connected socket (or `to`); the file is read and fed on
    /// the socket runtime, and its progress is followed in [`Self::file_sends`]. A socket's
    /// failure reaches the log through [`Self::take_file_errors`], after `repaint` is called.
    ///
    /// # Errors
    /// Why the file cannot be sent (missing, a FIFO, a device, a folder, too large), in
    /// words for beside the Send file button: a file's problem, not the network's (it was
    /// logged as "Error = 100 (network stack error)").
    pub fn send_file(
        &mut self,
        path: &Path,
        to: Option<SocketId>,
        repaint: impl Fn() + Clone + Send + 'static,
    ) -> Result<(), String> {
        // Looked at here, never opened: a FIFO or /dev/zero is refused in words before any
        // bar shows, and nothing on this thread can wait on a file.
        let total =
            size_to_send(path).map_err(|refused| format!("cannot send the file: {refused}"))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        for socket in self
            .sockets
            .iter()
            .filter(|s| to.is_none_or(|id| s.id() == id) && s.is_connected())
        {
            self.file_sends.push(FileSend {
                socket: socket.clone(),
                name: name.clone(),
                total,
                start: socket.status().bytes_sent,
            });
            let (socket, path) = (socket.clone(), path.to_owned());
            let (errors, repaint) = (self.file_errors.0.clone(), repaint.clone());
            self.runtime.handle().spawn(async move {
                let id = socket.id();
                // The same bounded, regular-file-only reader as `--send-file`.
                let read = tokio::task::spawn_blocking(move || read_file_to_send(&path)).await;
                // The file's own problem (it changed since it was looked at) is a note of the
                // socket's, not a network error; the socket's failure is its Error.
                let failed = match read {
                    Ok(Ok(data)) => serversocket_app::script::send_file(socket, data)
                        .await
                        .err()
                        .map(|error| Event::Error {
                            socket: Some(id),
                            error,
                        }),
                    Ok(Err(e)) => Some(Event::Note {
                        socket: id,
                        text: format!("cannot send the file: {e}"),
                    }),
                    Err(e) => Some(Event::Note {
                        socket: id,
                        text: format!("reading the file failed: {e}"),
                    }),
                };
                if let Some(event) = failed {
                    let _ = errors.send(event);
                    repaint();
                }
            });
        }
        Ok(())
    }

    /// Moves the failed file sends' errors to the log.
    pub fn take_file_errors(&mut self) {
        while let Ok(event) = self.file_errors.1.try_recv() {
            self.log.push(event, SystemTime::now());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use std::net::TcpListener;

    use serversocket::{EventReceiver, event_channel};

    use super::*;

    /// A state on its own channel, no window and no egui.
    fn state() -> (ClientState, EventReceiver) {
        let (events, receiver) = event_channel(None);
        (ClientState::new(events).unwrap(), receiver)
    }

    /// A plain connect to `port` on loopback, `in_flight` at a time.
    fn connect_to(port: u16, in_flight: usize) -> Connect {
        Connect {
            host: "127.0.0.1".to_owned(),
            port,
            behaviour: Replier::new(false, false),
            timeout: Duration::from_secs(5),
            in_flight,
            tls: None,
        }
    }

    /// Applies what the sockets report (each new failure counted in `failed`) until `done`
    /// holds, within the tests' patience.
    fn apply_until(
        (state, receiver): (&mut ClientState, &mut EventReceiver),
        failed: &mut usize,
        done: impl Fn(&ClientState) -> bool,
    ) -> bool {
        test_support::within_patience(|| {
            while let Some(event) = receiver.try_recv() {
                *failed += usize::from(state.apply(event, true, SystemTime::now()).failed);
            }
            state.start_queued();
            done(state).then_some(())
        })
        .is_some()
    }

    #[test]
    fn a_burst_connects_at_most_in_flight_at_a_time_and_every_socket_gets_a_row() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mut state, mut receiver) = state();
        state.connect(&connect_to(port, 2), 5);
        assert_eq!(state.sockets.len(), 2, "two under way, three queued");
        let mut failed = 0;
        assert!(
            apply_until((&mut state, &mut receiver), &mut failed, |s| {
                s.rows.count(RowState::Connected) == 5
            }),
            "{:#?}",
            state.log.lines()
        );
        assert_eq!(state.sockets.len(), 5);
        assert_eq!(failed, 0);
        assert!(state.log.contains("Socket 4 connected."));
    }

    #[test]
    fn a_refused_connect_fails_once_and_is_removed_with_the_closed() {
        // A port nothing listens on: bound, then closed.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (mut state, mut receiver) = state();
        state.connect(&connect_to(port, 1), 1);
        let mut failed = 0;
        assert!(apply_until((&mut state, &mut receiver), &mut failed, |s| {
            s.rows.count(RowState::Failed) == 1
        }));
        assert_eq!(failed, 1, "counted when it failed, not again");
        assert_eq!(state.rows.refused(), 1);
        state.remove_closed();
        assert!(state.rows.is_empty());
        assert!(state.sockets.is_empty());
    }
}

//! The client window: the seed's Connect button and array of TCPSockets. Connect adds the next
//! socket (0, 1, 2 …) and connects it; Connect ×N opens N at once, the burst that shows why a
//! server needs a pool. Each socket has its row (state, addresses, bytes, last error, Send,
//! Close) and its lines in the shared log.

mod concepts;
mod lessons;
mod settings;
#[cfg(test)]
mod tests;
mod tls_setting;

use std::collections::VecDeque;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serversocket::bounds::IN_FLIGHT_CEILING;
use serversocket::seed::Replier;
use serversocket::watch::ConnectionWatch;
use serversocket::{
    Event, EventReceiver, EventSender, Runtime, SocketError, SocketId, SocketIds, SocketState,
    TcpSocket,
};
use serversocket_app::diagnostics::LevelSwitch;
use serversocket_lessons::{Settings as LessonSettings, Side as LessonSide};
use serversocket_report::Role;
use serversocket_ui::lesson_panel::{SavedLesson, mark};
use serversocket_ui::native::Side;
use serversocket_ui::shell::{self, AppWindow, LessonArgs, Shell};
use serversocket_ui::stream_view::StreamWindow;
use serversocket_ui::theme;
use serversocket_ui::{
    EventLog, LogView, RepaintOnEvent, RowAction, RowState, SendAction, SendBox, SendRequest,
    SocketRows, Timeline, drain_events, shortcuts, socket_table_ui,
};

use crate::Args;
pub use settings::ClientSettings;

/// The timeline's series.
const CONNECTING: &str = "sockets connecting";
const CONNECTED: &str = "sockets connected";
const CONNECTS: &str = "connects per second";
const FAILED: &str = "refused or failed per second";

/// A connect asked for and not started yet, with the settings of the moment it was asked.
struct Queued {
    /// Where to.
    host: String,
    /// Which port.
    port: u16,
    /// The seed's behaviours as toggled.
    behaviour: Replier,
    /// How long the connect may take.
    timeout: Duration,
    /// How many connects may be under way when this one starts.
    in_flight: usize,
    /// The TLS settings, `None` for plain TCP.
    tls: Option<Arc<serversocket::tls::ClientTls>>,
}

/// The client window.
pub struct ClientWindow {
    /// What the user set; remembered between runs.
    settings: ClientSettings,
    /// The socket array, by index (dropping a handle closes its socket, so they are kept).
    sockets: Vec<TcpSocket>,
    /// Hands out each Connect's index (the seed's curSocket), each once.
    ids: SocketIds,
    /// Connects asked for and not started yet: at most the "at once" setting are under way,
    /// the rest start as those connect or fail.
    queued: VecDeque<Queued>,
    /// The background threads the sockets run on (declared after the sockets).
    runtime: Runtime,
    /// Cloned into every new socket.
    events: EventSender,
    /// Events from every socket.
    receiver: EventReceiver,
    /// Repaints the window when an event arrives.
    repaint: RepaintOnEvent,
    /// Every event as a line.
    log: EventLog,
    /// How the log is looked at.
    log_view: LogView,
    /// Every socket as a row.
    rows: SocketRows,
    /// Connecting and connected sockets, connects and failures over the last minutes.
    timeline: Timeline,
    /// What to write to the selected socket or to every connected one.
    send_box: SendBox,
    /// Files being sent, for their progress bars.
    file_sends: Vec<FileSend>,
    /// The Stream view (its own loopback connection), in a window of its own.
    stream: StreamWindow,
    /// The concepts window is open.
    concepts_open: bool,
    /// Failed file sends report here (the event channel is the library's own), and the log
    /// shows them next frame.
    file_errors: (mpsc::Sender<Event>, mpsc::Receiver<Event>),
    /// Follows each connection in the kernel (TCP state, queues, RTT, and whether a server
    /// on this machine has accepted it yet).
    kernel: ConnectionWatch,
    /// The Lessons panel, the button to the server window, the trace switch.
    shell: Shell,
    /// How much of the Stream view the lesson has seen.
    stream_seen: lessons::StreamSeen,
    /// Whether new sockets connect with TLS, and whom they trust.
    tls: tls_setting::TlsSetting,
}

/// A file going out through one socket.
struct FileSend {
    /// The socket (its counters tell the progress).
    socket: TcpSocket,
    /// The file's name, for the bar's text.
    name: String,
    /// The file's size.
    total: u64,
    /// The socket's bytes sent when the file started.
    start: u64,
}

impl ClientWindow {
    /// A window with `settings` and no sockets yet.
    ///
    /// # Errors
    /// When the socket runtime cannot start.
    pub fn new(settings: ClientSettings) -> Result<Self, SocketError> {
        let (repaint, events, receiver) = RepaintOnEvent::channel();
        let runtime = Runtime::new()?;
        let kernel = ConnectionWatch::start(&runtime, events.clone());
        let mut send_box = SendBox::default();
        send_box.restore_history(settings.send_history.iter().cloned());
        let tls = tls_setting::TlsSetting::new(&settings.tls, &crate::tls_args::TlsArgs::default());
        let shell = Shell::alone(LessonSide::Client, &settings.lesson);
        Ok(Self {
            settings,
            sockets: Vec::new(),
            ids: SocketIds::new(),
            queued: VecDeque::new(),
            runtime,
            kernel,
            tls,
            events,
            receiver,
            repaint,
            log: EventLog::new(Role::Client),
            log_view: LogView::new(Role::Client),
            rows: SocketRows::default(),
            timeline: Timeline::new(
                &[
                    (CONNECTING, RowState::Connecting.color()),
                    (CONNECTED, RowState::Connected.color()),
                ],
                &[
                    (CONNECTS, serversocket_ui::theme::RATE),
                    (FAILED, RowState::Failed.color()),
                ],
            ),
            send_box,
            file_sends: Vec::new(),
            stream: StreamWindow::default(),
            concepts_open: false,
            file_errors: mpsc::channel(),
            shell,
            stream_seen: lessons::StreamSeen::default(),
        })
    }

    /// The timeline, as the window draws it.
    #[must_use]
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The log, as the window shows it.
    #[must_use]
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// Draws one frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.repaint.attach(ui.ctx());
        let mut any = false;
        self.shell.tick(ui.ctx());
        drain_events(&self.receiver, ui.ctx(), |event| {
            any = true;
            let now = Instant::now();
            let state_of = |rows: &SocketRows| {
                event
                    .socket()
                    .and_then(|id| rows.get(id))
                    .map(|row| row.state)
            };
            let before = state_of(&self.rows);
            self.rows.apply(Role::Client, &event);
            self.kernel.follow_event(&event);
            self.shell.lessons.observe(&event);
            let after = state_of(&self.rows);
            if matches!(event, Event::Connected { .. }) {
                self.timeline.count(CONNECTS, now);
            }
            // Refused, unknown host, timed out, or cut off before being served.
            if after == Some(RowState::Failed) && before != after {
                self.timeline.count(FAILED, now);
            }
            if self.settings.logs(&event) {
                self.log.push(event);
            }
        });
        if any {
            self.start_queued();
            let now = Instant::now();
            let connecting = self.rows.count(RowState::Connecting) as f64;
            self.timeline.set(CONNECTING, now, connecting);
            let connected = self.rows.count(RowState::Connected) as f64;
            self.timeline.set(CONNECTED, now, connected);
        }
        egui::Panel::top("connect").show(ui, |ui| {
            ui.add_space(4.0);
            let enter_pressed = self.settings.ui(ui);
            self.tls.ui(ui);
            ui.horizontal_wrapped(|ui| {
                self.connect_buttons_ui(ui, enter_pressed);
                self.chips_ui(ui);
                ui.separator();
                self.shell.developer_ui(ui);
                let stream = self.stream.toggle_ui(ui);
                mark(ui, "stream", &stream);
                ui.toggle_value(&mut self.concepts_open, "Concepts")
                    .on_hover_text("Plain explanations: connect, SYN_SENT, refused or reset, TIME_WAIT, ephemeral ports");
                self.shell.lessons_toggle_ui(ui);
                self.shell.other.button_ui(ui);
            });
            ui.add_space(4.0);
        });
        concepts::window_ui(ui.ctx(), &mut self.concepts_open, &self.rows, &self.tls);
        self.stream.show(ui.ctx(), &self.runtime);
        // After the Stream view took its news, so a step it ends shows in this frame.
        self.stream_to_lesson();
        self.lessons_ui(ui);
        egui::CentralPanel::default().show(ui, |ui| {
            self.timeline.ui(ui, Instant::now());
            ui.separator();
            self.sockets_ui(ui);
            ui.separator();
            self.log_view.ui(
                ui,
                &mut self.log,
                "Nothing yet: start the server and click Listen there, then click Connect here.",
            );
        });
    }

    /// The sockets' counts as chips, each one phrase that never wraps in the middle.
    fn chips_ui(&self, ui: &mut egui::Ui) {
        let rows = &self.rows;
        for (count, state, words, tip) in [
            (
                rows.count(RowState::Connecting),
                RowState::Connecting,
                "connecting",
                "Looking up the host and waiting for the handshake (the kernel's SYN_SENT)",
            ),
            (
                rows.count(RowState::Connected),
                RowState::Connected,
                "connected",
                "Connected: they can send and receive",
            ),
            (
                rows.count(RowState::Closed),
                RowState::Closed,
                "closed",
                "Closed after being connected",
            ),
        ] {
            theme::chip(ui, format!("{count} {words}"), state.color(), tip);
        }
        theme::chip(
            ui,
            format!("{} failed", rows.count(RowState::Failed)),
            RowState::Failed.color(),
            "Never served: refused, unknown host, timed out, or cut off before the server sent anything",
        );
        theme::chip(
            ui,
            format!("{} refused", rows.refused()),
            RowState::Failed.color(),
            "Refused: nothing listened when the socket connected (the server's kernel answered with a reset)",
        );
        theme::chip(
            ui,
            format!("{} dropped unserved", rows.dropped_unserved()),
            RowState::Failed.color(),
            "The connection was made, then cut before the server sent anything (it waited in the backlog of a listener that closed)",
        );
    }

    /// Connect and Connect ×N.
    fn connect_buttons_ui(&mut self, ui: &mut egui::Ui, enter_pressed: bool) {
        let ready = self.settings.validated().is_ok();
        // The more specific shortcut first: Ctrl+N alone would also match Ctrl+Shift+N.
        let burst_shortcut = shortcuts::pressed(ui, &shortcuts::CONNECT_BURST);
        let connect_shortcut = shortcuts::pressed(ui, &shortcuts::CONNECT);
        let tip = shortcuts::tip(
            ui,
            "Add the next socket to the array and connect it to the address and port",
            &shortcuts::CONNECT,
        );
        let connect = ui
            .add_enabled(ready, egui::Button::new("Connect"))
            .on_hover_text(tip);
        mark(ui, "connect", &connect);
        if connect.clicked() || ((enter_pressed || connect_shortcut) && ready) {
            self.connect(1);
        }
        let tip = shortcuts::tip(
            ui,
            "Open that many sockets at once: a burst of simultaneous connections",
            &shortcuts::CONNECT_BURST,
        );
        let burst_ok = self.settings.validated_burst();
        let burst_ready = ready && burst_ok.is_ok();
        let burst = ui
            .add_enabled(
                burst_ready,
                egui::Button::new(format!("Connect ×{}", self.settings.burst)),
            )
            .on_hover_text(tip);
        mark(ui, "connect", &burst);
        if burst.clicked() || (burst_shortcut && burst_ready) {
            self.connect(self.settings.burst);
        }
        let label = ui.label("N:");
        ui.add(egui::DragValue::new(&mut self.settings.burst).range(1..=1000))
            .labelled_by(label.id)
            .on_hover_text("How many sockets Connect ×N opens");
        let label = ui.label("at once:");
        ui.add(egui::DragValue::new(&mut self.settings.in_flight).range(1..=IN_FLIGHT_CEILING))
            .labelled_by(label.id)
            .on_hover_text("How many connects may be under way at once; the others start as these connect or fail (--in-flight)");
        if let Err(reason) = burst_ok.and(self.settings.validated_in_flight()) {
            ui.colored_label(ui.visuals().error_fg_color, reason);
        }
    }

    /// Adds `count` sockets and connects each, as the seed's Connect button does; at most
    /// the "at once" setting connect at a time.
    fn connect(&mut self, count: usize) {
        let Ok((host, port)) = self.settings.validated() else {
            return;
        };
        let Ok(in_flight) = self.settings.validated_in_flight() else {
            return;
        };
        // The TLS row says why its settings cannot be used.
        let Ok(tls) = self.tls.client_tls() else {
            return;
        };
        let behaviour = Replier::new(self.settings.say_hello, self.settings.reply);
        let timeout = Duration::from_secs(self.settings.timeout_seconds);
        if count > 1 {
            self.timeline
                .mark(Instant::now(), format!("Connect ×{count}"));
        }
        self.queued.extend((0..count).map(|_| Queued {
            host: host.clone(),
            port,
            behaviour,
            timeout,
            in_flight,
            tls: tls.clone(),
        }));
        self.start_queued();
    }

    /// Starts queued connects while fewer than their "at once" are connecting.
    fn start_queued(&mut self) {
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

    /// The socket array, with Close all and Remove closed.
    fn sockets_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Sockets");
            let close_all = ui.button("Close all").on_hover_text("Close every socket");
            mark(ui, "sockets", &close_all);
            if close_all.clicked() {
                self.sockets.iter().for_each(TcpSocket::close);
            }
            if ui
                .button("Remove closed")
                .on_hover_text("Take closed and failed sockets out of the list")
                .clicked()
            {
                self.rows.remove_finished();
                self.sockets
                    .retain(|socket| self.rows.get(socket.id()).is_some());
            }
        });
        match self.send_box.ui(ui, self.log_view.socket_filter) {
            Some(SendAction::Bytes(request)) => self.send(&request),
            Some(SendAction::File { path, to }) => self.send_file(&ui.ctx().clone(), &path, to),
            // Nothing asked, or an action this window does not offer.
            _ => {}
        }
        self.file_progress_ui(ui);
        let actions = socket_table_ui(
            ui,
            self.rows.iter_mut(),
            "Close",
            self.log_view.socket_filter,
        );
        for action in actions {
            let socket = |id: SocketId| self.sockets.iter().find(|s| s.id() == id);
            match action {
                RowAction::Send(id, text) => {
                    if let Some(Err(error)) = socket(id).map(|s| s.write(text)) {
                        self.log.push(Event::Error {
                            socket: Some(id),
                            error,
                        });
                    }
                }
                RowAction::Close(id) => socket(id).iter().for_each(|s| s.close()),
                RowAction::Select(id) => self.log_view.toggle_socket(id),
            }
        }
    }
}

impl ClientWindow {
    /// Writes what the send box asked for; repeats run on the socket runtime.
    fn send(&mut self, request: &SendRequest) {
        let targets: Vec<TcpSocket> = self
            .sockets
            .iter()
            .filter(|s| request.to.is_none_or(|id| s.id() == id) && s.is_connected())
            .cloned()
            .collect();
        for socket in targets {
            if let Err(error) = socket.write(request.data.clone()) {
                self.log.push(Event::Error {
                    socket: Some(socket.id()),
                    error,
                });
                continue;
            }
            if request.times > 1 {
                self.runtime
                    .handle()
                    .spawn(serversocket_app::script::repeat(
                        socket,
                        request.data.clone().into(),
                        request.times - 1,
                        request.interval,
                    ));
            }
        }
    }
}

impl ClientWindow {
    /// Sends a file through every connected socket (or `to`); the file is read and fed on the
    /// socket runtime, and a progress bar follows each.
    fn send_file(&mut self, ctx: &egui::Context, path: &std::path::Path, to: Option<SocketId>) {
        let total = match std::fs::metadata(path) {
            Ok(metadata) => metadata.len(),
            Err(e) => {
                self.log.push(Event::Error {
                    socket: None,
                    error: SocketError::Os(format!("cannot send {}: {e}", path.display())),
                });
                return;
            }
        };
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
            let (errors, ctx) = (self.file_errors.0.clone(), ctx.clone());
            self.runtime.handle().spawn(async move {
                let id = socket.id();
                let read = tokio::task::spawn_blocking(move || std::fs::read(path)).await;
                let sent = match read {
                    Ok(Ok(data)) => serversocket_app::script::send_file(socket, data.into()).await,
                    Ok(Err(e)) => Err(SocketError::Os(format!("cannot read the file: {e}"))),
                    Err(e) => Err(SocketError::Os(format!("reading the file failed: {e}"))),
                };
                if let Err(error) = sent {
                    let _ = errors.send(Event::Error {
                        socket: Some(id),
                        error,
                    });
                    ctx.request_repaint();
                }
            });
        }
    }

    /// A progress bar per file being sent, from the socket's counters (SendProgress).
    fn file_progress_ui(&mut self, ui: &mut egui::Ui) {
        while let Ok(event) = self.file_errors.1.try_recv() {
            self.log.push(event);
        }
        self.file_sends.retain(|send| {
            let status = send.socket.status();
            let sent = status.bytes_sent.saturating_sub(send.start).min(send.total);
            let done = sent == send.total;
            let fraction = if send.total == 0 {
                1.0
            } else {
                sent as f32 / send.total as f32
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .show_percentage()
                    .text(format!(
                        "Socket {}: {} {sent} of {} bytes",
                        send.socket.id(),
                        send.name,
                        send.total
                    )),
            );
            // Kept while going; a finished or abandoned send's bar goes with the next frame.
            !done && status.state == serversocket::SocketState::Connected
        });
    }
}

impl AppWindow for ClientWindow {
    type Settings = ClientSettings;
    const APP_NAME: &'static str = "serversocket-client";
    const TITLE: &'static str = "ServerSocket — client";
    const SIDE: LessonSide = LessonSide::Client;
    const PLACE: Side = Side::Right;

    fn shell(&self) -> &Shell {
        &self.shell
    }

    fn shell_mut(&mut self) -> &mut Shell {
        &mut self.shell
    }

    fn frame_ui(&mut self, ui: &mut egui::Ui) {
        self.ui(ui);
    }

    fn remembered_lesson(&self) -> &SavedLesson {
        &self.settings.lesson
    }

    fn settings_to_save(&mut self) -> &ClientSettings {
        self.settings.send_history = self.send_box.history.iter().cloned().collect();
        self.settings.lesson = self.shell.lessons.saved();
        self.settings.tls = self.tls.saved();
        &self.settings
    }

    fn apply_lesson_settings(&mut self, settings: &LessonSettings) {
        lessons::apply(self, settings);
    }
}

/// Opens the window; settings come from the last run, and command-line flags that differ
/// from their defaults override them.
pub fn run(args: &Args, trace_level: LevelSwitch) -> anyhow::Result<()> {
    let args = args.clone();
    let lessons = LessonArgs {
        folder: args.lessons.clone(),
        lesson: args.lesson.clone(),
    };
    shell::run(trace_level, lessons, move |remembered| {
        let mut window = ClientWindow::new(ClientSettings::from_args(remembered, &args))?;
        window.tls = tls_setting::TlsSetting::new(&window.settings.tls, &args.tls);
        Ok(window)
    })
    .map_err(anyhow::Error::msg)
}

//! The server window: a ServerSocket a learner can watch. Settings and the Listen button at the
//! top, the status line, the pool drawn as tiles, the active connections, and the log.
//!
//! Every socket action goes through the library's handles; events arrive on a channel whose
//! waker asks egui for a repaint, so an idle window draws nothing.

mod concepts;
mod dense_pool;
mod kernel_view;
mod lessons;
mod pipeline;
mod pool_view;
mod reply_setting;
mod settings;
mod status;
#[cfg(test)]
mod tests;
mod tls_concepts;
mod tls_setting;
mod views;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serversocket::naive::NaiveServer;
use serversocket::watch::ConnectionWatch;
use serversocket::{
    Event, EventReceiver, EventSender, Runtime, ServerSocket, SocketError, SocketId, TcpSocket,
};
use serversocket_app::diagnostics::LevelSwitch;
use serversocket_app::reply::{ChosenOnConnect, ReplyMode};
use serversocket_lessons::{Settings as LessonSettings, Side as LessonSide};
use serversocket_report::Role;
use serversocket_ui::lesson_panel::{SavedLesson, mark};
use serversocket_ui::native::Side;
use serversocket_ui::shell::{self, AppWindow, LessonArgs, Shell};
use serversocket_ui::stream_view::StreamWindow;
use serversocket_ui::{
    EventLog, LogView, RepaintOnEvent, RowAction, RowState, SocketRows, Timeline, drain_events,
    shortcuts, socket_table_ui,
};

use crate::Args;
pub use settings::ServerSettings;

/// The timeline's series.
const IDLE: &str = "sockets idle in the pool";
const CONNECTED: &str = "sockets connected";
const LISTENER_OPEN: &str = "listener open";
const ACCEPTS: &str = "accepts per second";
const ACCEPT_QUEUE: &str = "waiting in the kernel's accept queue";

/// Which server takes the window's connections. The ServerSocket itself always exists (its
/// limits, slow motion and socket numbering live on between Listens); in naive mode the
/// single re-listening socket takes connections instead, until Stop Listening drops it.
enum Serving {
    /// The ServerSocket's pool (listening or not).
    Pool,
    /// The naive single socket, listening and re-listening.
    Naive(NaiveServer),
}

impl Serving {
    /// In naive mode, the connections the single socket accepted so far.
    fn naive_accepted(&self) -> Option<u64> {
        match self {
            Self::Pool => None,
            Self::Naive(naive) => Some(naive.accepted()),
        }
    }
}

/// The server window.
pub struct ServerWindow {
    /// What the user set; remembered between runs.
    settings: ServerSettings,
    /// The interface picker's choices, this machine's addresses included.
    interfaces: Vec<settings::InterfaceChoice>,
    /// The ServerSocket (declared before the runtime so it is dropped first).
    server: ServerSocket,
    /// Which server takes connections now: the ServerSocket's pool, or the naive socket.
    serving: Serving,
    /// Cloned into the naive server when it starts.
    events: EventSender,
    /// The background threads the sockets run on.
    runtime: Runtime,
    /// Events from the server and its sockets.
    receiver: EventReceiver,
    /// Repaints the window when an event arrives.
    repaint: RepaintOnEvent,
    /// How new pooled sockets answer (the greeting among it); AddSocket reads it on the runtime.
    reply: Arc<Mutex<ReplyMode>>,
    /// Why the reply setting as typed cannot be used (new sockets keep the last good mode).
    reply_problem: Option<String>,
    /// Every event as a line.
    log: EventLog,
    /// How the log is looked at.
    log_view: LogView,
    /// The Stream view (the same component as the client window's), in its own window.
    stream: StreamWindow,
    /// Every socket the pool made, as tiles and rows.
    rows: SocketRows,
    /// The last listener error, shown in the status line until the next Listen.
    listener_error: Option<SocketError>,
    /// Idle and connected sockets, the listener and accepts over the last minutes.
    timeline: Timeline,
    /// Slow motion: the connection accepted and not yet handed to a pooled socket (the
    /// listener accepts nothing else meanwhile, so there is at most one).
    waiting: Option<SocketAddr>,
    /// The listener's gaps since the last Listen: how many, and how long closed in all.
    listener_gaps: (u64, Duration),
    /// Since when the listener is closed (the naive server between connections).
    closed_since: Option<Instant>,
    /// Enter was pressed in the port field this frame: Listen, as the button would.
    enter_pressed: bool,
    /// The kernel's side: the accept queue in front of the pool.
    kernel: kernel_view::KernelView,
    /// Follows each connection in the kernel, through TIME_WAIT after it closed.
    connections_in_kernel: ConnectionWatch,
    /// The main view: connections moving from the kernel through the listener to the pool.
    pipeline: pipeline::Pipeline,
    /// The stage the open concept talks about, lit in the pipeline.
    lit: Option<pipeline::Stage>,
    /// Which view shares the place under the pipeline.
    view: views::View,
    /// The Lessons panel, the button to the client window, the trace switch.
    shell: Shell,
    /// Whether connections are secured with TLS, and with which certificate.
    tls: tls_setting::TlsSetting,
}

impl ServerWindow {
    /// A window with `settings`, not yet listening.
    ///
    /// # Errors
    /// When the socket runtime cannot start.
    pub fn new(settings: ServerSettings) -> Result<Self, SocketError> {
        let runtime = Runtime::new()?;
        let (repaint, events, receiver) = RepaintOnEvent::channel();
        let (mode, reply_problem) = match settings.reply.mode(&settings.greeting) {
            Ok(mode) => (mode, None),
            Err(problem) => (ReplyMode::default(), Some(problem)),
        };
        let reply = Arc::new(Mutex::new(mode));
        let add_socket_reply = Arc::clone(&reply);
        let server = ServerSocket::new(&runtime, events.clone(), move |_id| {
            ChosenOnConnect::new(Arc::clone(&add_socket_reply))
        });
        server.set_handoff_delay(Duration::from_millis(
            settings
                .handoff_delay_ms
                .min(settings::MAX_HANDOFF_DELAY_MS),
        ));
        server.set_idle_timeout(idle_timeout(settings.idle_timeout_seconds));
        let connections_in_kernel = ConnectionWatch::start(&runtime, events.clone());
        let tls = tls_setting::TlsSetting::new(&settings.tls, &crate::tls_args::TlsArgs::default());
        let shell = Shell::alone(LessonSide::Server, &settings.lesson);
        Ok(Self {
            settings,
            interfaces: settings::interface_choices(),
            server,
            serving: Serving::Pool,
            events,
            receiver,
            repaint,
            reply,
            reply_problem,
            log: EventLog::new(Role::Server),
            log_view: LogView::new(Role::Server),
            stream: StreamWindow::default(),
            rows: SocketRows::default(),
            listener_error: None,
            timeline: Timeline::new(
                &[
                    (IDLE, RowState::Idle.color()),
                    (CONNECTED, RowState::Connected.color()),
                    (LISTENER_OPEN, serversocket_ui::theme::LISTENER),
                    (ACCEPT_QUEUE, kernel_view::WAITING_COLOR),
                ],
                &[(ACCEPTS, serversocket_ui::theme::RATE)],
            )
            .keep_every_change(LISTENER_OPEN),
            waiting: None,
            listener_gaps: (0, Duration::ZERO),
            closed_since: None,
            enter_pressed: false,
            kernel: kernel_view::KernelView::new(),
            connections_in_kernel,
            pipeline: pipeline::Pipeline::default(),
            lit: None,
            view: views::View::default(),
            shell,
            tls,
            runtime,
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

    /// Where the server listens, while it does.
    #[must_use]
    pub fn local_address(&self) -> Option<std::net::SocketAddr> {
        self.server.local_address()
    }

    /// Draws one frame: the settings and status chips at the top, then the pipeline, the
    /// tiles, the timeline, the table and the log; the concepts float over them.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.repaint.attach(ui.ctx());
        self.take_events(ui.ctx());
        self.shell.tick(ui.ctx());
        egui::Panel::top("settings").show(ui, |ui| {
            ui.add_space(4.0);
            self.settings_ui(ui);
            ui.horizontal_wrapped(|ui| {
                let enter_pressed = self.enter_pressed_once();
                self.listen_button_ui(ui, enter_pressed);
                self.chips_ui(ui);
                ui.separator();
                ui.toggle_value(&mut self.settings.show_concepts, "Concepts")
                    .on_hover_text(
                        "Plain explanations of each part, pointing at what is on screen now",
                    );
                self.stream.toggle_ui(ui);
                self.shell.lessons_toggle_ui(ui);
                self.shell.other.button_ui(ui);
                self.shell.developer_ui(ui);
            });
            ui.add_space(4.0);
        });
        self.stream.show(ui.ctx(), &self.runtime);
        self.lessons_ui(ui);
        self.concepts_ui(ui.ctx());
        egui::CentralPanel::default().show(ui, |ui| {
            let status = self.server.pool_status();
            let counts = pipeline::Counts {
                queue: self.kernel.queue(),
                listener: self.listener_state(),
                limits: (!self.naive_view()).then_some((status.limits.min, status.limits.max)),
                rows: &self.rows,
                selected: self.log_view.socket_filter,
                lit: self.lit,
            };
            if let Some(socket) = self.pipeline.ui(ui, &counts) {
                self.log_view.toggle_socket(socket);
            }
            // The naive socket has no cap to draw.
            let max = counts.limits.map(|(_, max)| max);
            views::tabs_ui(ui, &mut self.view, max.is_none(), self.pipeline.slow_mut());
            match self.view {
                views::View::Tiles => {
                    let top = ui.cursor().min;
                    let clicked =
                        pool_view::tiles_ui(ui, &self.rows, self.waiting.as_slice(), max);
                    // What a lesson points at when it says "the pool".
                    let tiles = ui.interact(
                        egui::Rect::from_min_max(
                            top,
                            egui::pos2(ui.max_rect().right(), ui.cursor().min.y),
                        ),
                        egui::Id::unique("pool tiles outline"),
                        egui::Sense::hover(),
                    );
                    mark(ui, "pool", &tiles);
                    if let Some(socket) = clicked {
                        self.log_view.toggle_socket(socket);
                    }
                }
                views::View::Timeline => self.timeline.contents_ui(ui, Instant::now()),
                views::View::Kernel => self.kernel.ui(ui, &self.server),
            }
            ui.separator();
            self.connections_ui(ui);
            ui.separator();
            self.log_view.ui(
                ui,
                &mut self.log,
                "Nothing yet: click Listen, then connect a client (the client window's Connect, or `client-app --headless`).",
            );
        });
    }

    /// The settings rows; what changed is applied at once.
    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let listening = match &self.serving {
            Serving::Pool => self.server.is_listening(),
            Serving::Naive(_) => true,
        };
        let changes = self.settings.ui(ui, listening, &self.interfaces);
        self.enter_pressed = changes.enter_pressed;
        if changes.limits {
            self.apply_limits();
        }
        if changes.slow_motion {
            self.server
                .set_handoff_delay(Duration::from_millis(self.settings.handoff_delay_ms));
        }
        if changes.idle_timeout {
            self.server
                .set_idle_timeout(idle_timeout(self.settings.idle_timeout_seconds));
        }
        // TLS at the end of the reply row: one row less, so the log keeps its room.
        let tls = &mut self.tls;
        let reply_changed = self
            .settings
            .reply
            .ui(ui, self.reply_problem.as_deref(), |ui| {
                tls.ui(ui, listening);
            });
        if changes.greeting || reply_changed {
            self.apply_reply();
        }
    }

    /// Enter was pressed in the port field this frame (read once).
    fn enter_pressed_once(&mut self) -> bool {
        std::mem::take(&mut self.enter_pressed)
    }

    /// Whether the window shows naive mode: its socket runs, or it is chosen for the next
    /// Listen (then the pool's Min and Max mean nothing and are not shown).
    fn naive_view(&self) -> bool {
        match self.serving {
            Serving::Naive(_) => true,
            Serving::Pool => self.settings.naive && !self.server.is_listening(),
        }
    }

    /// The status chips of whichever server runs, and the last listener error.
    fn chips_ui(&self, ui: &mut egui::Ui) {
        if self.naive_view() {
            status::naive_chips_ui(
                ui,
                status::NaiveStatus {
                    relisten_delay_ms: self.settings.relisten_delay_ms,
                    accepted: self.serving.naive_accepted(),
                    gaps: self.listener_gaps,
                },
            );
        } else {
            status::pool_chips_ui(
                ui,
                &self.server.pool_status(),
                &self.rows,
                self.kernel.queue(),
            );
        }
        if let Some(error) = &self.listener_error {
            status::error_chip_ui(ui, error);
        }
    }

    /// Whether the listener takes connections now, for the pipeline.
    fn listener_state(&self) -> pipeline::ListenerState {
        let open = match self.serving {
            Serving::Pool => self.server.is_listening(),
            Serving::Naive(_) if self.closed_since.is_some() => {
                return pipeline::ListenerState::Gap;
            }
            Serving::Naive(_) => true,
        };
        if !open {
            pipeline::ListenerState::Closed
        } else if self.server.is_accepting_paused() && matches!(self.serving, Serving::Pool) {
            pipeline::ListenerState::Paused
        } else {
            pipeline::ListenerState::Open
        }
    }

    /// The concepts, floating over the right of the window so the main view keeps its width;
    /// the stage of the concept open lights up in the pipeline.
    fn concepts_ui(&mut self, ctx: &egui::Context) {
        self.lit = None;
        if !self.settings.show_concepts {
            return;
        }
        let status = self.server.pool_status();
        let live = concepts::Live {
            status: &status,
            rows: &self.rows,
            naive_accepted: self.serving.naive_accepted(),
            waiting: self.waiting.as_slice(),
            handoff_delay_ms: self.settings.handoff_delay_ms,
            port: self.settings.validated().ok().map(|(_, port)| port),
            accept_queue: self.kernel.queue(),
            kernel_unavailable: self.kernel.unavailable(),
            paused: self.server.is_accepting_paused(),
        };
        let tls = self.server.tls();
        let mut open = true;
        let mut lit = None;
        serversocket_ui::concepts_window::concepts_window(ctx, &mut open).show(ctx, |ui| {
            let more = |ui: &mut egui::Ui| {
                tls_concepts::ui(
                    ui,
                    &tls_concepts::Live {
                        tls: tls.as_deref(),
                        rows: &self.rows,
                    },
                );
            };
            lit = concepts::ui(ui, &live, more).and_then(pipeline::Stage::of_concept);
        });
        self.lit = lit;
        self.settings.show_concepts = open;
    }

    /// Makes the reply setting as typed the one new sockets use, or shows why it cannot be.
    fn apply_reply(&mut self) {
        match self.settings.reply.mode(&self.settings.greeting) {
            Ok(mode) => {
                *self.reply.lock().unwrap_or_else(PoisonError::into_inner) = mode;
                self.reply_problem = None;
            }
            Err(problem) => self.reply_problem = Some(problem),
        }
    }

    /// Takes what the sockets reported since the last frame.
    fn take_events(&mut self, ctx: &egui::Context) {
        let mut taken = Vec::new();
        drain_events(&self.receiver, ctx, |event| taken.push(event));
        if taken.is_empty() {
            return;
        }
        for event in taken {
            self.record_event(event);
        }
        let now = Instant::now();
        self.timeline
            .set(IDLE, now, self.rows.count(RowState::Idle) as f64);
        self.timeline
            .set(CONNECTED, now, self.rows.count(RowState::Connected) as f64);
    }

    /// Shows an event in the log, the rows and tiles, and the status line. The window calls it
    /// for everything the server reports; benchmarks call it to fill the window.
    pub fn record_event(&mut self, event: Event) {
        if let Event::Error {
            socket: None,
            error,
        } = &event
        {
            self.listener_error = Some(error.clone());
        }
        let now = Instant::now();
        match &event {
            Event::Listening { .. } => {
                self.timeline.set(LISTENER_OPEN, now, 1.0);
                self.closed_since = None;
            }
            // The naive listener's gaps: only these count, not a Stop and Listen by the user.
            Event::ListenerReopened { .. } => {
                self.timeline.set(LISTENER_OPEN, now, 1.0);
                if let Some(since) = self.closed_since.take() {
                    self.listener_gaps.0 += 1;
                    self.listener_gaps.1 += now.saturating_duration_since(since);
                }
            }
            Event::Stopped | Event::ListenerClosed => {
                self.timeline.set(LISTENER_OPEN, now, 0.0);
                self.closed_since = matches!(event, Event::ListenerClosed).then_some(now);
                // A connection still waiting for its handoff was closed with the listener.
                self.waiting = None;
            }
            Event::Accepted { remote, .. } => self.waiting = Some(*remote),
            Event::Connected { .. } => {
                self.timeline.count(ACCEPTS, now);
                // The handoff of the waiting connection, the only one there can be.
                self.waiting = None;
            }
            Event::LimitsChanged { min, max } => {
                self.timeline.mark(now, format!("Min {min} / Max {max}"));
            }
            Event::AcceptQueue {
                waiting, overflows, ..
            } => {
                self.timeline.set(ACCEPT_QUEUE, now, f64::from(*waiting));
                let before = self.kernel.queue().map_or(0, |q| q.overflows);
                if *overflows > before {
                    self.timeline
                        .mark(now, format!("{} dropped (overflow)", overflows - before));
                }
            }
            _ => {}
        }
        self.kernel.record(&event);
        self.pipeline.record(
            &event,
            Duration::from_millis(self.settings.handoff_delay_ms),
        );
        self.shell.lessons.observe(&event);
        self.connections_in_kernel.follow_event(&event);
        self.rows.apply(Role::Server, &event);
        self.log.push(event);
    }

    /// The seed's Listen button (Stop Listening while listening).
    fn listen_button_ui(&mut self, ui: &mut egui::Ui, enter_pressed: bool) {
        if let Serving::Naive(_) = self.serving {
            let tip = shortcuts::tip(ui, "Close the naive listening socket", &shortcuts::LISTEN);
            let stop = ui.button("Stop Listening").on_hover_text(tip);
            mark(ui, "listen", &stop);
            if stop.clicked() || shortcuts::pressed(ui, &shortcuts::LISTEN) {
                // Dropping it stops its listener and closes its connections.
                self.serving = Serving::Pool;
                self.timeline.mark(Instant::now(), "Stop Listening");
            }
        } else if self.server.is_listening() {
            let tip = shortcuts::tip(
                ui,
                "Close the listening socket and release the idle pool; connected sockets stay connected",
                &shortcuts::LISTEN,
            );
            let stop = ui.button("Stop Listening").on_hover_text(tip);
            mark(ui, "listen", &stop);
            if stop.clicked() || shortcuts::pressed(ui, &shortcuts::LISTEN) {
                self.server.stop_listening();
                self.timeline.mark(Instant::now(), "Stop Listening");
            }
        } else {
            let ready = self.settings.validated().is_ok();
            let tip = shortcuts::tip(
                ui,
                "Open the listening socket on the port; AddSocket fills the pool with MinimumSocketsAvailable idle sockets",
                &shortcuts::LISTEN,
            );
            let listen = ui
                .add_enabled(ready, egui::Button::new("Listen"))
                .on_hover_text(tip);
            mark(ui, "listen", &listen);
            let clicked = listen.clicked();
            let shortcut = shortcuts::pressed(ui, &shortcuts::LISTEN);
            if clicked || ((enter_pressed || shortcut) && ready) {
                self.listen();
            }
        }
    }

    /// Applies the settings and starts listening; a failure shows in the status line and log.
    fn listen(&mut self) {
        let Ok((interface, port)) = self.settings.validated() else {
            return;
        };
        self.listener_error = None;
        self.listener_gaps = (0, Duration::ZERO);
        self.closed_since = None;
        let mode = if self.settings.naive {
            "Listen (naive)"
        } else {
            "Listen"
        };
        self.timeline.mark(Instant::now(), mode);
        if self.settings.naive {
            let reply = Arc::clone(&self.reply);
            // One numbering for both modes: the rows of earlier sockets stay, and no new
            // socket may take their ids.
            let started = NaiveServer::listen_with_ids(
                &self.runtime,
                self.events.clone(),
                std::net::SocketAddr::new(interface, port),
                std::time::Duration::from_millis(self.settings.relisten_delay_ms),
                self.server.socket_ids(),
                move |_id| {
                    reply
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .handler()
                },
            );
            match started {
                Ok((naive, _address)) => self.serving = Serving::Naive(naive),
                // Returned, not sent as an event: shown as the event would be, once.
                Err(error) => self.record_event(Event::Error {
                    socket: None,
                    error,
                }),
            }
            return;
        }
        self.server.set_network_interface(interface);
        self.server.set_port(port);
        self.server.set_backlog(self.settings.backlog);
        // The TLS row says why a certificate cannot be used.
        let Ok(tls) = self.tls.certificate() else {
            return;
        };
        self.server.set_tls(tls);
        let started = self
            .server
            .set_limits(self.settings.min, self.settings.max)
            .and_then(|()| self.server.listen());
        if let Err(error) = started {
            // Listen returns its error and sends no event for it: this is its one report, shown
            // (log, status line, lessons) as the event would be.
            self.record_event(Event::Error {
                socket: None,
                error,
            });
        }
    }

    /// Min or Max changed: applied at once, even while listening.
    fn apply_limits(&mut self) {
        match self.server.set_limits(self.settings.min, self.settings.max) {
            Ok(()) => self.settings.limits_error = None,
            Err(error) => self.settings.limits_error = Some(error.to_string()),
        }
    }

    /// A connected socket of whichever server runs: the naive one or the ServerSocket.
    fn connection(&self, id: SocketId) -> Option<TcpSocket> {
        match &self.serving {
            Serving::Naive(naive) => naive.connection(id),
            Serving::Pool => self.server.connection(id),
        }
    }

    /// The active connections, with Send and Disconnect per row, and Disconnect all.
    fn connections_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let heading = ui.heading("Active connections").on_hover_text(
                "ActiveConnections: the sockets now connected, and closed ones whose connection \
                 the kernel still keeps (TIME_WAIT when this side closed first), until it forgets it",
            );
            mark(ui, "table", &heading);
            let disconnect_all = ui
                .button("Disconnect all")
                .on_hover_text("Close every connected socket");
            mark(ui, "table", &disconnect_all);
            if disconnect_all.clicked() {
                match &self.serving {
                    Serving::Naive(naive) => naive.close_all(),
                    Serving::Pool => self.server.close_all(),
                }
            }
        });
        let actions = socket_table_ui(
            ui,
            self.rows
                .iter_mut()
                .filter(|row| shows_in_active_connections(row)),
            "Disconnect",
            self.log_view.socket_filter,
        );
        for action in actions {
            match action {
                RowAction::Send(id, text) => {
                    if let Some(socket) = self.connection(id)
                        && let Err(error) = socket.write(text)
                    {
                        self.log.push(Event::Error {
                            socket: Some(id),
                            error,
                        });
                    }
                }
                RowAction::Close(id) => {
                    if let Some(socket) = self.connection(id) {
                        socket.close();
                    }
                }
                RowAction::Select(id) => self.log_view.toggle_socket(id),
            }
        }
    }
}

impl AppWindow for ServerWindow {
    type Settings = ServerSettings;
    const APP_NAME: &'static str = "serversocket-server";
    const TITLE: &'static str = "ServerSocket — server";
    const SIDE: LessonSide = LessonSide::Server;
    const PLACE: Side = Side::Left;

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

    fn settings_to_save(&mut self) -> &ServerSettings {
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
        let mut window = ServerWindow::new(ServerSettings::from_args(remembered, &args))?;
        window.tls = tls_setting::TlsSetting::new(&window.settings.tls, &args.tls);
        Ok(window)
    })
    .map_err(anyhow::Error::msg)
}

/// The idle timeout for `seconds` as set in the window (0 = none).
fn idle_timeout(seconds: u64) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// A row of the Active connections table: a connected socket, or a closed one whose connection
/// the kernel still keeps (TIME_WAIT, LAST_ACK …): the learner sees which side holds TIME_WAIT,
/// and the row leaves when the kernel forgets the connection.
fn shows_in_active_connections(row: &serversocket_ui::SocketRow) -> bool {
    match row.state {
        RowState::Connected => true,
        RowState::Closed | RowState::Failed => row.kernel.is_some(),
        _ => false,
    }
}

//! The server window: a ServerSocket a learner can watch. Settings and the Listen button at the
//! top, the status line, the pool drawn as tiles, the active connections, and the log.
//!
//! What the server is doing lives in [`state::ServerState`], fed by its events and tested
//! without egui; this window keeps what it shows (the settings as typed, the view picked, the
//! pipeline's movement, the timeline, the log's filter) and draws the state: `ui.rs` draws a
//! frame, `logic.rs` takes the events and turns clicks into the state's actions. Events arrive
//! on a channel whose waker asks egui for a repaint, so an idle window draws nothing.

mod concepts;
mod dense_pool;
mod kernel_view;
mod lessons;
mod logic;
mod pipeline;
mod pool_view;
mod reply_setting;
mod settings;
pub mod state;
mod status;
#[cfg(test)]
mod tests;
mod tls_concepts;
mod tls_setting;
mod ui;
mod views;

use serversocket::{EventReceiver, SocketError};
use serversocket_app::diagnostics::LevelSwitch;
use serversocket_lessons::{Settings as LessonSettings, Side as LessonSide};
use serversocket_report::Role;
use serversocket_ui::lesson_panel::SavedLesson;
use serversocket_ui::shell::{self, AppWindow, LessonArgs, Shell};
use serversocket_ui::stream_view::StreamWindow;
use serversocket_ui::{EventLog, LogView, RepaintOnEvent, RowState, Timeline};

use crate::Args;
pub use settings::ServerSettings;
use state::ServerState;
// The window tests name it beside the window (`super::Serving`).
#[cfg(test)]
use state::Serving;

/// The timeline's series.
const IDLE: &str = "sockets idle in the pool";
const CONNECTED: &str = "sockets connected";
const LISTENER_OPEN: &str = "listener open";
const ACCEPTS: &str = "accepts per second";
const ACCEPT_QUEUE: &str = "waiting in the kernel's accept queue";

/// The server window.
pub struct ServerWindow {
    /// What the user set; remembered between runs.
    settings: ServerSettings,
    /// What the server is doing: its socket, rows, log, the kernel's queue.
    server: ServerState,
    /// The interface picker's choices, this machine's addresses included.
    interfaces: Vec<settings::InterfaceChoice>,
    /// Repaints the window when an event arrives.
    repaint: RepaintOnEvent,
    /// What the sockets report; taken each frame, within a time budget.
    receiver: EventReceiver,
    /// How the log is looked at.
    log_view: LogView,
    /// The Stream view (the same component as the client window's), in its own window.
    stream: StreamWindow,
    /// Idle and connected sockets, the listener and accepts over the last minutes.
    timeline: Timeline,
    /// Enter was pressed in the port field this frame: Listen, as the button would.
    enter_pressed: bool,
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
    /// While listening, show every setting rather than the one row that may change then.
    all_settings: bool,
    /// The capture of the server's port, when the learner turned it on.
    packets: serversocket_ui::packets::Packets,
    /// The Packets view's controls.
    packets_view: serversocket_ui::packets_view::PacketsView,
}

impl ServerWindow {
    /// A window with `settings`, not yet listening.
    ///
    /// # Errors
    /// When the socket runtime cannot start.
    pub fn new(settings: ServerSettings) -> Result<Self, SocketError> {
        let (repaint, events, receiver) = RepaintOnEvent::channel();
        let server = ServerState::new(&settings, events)?;
        let tls = tls_setting::TlsSetting::new(&settings.tls, &crate::tls_args::TlsArgs::default());
        let shell = Shell::alone(LessonSide::Server, &settings.lesson);
        let mut window = Self {
            settings,
            server,
            interfaces: settings::interface_choices(),
            repaint,
            receiver,
            log_view: LogView::new(Role::Server),
            stream: StreamWindow::default(),
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
            enter_pressed: false,
            pipeline: pipeline::Pipeline::default(),
            lit: None,
            view: views::View::default(),
            shell,
            tls,
            all_settings: false,
            packets: serversocket_ui::packets::Packets::new(serversocket_capture::End::Server),
            packets_view: serversocket_ui::packets_view::PacketsView::new(
                serversocket_capture::End::Server,
            ),
        };
        // The pool's limits are the remembered ones from the start, so the status and the
        // pool's tile say the Min and Max the settings show before the first Listen.
        window.apply_limits();
        Ok(window)
    }

    /// The timeline, as the window draws it.
    #[must_use]
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// The log, as the window shows it.
    #[must_use]
    pub fn log(&self) -> &EventLog {
        &self.server.log
    }

    /// What each socket is doing, as the window's table shows it.
    #[must_use]
    pub fn rows(&self) -> &serversocket_ui::SocketRows {
        &self.server.rows
    }

    /// Where the server listens, while it does.
    #[must_use]
    pub fn local_address(&self) -> Option<std::net::SocketAddr> {
        self.server.socket.local_address()
    }
}

impl AppWindow for ServerWindow {
    type Settings = ServerSettings;
    type Args = Args;
    const SIDE: LessonSide = LessonSide::Server;

    fn from_args(remembered: Option<ServerSettings>, args: &Args) -> Result<Self, SocketError> {
        let mut window = ServerWindow::new(ServerSettings::from_args(remembered, args))?;
        window.tls = tls_setting::TlsSetting::new(&window.settings.tls, &args.tls);
        Ok(window)
    }

    fn lesson_args(args: &Args) -> LessonArgs {
        LessonArgs {
            folder: args.lessons.clone(),
            lesson: args.lesson.clone(),
        }
    }

    fn shell(&self) -> &Shell {
        &self.shell
    }

    fn shell_mut(&mut self) -> &mut Shell {
        &mut self.shell
    }

    fn frame_ui(&mut self, ui: &mut egui::Ui) {
        self.ui(ui);
    }

    fn take_events(&mut self, ctx: &egui::Context) {
        ServerWindow::take_events(self, ctx);
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

    fn lesson_port(&self) -> Option<u16> {
        // Port 0 is "any port": not one a learner can type into `nc`.
        self.local_address()
            .map(|address| address.port())
            .or_else(|| self.settings.port.trim().parse().ok())
            .filter(|port| *port != 0)
    }
}

/// Opens the window (see [`shell::run`]).
pub fn run(args: &Args, trace_level: LevelSwitch) -> anyhow::Result<()> {
    shell::run::<ServerWindow>(args, trace_level).map_err(anyhow::Error::msg)
}

//! The client window: the seed's Connect button and array of TCPSockets. Connect adds the next
//! socket (0, 1, 2 …) and connects it; Connect ×N opens N at once, the burst that shows why a
//! server needs a pool. Each socket has its row (state, addresses, bytes, last error, Send,
//! Close) and its lines in the shared log.
//!
//! What the client is doing lives in [`state::ClientState`], fed by its events and tested
//! without egui; this window keeps what it shows (the settings as typed, the send box, the
//! timeline, the log's filter) and draws the state: `ui.rs` draws a frame, `logic.rs` takes
//! the events and turns clicks into the state's actions.

mod concepts;
mod lessons;
mod logic;
mod settings;
pub mod state;
#[cfg(test)]
mod tests;
mod tls_setting;
mod trust_offer;
mod ui;

use serversocket::{EventReceiver, SocketError};
use serversocket_app::diagnostics::LevelSwitch;
use serversocket_lessons::{Settings as LessonSettings, Side as LessonSide};
use serversocket_report::Role;
use serversocket_ui::lesson_panel::SavedLesson;
use serversocket_ui::shell::{self, AppWindow, LessonArgs, Shell};
use serversocket_ui::stream_view::StreamWindow;
use serversocket_ui::{EventLog, LogView, RepaintOnEvent, RowState, SendBox, Timeline};

use crate::Args;
pub use settings::ClientSettings;
use state::ClientState;
pub use tls_setting::SavedTls;

/// The timeline's series.
const CONNECTING: &str = "sockets connecting";
const CONNECTED: &str = "sockets connected";
const CONNECTS: &str = "connects per second";
const FAILED: &str = "refused or failed per second";

/// The client window.
pub struct ClientWindow {
    /// What the user set; remembered between runs.
    settings: ClientSettings,
    /// What the client is doing: its sockets, queued connects, file sends, rows and log.
    client: ClientState,
    /// Repaints the window when an event arrives.
    repaint: RepaintOnEvent,
    /// What the sockets report; taken each frame, within a time budget.
    receiver: EventReceiver,
    /// How the log is looked at.
    log_view: LogView,
    /// Connecting and connected sockets, connects and failures over the last minutes.
    timeline: Timeline,
    /// What to write to the selected socket or to every connected one.
    send_box: SendBox,
    /// The Stream view (its own loopback connection), in a window of its own.
    stream: StreamWindow,
    /// The concepts window is open.
    concepts_open: bool,
    /// The Lessons panel, the button to the server window, the trace switch.
    shell: Shell,
    /// How much of the Stream view the lesson has seen.
    stream_seen: lessons::StreamSeen,
    /// Whether new sockets connect with TLS, and whom they trust.
    tls: tls_setting::TlsSetting,
    /// After a connect failed on a certificate of an unknown CA: its fingerprint, to pin.
    trust_offer: Option<trust_offer::TrustOffer>,
    /// The capture of the server's port, when the learner turned it on.
    packets: serversocket_ui::packets::Packets,
    /// The Packets view, in a window of its own.
    packets_window: serversocket_ui::packets_view::PacketsWindow,
}

impl ClientWindow {
    /// A window with `settings` and no sockets yet.
    ///
    /// # Errors
    /// When the socket runtime cannot start.
    pub fn new(settings: ClientSettings) -> Result<Self, SocketError> {
        let (repaint, events, receiver) = RepaintOnEvent::channel();
        let client = ClientState::new(events)?;
        let mut send_box = SendBox::default();
        send_box.restore_history(settings.send_history.iter().cloned());
        let tls = tls_setting::TlsSetting::new(&settings.tls, &crate::tls_args::TlsArgs::default());
        let shell = Shell::alone(LessonSide::Client, &settings.lesson);
        Ok(Self {
            settings,
            client,
            repaint,
            receiver,
            log_view: LogView::new(Role::Client),
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
            stream: StreamWindow::default(),
            concepts_open: false,
            shell,
            stream_seen: lessons::StreamSeen::default(),
            tls,
            trust_offer: None,
            packets: serversocket_ui::packets::Packets::new(serversocket_capture::End::Client),
            packets_window: serversocket_ui::packets_view::PacketsWindow::new(
                serversocket_capture::End::Client,
            ),
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
        &self.client.log
    }

    /// What each socket is doing, as the window's table shows it.
    #[must_use]
    pub fn rows(&self) -> &serversocket_ui::SocketRows {
        &self.client.rows
    }
}

impl AppWindow for ClientWindow {
    type Settings = ClientSettings;
    type Args = Args;
    const SIDE: LessonSide = LessonSide::Client;

    fn from_args(remembered: Option<ClientSettings>, args: &Args) -> Result<Self, SocketError> {
        let mut window = ClientWindow::new(ClientSettings::from_args(remembered, args))?;
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
        ClientWindow::take_events(self, ctx);
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

    fn lesson_port(&self) -> Option<u16> {
        self.settings
            .port
            .trim()
            .parse()
            .ok()
            .filter(|port| *port != 0)
    }
}

/// Opens the window (see [`shell::run`]).
pub fn run(args: &Args, trace_level: LevelSwitch) -> anyhow::Result<()> {
    shell::run::<ClientWindow>(args, trace_level).map_err(anyhow::Error::msg)
}

//! One app shell for both windows: what the server's and the client's window do the same
//! around their own view. The Lessons panel, the button that brings the other window to the
//! front, the trace level switch, the settings saved between runs, and how the app opens its
//! window. A window implements [`AppWindow`]; [`run`] opens it.

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serversocket::SocketError;
use serversocket_app::diagnostics::LevelSwitch;
use serversocket_lessons::{Settings, Side};

use crate::lesson_panel::{LessonPanel, SavedLesson};
use crate::native::{self, open_window};
use crate::other_window::OtherWindow;

/// What every window has besides its own view.
pub struct Shell {
    /// The Lessons panel: a guided lab on this window and the other's.
    pub lessons: LessonPanel,
    /// The button that brings the other window to the front (a small screen hides it).
    pub other: OtherWindow,
    /// The terminal diagnostics' level switch (none in tests).
    pub trace_level: Option<LevelSwitch>,
}

impl Shell {
    /// A window's shell on its own (tests): the shipped lessons, resuming `saved`, following
    /// no other window, and no trace switch.
    #[must_use]
    pub fn alone(side: Side, saved: &SavedLesson) -> Self {
        Self {
            lessons: LessonPanel::new(side, None, None, saved),
            other: OtherWindow::alone(side),
            trace_level: None,
        }
    }

    /// Once per frame, before drawing: the lesson's clock and the other window's requests.
    pub fn tick(&mut self, ctx: &egui::Context) {
        self.lessons.tick(ctx);
        self.other.tick(ctx);
        // A field typed in takes its value when the window is left, as when the field is:
        // Max 2 typed, then a click in the other window, left the pool at Max 10 while the
        // field said 2 (a number field takes a typed value on Enter or when left).
        if !ctx.input(|input| input.focused)
            && let Some(id) = ctx.memory(egui::Memory::focused)
        {
            ctx.memory_mut(|memory| memory.surrender_focus(id));
        }
    }

    /// The Lessons toggle on the window's top bar.
    pub fn lessons_toggle_ui(&mut self, ui: &mut egui::Ui) {
        ui.toggle_value(&mut self.lessons.open, "Lessons")
            .on_hover_text("Guided labs: step by step, checked against what the sockets really do");
    }

    /// The Developer menu, in the app (tests have no trace switch).
    pub fn developer_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(switch) = &mut self.trace_level {
            ui.menu_button("Developer", |ui| {
                crate::diagnostics::level_switch_ui(ui, switch);
            })
            .response
            .on_hover_text("Settings for developers: how much the library traces on the terminal");
        }
    }
}

/// A window the shell can run: the server's or the client's.
pub trait AppWindow: Sized + 'static {
    /// What the user set, remembered between runs.
    type Settings: Serialize + DeserializeOwned;
    /// The app's command line.
    type Args: Clone + 'static;
    /// Which window this is: it names the app's saved settings and the window's title, says
    /// where the window opens on a wide screen, and which lesson steps are its own.
    const SIDE: Side;

    /// The window for the settings remembered from the last run, with the command-line flags
    /// that differ from their defaults over them.
    ///
    /// # Errors
    /// When the window's sockets cannot start (no runtime).
    fn from_args(
        remembered: Option<Self::Settings>,
        args: &Self::Args,
    ) -> Result<Self, SocketError>;
    /// What the command line says about lessons.
    fn lesson_args(args: &Self::Args) -> LessonArgs;

    /// The shell of this window.
    fn shell(&self) -> &Shell;
    /// The shell of this window, to change.
    fn shell_mut(&mut self) -> &mut Shell;
    /// Draws one frame.
    fn frame_ui(&mut self, ui: &mut egui::Ui);
    /// Takes what the sockets reported into the window's state. eframe calls it before each
    /// frame, and also while the window is minimized or covered and draws nothing: the
    /// sockets' events must be taken all the same, or a hidden server would stop serving.
    fn take_events(&mut self, ctx: &egui::Context);
    /// The lesson remembered from the last run (in the settings), which the app resumes.
    fn remembered_lesson(&self) -> &SavedLesson;
    /// The settings to remember, with what the window keeps elsewhere (the lesson, the TLS
    /// choice) gathered into them.
    fn settings_to_save(&mut self) -> &Self::Settings;
    /// What a lesson's step sets, applied as if the learner had typed it.
    fn apply_lesson_settings(&mut self, settings: &Settings);
    /// The server's port as this window knows it, which the lesson's words name
    /// ([`LessonPanel::set_port`]); `None` when it is not known.
    fn lesson_port(&self) -> Option<u16>;

    /// The Lessons panel.
    fn lessons(&self) -> &LessonPanel {
        &self.shell().lessons
    }

    /// The Lessons panel, to start a lesson (tests, `--lesson`).
    fn lessons_mut(&mut self) -> &mut LessonPanel {
        &mut self.shell_mut().lessons
    }

    /// Replaces the Lessons panel (tests give it a sync folder of their own).
    fn set_lessons(&mut self, panel: LessonPanel) {
        self.shell_mut().lessons = panel;
    }

    /// Tells the Lessons panel the server's port as this window knows it (its steps' words,
    /// and the server window's position the client window follows).
    fn tell_lessons_the_port(&mut self) {
        let port = self.lesson_port();
        self.shell_mut().lessons.set_port(port);
    }

    /// The Lessons panel, when open, and the settings its current step asks for. Call before
    /// the central panel.
    fn lessons_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(settings) = self.shell_mut().lessons.take_settings() {
            self.apply_lesson_settings(&settings);
        }
        self.tell_lessons_the_port();
        self.shell_mut().lessons.side_panel_ui(ui);
        if self.shell_mut().lessons.take_show_other() {
            self.shell_mut().other.show_other();
        }
    }
}

/// What the command line says about lessons, for [`run`].
#[derive(Debug, Clone, Default)]
pub struct LessonArgs {
    /// A teacher's folder of lesson files (`--lessons`).
    pub folder: Option<PathBuf>,
    /// The lesson to open on (`--lesson`).
    pub lesson: Option<String>,
}

/// Opens the window as the app does, from the settings remembered from the last run and the
/// command line: its Lessons panel and its button follow the other app through the shared
/// folder, and the Developer menu switches `trace_level`.
///
/// # Errors
/// When the window cannot open (no display, no GL) or its sockets cannot start.
pub fn run<W: AppWindow>(args: &W::Args, trace_level: LevelSwitch) -> Result<(), String> {
    let lessons = W::lesson_args(args);
    let args = args.clone();
    let (app_name, title, place) = match W::SIDE {
        Side::Server => (
            "serversocket-server",
            "ServerSocket — server",
            native::Side::Left,
        ),
        Side::Client => (
            "serversocket-client",
            "ServerSocket — client",
            native::Side::Right,
        ),
    };
    open_window(app_name, title, place, move |remembered| {
        let mut window = W::from_args(remembered, &args)?;
        let saved = window.remembered_lesson().clone();
        *window.shell_mut() = Shell {
            lessons: LessonPanel::for_app(
                W::SIDE,
                lessons.folder.as_deref(),
                &saved,
                lessons.lesson.as_deref(),
            ),
            other: OtherWindow::for_app(W::SIDE),
            trace_level: Some(trace_level),
        };
        Ok::<_, SocketError>(Framed(window))
    })
}

/// A window as eframe runs it (public so that a test can run it as eframe does).
pub struct Framed<W>(pub W);

impl<W: AppWindow> eframe::App for Framed<W> {
    // eframe runs only this while the window is covered or minimized: the sockets' events,
    // a request from the other window to come to the front, and the lesson the other window
    // moves on (a step done there, a start or a Reset with what it sets here) must be taken
    // then too. A covered window followed only once raised, its report stamping the other
    // window's steps with that moment, and a Reset left its sockets open until then.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.0.take_events(ctx);
        self.0.shell_mut().tick(ctx);
        if let Some(settings) = self.0.shell_mut().lessons.take_settings() {
            self.0.apply_lesson_settings(&settings);
        }
        // Also while minimized or covered, when nothing is drawn: a server window hidden
        // from its start published no port for the client window to follow.
        self.0.tell_lessons_the_port();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.0.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        save(&mut self.0, storage);
    }
}

/// Saves what `window` remembers between runs, as eframe does when it closes.
pub fn save<W: AppWindow>(window: &mut W, storage: &mut dyn eframe::Storage) {
    eframe::set_value(storage, eframe::APP_KEY, window.settings_to_save());
}

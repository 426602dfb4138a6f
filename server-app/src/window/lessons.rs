//! The server window's side of a lesson: the Lessons panel beside the main view, and the
//! settings a lesson's step applies to the server.

use std::path::Path;

use serversocket_lessons::{ServerMode, Settings, Side};
use serversocket_ui::lesson_panel::LessonPanel;

use super::ServerWindow;

impl ServerWindow {
    /// The Lessons panel, when open, and the settings its current step asks for.
    pub(super) fn lessons_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(settings) = self.lessons.take_settings() {
            self.apply_lesson_settings(&settings);
        }
        self.lessons.side_panel_ui(ui);
    }

    /// What a step sets, applied as if the learner had typed it: Min and Max at once (even
    /// while listening), the rest at the next Listen. Client settings are the client's.
    fn apply_lesson_settings(&mut self, settings: &Settings) {
        if let Some(mode) = settings.mode {
            self.settings.naive = mode == ServerMode::Naive;
        }
        if let Some(port) = settings.port {
            self.settings.port = port.to_string();
        }
        if let Some(backlog) = settings.backlog {
            self.settings.backlog = backlog;
        }
        if let Some(tls) = settings.tls {
            self.tls.enabled = tls;
        }
        if let Some(paused) = settings.paused {
            self.server.set_accepting_paused(paused);
        }
        if settings.min.is_some() || settings.max.is_some() {
            self.settings.min = settings.min.unwrap_or(self.settings.min);
            self.settings.max = settings.max.unwrap_or(self.settings.max);
            self.apply_limits();
        }
    }

    /// In the app (not in tests): the panel that follows the other window, with `--lessons`
    /// and `--lesson`.
    pub(super) fn start_lessons(&mut self, folder: Option<&Path>, lesson: Option<&str>) {
        self.lessons = LessonPanel::for_app(Side::Server, folder, &self.settings.lesson, lesson);
    }

    /// The Lessons panel.
    #[must_use]
    pub fn lessons(&self) -> &LessonPanel {
        &self.lessons
    }

    /// The Lessons panel, to start a lesson (tests, `--lesson`).
    pub fn lessons_mut(&mut self) -> &mut LessonPanel {
        &mut self.lessons
    }

    /// Replaces the Lessons panel (tests give it a sync folder of their own).
    pub fn set_lessons(&mut self, panel: LessonPanel) {
        self.lessons = panel;
    }
}

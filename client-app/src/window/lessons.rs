//! The client window's side of a lesson: the Lessons panel, the settings a step applies to
//! the client, and the Stream view's writes and reads as records a step can wait for.

use std::path::Path;

use serde_json::json;
use serversocket_lessons::{Settings, Side};
use serversocket_ui::lesson_panel::LessonPanel;

use super::ClientWindow;

/// How much of the Stream view a lesson has seen: writes, reads, messages, and whether it
/// was opened.
#[derive(Debug, Default)]
pub(super) struct StreamSeen {
    opened: bool,
    writes: usize,
    reads: usize,
    messages: usize,
}

impl ClientWindow {
    /// The Lessons panel, when open, and the settings its current step asks for.
    pub(super) fn lessons_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(settings) = self.lessons.take_settings() {
            self.apply_lesson_settings(&settings);
        }
        self.lessons.side_panel_ui(ui);
    }

    /// What a step sets, as if the learner had typed it. Server settings are the server's.
    fn apply_lesson_settings(&mut self, settings: &Settings) {
        if let Some(port) = settings.port {
            self.settings.port = port.to_string();
        }
        if let Some(host) = &settings.host {
            self.settings.address.clone_from(host);
        }
        if let Some(burst) = settings.burst {
            self.settings.burst = burst;
        }
        if let Some(tls) = settings.tls {
            self.tls.set_enabled(tls);
        }
        if let Some(insecure) = settings.tls_insecure {
            self.tls.set_insecure(insecure);
        }
    }

    /// The Stream view's news since the last frame, as records (`stream_ready`,
    /// `stream_write`, `stream_read`, `stream_message`) for a lesson's steps.
    pub(super) fn stream_to_lesson(&mut self) {
        let (view, open) = (&self.stream.view, &self.stream.open);
        let seen = &mut self.stream_seen;
        let mut records = Vec::new();
        if *open && !seen.opened {
            seen.opened = true;
            records.push(json!({"event": "stream_ready"}));
        }
        for write in view.writes.iter().skip(seen.writes) {
            records
                .push(json!({"event": "stream_write", "index": write.index, "bytes": write.len}));
        }
        for read in view.reads.iter().skip(seen.reads) {
            records.push(json!({"event": "stream_read", "index": read.index, "bytes": read.len}));
        }
        for message in view.reassembler.messages.iter().skip(seen.messages) {
            records.push(json!({"event": "stream_message", "text": message}));
        }
        seen.writes = view.writes.len();
        seen.reads = view.reads.len();
        seen.messages = view.reassembler.messages.len();
        for record in records {
            self.lessons.observe_record(record);
        }
    }

    /// In the app (not in tests): the panel that follows the other window, with `--lessons`
    /// and `--lesson`.
    pub(super) fn start_lessons(&mut self, folder: Option<&Path>, lesson: Option<&str>) {
        self.lessons = LessonPanel::for_app(Side::Client, folder, &self.settings.lesson, lesson);
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

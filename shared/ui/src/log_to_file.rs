//! The log toolbar's "Write to file" controls: the log written as it happens, as text or
//! NDJSON, rotated at a size (the library's [`LogFile`] does the writing, on its own thread).

use std::path::PathBuf;

use serversocket_report::log_file::{LogFile, LogFormat};

use crate::EventLog;
use crate::field::{labelled, number};

/// What the user set for the log file.
#[derive(Debug, Clone)]
pub struct LogToFile {
    /// The file, as typed.
    pub path: String,
    /// NDJSON (the headless `--json` schema) instead of the seed's words.
    pub ndjson: bool,
    /// Rotate the file once it holds this many MiB.
    pub rotate_mib: u64,
    /// The controls are shown (they take a row, so only on request).
    pub shown: bool,
    /// Why the file could not be started.
    problem: Option<String>,
}

impl Default for LogToFile {
    fn default() -> Self {
        Self {
            // The user's own folder: a log holds the traffic (see `private_files`).
            path: serversocket_files::private_files::user_folder()
                .join("serversocket-live.log")
                .display()
                .to_string(),
            ndjson: false,
            rotate_mib: 10,
            shown: false,
            problem: None,
        }
    }
}

impl LogToFile {
    /// The controls; starts or stops `log`'s file.
    pub fn ui(&mut self, ui: &mut egui::Ui, log: &mut EventLog) {
        ui.horizontal_wrapped(|ui| {
            let writing = log.file().is_some();
            ui.add_enabled_ui(!writing, |ui| {
                labelled(
                    ui,
                    "Log file:",
                    egui::TextEdit::singleline(&mut self.path).desired_width(180.0),
                    "Every new line is appended here as it happens",
                );
                ui.checkbox(&mut self.ndjson, "NDJSON").on_hover_text(
                    "One JSON object a line, as `--headless --json`; otherwise the log's words",
                );
                labelled(
                    ui,
                    "rotate at",
                    number(&mut self.rotate_mib, 1..=1024, " MiB"),
                    "Past this size the file is renamed to NAME.1 and a new one begins",
                );
            });
            let mut on = writing;
            if ui
                .toggle_value(&mut on, "Write to file")
                .on_hover_text("Write the log to the file as it happens")
                .changed()
            {
                if on {
                    self.start(log);
                } else {
                    log.set_file(None);
                }
            }
            if let Some(file) = log.file()
                && file.dropped() > 0
            {
                ui.weak(format!(
                    "{} lines not written (the disk was behind)",
                    file.dropped()
                ));
            }
            if let Some(problem) = &self.problem {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
        });
    }

    fn start(&mut self, log: &mut EventLog) {
        let format = if self.ndjson {
            LogFormat::Ndjson
        } else {
            LogFormat::Text
        };
        let path = PathBuf::from(self.path.trim());
        match LogFile::start(&path, format, log.role(), self.rotate_mib * 1024 * 1024) {
            Ok(file) => {
                log.set_file(Some(file));
                self.problem = None;
            }
            Err(error) => self.problem = Some(error.to_string()),
        }
    }
}

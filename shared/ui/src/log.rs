//! The log list of the seed (its ListBox): every event as one line in the seed's words, with its
//! time and socket. The view draws only the rows on screen, so 100,000 lines scroll smoothly;
//! it filters by socket and by text, follows new lines unless the user scrolled up, clears,
//! shows data as text or hex, and exports NDJSON in the headless `--json` schema.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serversocket::report::{Role, human_line, json_record};
use serversocket::{Event, SocketId};

use crate::sequence::Sequence;
use crate::shortcuts;

/// How many bytes of a chunk the hex view shows.
const HEX_PREVIEW_BYTES: usize = 64;

/// One logged event.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// When it arrived.
    pub at: SystemTime,
    /// The event itself (kept for the hex view and the NDJSON export).
    pub event: Event,
    /// The seed's line for it.
    pub line: String,
}

impl LogEntry {
    /// The socket it concerns.
    #[must_use]
    pub fn socket(&self) -> Option<SocketId> {
        self.event.socket()
    }

    /// True for errors, which the view colours.
    #[must_use]
    pub fn is_error(&self) -> bool {
        matches!(self.event, Event::Error { .. })
    }
}

/// Every event worth a line, in arrival order.
#[derive(Debug)]
pub struct EventLog {
    /// Which side's words to use.
    role: Role,
    /// The lines.
    entries: Vec<LogEntry>,
}

impl EventLog {
    /// An empty log worded for `role`.
    #[must_use]
    pub fn new(role: Role) -> Self {
        Self {
            role,
            entries: Vec::new(),
        }
    }

    /// Logs an event (progress events are too chatty and are skipped).
    pub fn push(&mut self, event: Event) {
        if let Some(line) = human_line(self.role, &event) {
            self.entries.push(LogEntry {
                at: SystemTime::now(),
                event,
                line,
            });
        }
    }

    /// The lines.
    #[must_use]
    pub fn entries(&self) -> &[LogEntry] {
        &self.entries
    }

    /// Forgets every line.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// True if any line contains `text`.
    #[must_use]
    pub fn contains(&self, text: &str) -> bool {
        self.entries.iter().any(|entry| entry.line.contains(text))
    }

    /// Writes the log as NDJSON, the schema of the headless `--json` output; returns how many
    /// lines were written.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn export_ndjson(&self, path: &Path) -> io::Result<usize> {
        write_ndjson(&self.entries, path)
    }
}

/// Writes `entries` as NDJSON; returns how many lines were written.
fn write_ndjson(entries: &[LogEntry], path: &Path) -> io::Result<usize> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    let mut written = 0;
    for entry in entries {
        if let Some(record) = json_record(&entry.event, entry.at) {
            writeln!(out, "{record}")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

/// How the log is being looked at: filters, hex, the export path.
#[derive(Debug, Clone)]
pub struct LogView {
    /// Show only lines containing this text.
    pub text_filter: String,
    /// Show only this socket's lines.
    pub socket_filter: Option<SocketId>,
    /// Show received data as hex bytes instead of text.
    pub hex: bool,
    /// Where Export writes.
    pub export_path: String,
    /// What the last export did, for the user; written by the export's own thread.
    pub export_result: Arc<Mutex<Option<String>>>,
    /// Indices of the entries that pass the filters, kept between frames.
    visible: Vec<usize>,
    /// The selected socket's events in order.
    sequence: Sequence,
    /// How many entries `visible` has looked at.
    scanned: usize,
    /// The filters `visible` was made with.
    made_with: (String, Option<SocketId>),
}

impl Default for LogView {
    fn default() -> Self {
        Self {
            text_filter: String::new(),
            socket_filter: None,
            hex: false,
            export_path: default_export_path(),
            export_result: Arc::default(),
            visible: Vec::new(),
            sequence: Sequence::default(),
            scanned: 0,
            made_with: (String::new(), None),
        }
    }
}

/// A file in the temporary directory, so Export works before the user picks a place.
fn default_export_path() -> String {
    std::env::temp_dir()
        .join("serversocket-log.ndjson")
        .display()
        .to_string()
}

impl LogView {
    /// Draws the toolbar and the lines. `hint` is shown while the log is empty.
    pub fn ui(&mut self, ui: &mut egui::Ui, log: &mut EventLog, hint: &str) {
        self.toolbar_ui(ui, log);
        self.refresh(log);
        self.sequence.ui(ui);
        if log.entries().is_empty() {
            ui.weak(hint);
            return;
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
        egui::ScrollArea::both()
            .id_salt("log")
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show_rows(ui, row_height, self.visible.len(), |ui, range| {
                for &index in &self.visible[range] {
                    let entry = &log.entries()[index];
                    let text = self.line_text(entry);
                    let mut rich = egui::RichText::new(text).monospace();
                    if entry.is_error() {
                        rich = rich.color(ui.visuals().error_fg_color);
                    }
                    ui.add(egui::Label::new(rich).extend());
                }
            });
    }

    /// Filter, socket, hex, clear and export controls.
    fn toolbar_ui(&mut self, ui: &mut egui::Ui, log: &mut EventLog) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Filter:");
            let filter = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text_filter)
                        .hint_text("text in the line")
                        .desired_width(140.0),
                )
                .labelled_by(label.id)
                .on_hover_text(shortcuts::tip(
                    ui,
                    "Show only lines containing this text",
                    &shortcuts::FOCUS_FILTER,
                ));
            if shortcuts::pressed(ui, &shortcuts::FOCUS_FILTER) {
                filter.request_focus();
            }
            if let Some(socket) = self.socket_filter
                && ui
                    .button(format!("Socket {socket} ×"))
                    .on_hover_text("Showing one socket's lines; click to show all")
                    .clicked()
            {
                self.socket_filter = None;
            }
            ui.checkbox(&mut self.hex, "Hex")
                .on_hover_text("Show received bytes as hexadecimal instead of text");
            let clear = ui.button("Clear log").on_hover_text(shortcuts::tip(
                ui,
                "Forget every line",
                &shortcuts::CLEAR_LOG,
            ));
            if clear.clicked() || shortcuts::pressed(ui, &shortcuts::CLEAR_LOG) {
                log.clear();
            }
            ui.separator();
            ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(180.0))
                .on_hover_text("The file Export writes (NDJSON, as `--headless --json`)");
            if ui.button("Export").clicked() {
                self.export(log, ui.ctx());
            }
            let result = self
                .export_result
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(result) = result {
                ui.weak(result);
            }
            ui.weak(format!("{} lines", log.entries().len()));
        });
    }

    /// Writes a snapshot of the log on a thread of its own, so a long log never stalls a frame;
    /// the outcome shows next to the button when it is done.
    fn export(&self, log: &EventLog, ctx: &egui::Context) {
        let entries = log.entries().to_vec();
        let path = PathBuf::from(&self.export_path);
        let outcome = Arc::clone(&self.export_result);
        let ctx = ctx.clone();
        let report = move |message: String| {
            *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
            ctx.request_repaint();
        };
        report("exporting…".to_owned());
        let writer = report.clone();
        let started = std::thread::Builder::new()
            .name("log-export".to_owned())
            .spawn(move || {
                writer(match write_ndjson(&entries, &path) {
                    Ok(lines) => format!("wrote {lines} lines to {}", path.display()),
                    Err(error) => format!("could not write {}: {error}", path.display()),
                });
            });
        if let Err(error) = started {
            report(format!("could not start the export: {error}"));
        }
    }

    /// Brings the filtered index up to date: all over when a filter changed or the log was
    /// cleared, otherwise only the new entries.
    fn refresh(&mut self, log: &EventLog) {
        let filters = (self.text_filter.clone(), self.socket_filter);
        if filters != self.made_with || self.scanned > log.entries().len() {
            self.visible.clear();
            self.sequence.follow(self.socket_filter);
            self.scanned = 0;
            self.made_with = filters;
        }
        for (index, entry) in log.entries().iter().enumerate().skip(self.scanned) {
            self.sequence.push(entry);
            let socket_ok = self.socket_filter.is_none_or(|s| entry.socket() == Some(s));
            if socket_ok && entry.line.contains(&self.text_filter) {
                self.visible.push(index);
            }
        }
        self.scanned = log.entries().len();
    }

    /// One row: time, then the line (or the data in hex).
    fn line_text(&self, entry: &LogEntry) -> String {
        let stamp = humantime::format_rfc3339_millis(entry.at).to_string();
        let time = stamp.get(11..23).unwrap_or(&stamp);
        match (&entry.event, self.hex) {
            (Event::Data { socket, data }, true) => {
                let mut hex = String::with_capacity(3 * HEX_PREVIEW_BYTES);
                for byte in data.iter().take(HEX_PREVIEW_BYTES) {
                    let _ = write!(hex, "{byte:02x} ");
                }
                if data.len() > HEX_PREVIEW_BYTES {
                    let _ = write!(hex, "… ({} bytes)", data.len());
                }
                format!("{time}  Socket {socket} got {}: {hex}", data.len())
            }
            _ => format!("{time}  {}", entry.line),
        }
    }

    /// Shows only `socket`'s lines, or all lines again if it was already the one shown.
    pub fn toggle_socket(&mut self, socket: SocketId) {
        self.socket_filter = (self.socket_filter != Some(socket)).then_some(socket);
    }

    /// The selected socket's events in order (as of the last frame).
    #[must_use]
    pub fn sequence(&self) -> &Sequence {
        &self.sequence
    }

    /// How many lines pass the filters (as of the last frame).
    #[must_use]
    pub fn visible_count(&self) -> usize {
        self.visible.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serversocket::SocketError;

    #[test]
    fn export_writes_the_headless_json_schema_one_object_per_line() {
        let mut log = EventLog::new(Role::Server);
        log.push(Event::AddSocket {
            socket: SocketId(0),
        });
        log.push(Event::Data {
            socket: SocketId(0),
            data: bytes::Bytes::from_static(b"hi\n\xff"),
        });
        // Progress is not logged; it is not in the schema either.
        log.push(Event::SendProgress {
            socket: SocketId(0),
            sent: 1,
            left: 0,
        });
        log.push(Event::Error {
            socket: Some(SocketId(0)),
            error: SocketError::ConnectionRefused {
                address: "127.0.0.1:1".into(),
            },
        });
        let path = std::env::temp_dir().join(format!("log-export-{}.ndjson", std::process::id()));
        assert_eq!(log.export_ndjson(&path).expect("written"), 3);
        let text = std::fs::read_to_string(&path).expect("readable");
        let _ = std::fs::remove_file(&path);
        let records: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
            .collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0]["event"], "add_socket");
        assert_eq!(records[1]["event"], "data");
        assert_eq!(records[1]["bytes"], 4);
        assert_eq!(records[1]["text"], "hi\n\u{fffd}");
        assert_eq!(records[2]["code"], 102);
        assert_eq!(records[2]["meaning"], "connection refused");
        assert!(records.iter().all(|r| r["ts"].is_string()));
    }

    #[test]
    fn the_view_filters_by_socket_and_text() {
        let mut log = EventLog::new(Role::Client);
        for socket in 0..3 {
            log.push(Event::Closed {
                socket: SocketId(socket),
            });
        }
        let mut view = LogView::default();
        view.refresh(&log);
        assert_eq!(view.visible_count(), 3);
        view.toggle_socket(SocketId(1));
        view.refresh(&log);
        assert_eq!(view.visible_count(), 1);
        view.toggle_socket(SocketId(1));
        view.text_filter = "Socket 2".to_owned();
        view.refresh(&log);
        assert_eq!(view.visible_count(), 1);
        log.clear();
        view.refresh(&log);
        assert_eq!(view.visible_count(), 0);
    }
}

//! The log list of the seed (its ListBox): every event as one line in the seed's words, with its
//! time and socket. The view draws only the rows on screen, so 100,000 lines scroll smoothly;
//! it filters by socket and by text, follows new lines unless the user scrolled up, clears,
//! shows data as text or hex, and exports NDJSON in the headless `--json` schema.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serversocket::{Event, SocketId};
use serversocket_report::log_file::LogFile;
use serversocket_report::{Record, Role, human_line};

use crate::file_dialog::{Chosen, SaveDialog};
use crate::log_to_file::LogToFile;
use crate::sequence::Sequence;
use crate::shortcuts;

/// How many bytes of a chunk the hex view shows.
const HEX_PREVIEW_BYTES: usize = 64;

/// The most lines the log keeps; past it the oldest tenth is dropped. A window left running
/// for hours under traffic would otherwise grow without end (a line costs about 200 bytes).
pub const MAX_LINES: usize = 250_000;

/// The most received data the log keeps (its Data lines hold each chunk's start, up to
/// [`serversocket::DATA_EVENT_BYTES`], for the hex view and the export); past it the oldest
/// lines go until a quarter of it is free. A long upload through the window would otherwise
/// grow the log without end.
pub const MAX_DATA_BYTES: usize = 64 * 1024 * 1024;

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
    /// The lines, oldest first (a deque: the oldest are dropped from the front).
    entries: VecDeque<LogEntry>,
    /// Bytes of received data the lines hold.
    data_bytes: usize,
    /// Lines dropped to stay within [`MAX_LINES`] and [`MAX_DATA_BYTES`].
    dropped: u64,
    /// Lines removed from the front so far, by dropping or clearing: a view's indices are
    /// stale when this moved.
    forgotten: u64,
    /// Where every event is also written as it happens, if anywhere.
    file: Option<LogFile>,
}

impl EventLog {
    /// An empty log worded for `role`.
    #[must_use]
    pub fn new(role: Role) -> Self {
        Self {
            role,
            entries: VecDeque::new(),
            data_bytes: 0,
            dropped: 0,
            forgotten: 0,
            file: None,
        }
    }

    /// Logs an event (progress events are too chatty and are skipped), dropping the oldest
    /// lines when the log is over [`MAX_LINES`] or [`MAX_DATA_BYTES`].
    pub fn push(&mut self, event: Event) {
        if let Some(file) = &self.file {
            file.record(&event, SystemTime::now());
        }
        if let Some(line) = human_line(self.role, &event) {
            self.data_bytes += data_len(&event);
            self.entries.push_back(LogEntry {
                at: SystemTime::now(),
                event,
                line,
            });
        }
        if self.entries.len() > MAX_LINES {
            self.drop_oldest(MAX_LINES / 10);
        }
        if self.data_bytes > MAX_DATA_BYTES {
            let mut count = 0;
            let mut freed = 0;
            for entry in &self.entries {
                if self.data_bytes - freed <= MAX_DATA_BYTES / 4 * 3 {
                    break;
                }
                freed += data_len(&entry.event);
                count += 1;
            }
            self.drop_oldest(count);
        }
    }

    /// Starts (or with `None` stops) writing every new event to a file as well.
    pub fn set_file(&mut self, file: Option<LogFile>) {
        self.file = file;
    }

    /// The file the log is written to, if any.
    #[must_use]
    pub fn file(&self) -> Option<&LogFile> {
        self.file.as_ref()
    }

    /// Which side's words the log uses.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// Drops the `count` oldest lines.
    fn drop_oldest(&mut self, count: usize) {
        let count = count.min(self.entries.len());
        let freed: usize = self
            .entries
            .range(..count)
            .map(|entry| data_len(&entry.event))
            .sum();
        self.entries.drain(..count);
        self.data_bytes -= freed;
        self.dropped += count as u64;
        self.forgotten += count as u64;
    }

    /// How many old lines were dropped to keep the log within its limits.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The lines, oldest first.
    #[must_use]
    pub fn entries(&self) -> &VecDeque<LogEntry> {
        &self.entries
    }

    /// Forgets every line.
    pub fn clear(&mut self) {
        self.forgotten += self.entries.len() as u64;
        self.entries.clear();
        self.data_bytes = 0;
        self.dropped = 0;
    }

    /// Every line kept, oldest first, as the log shows them.
    #[must_use]
    pub fn lines(&self) -> Vec<&str> {
        self.entries
            .iter()
            .map(|entry| entry.line.as_str())
            .collect()
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

/// The bytes of received data an event holds.
fn data_len(event: &Event) -> usize {
    match event {
        Event::Data { data, .. } => data.len(),
        _ => 0,
    }
}

/// Writes `entries` as NDJSON; returns how many lines were written.
fn write_ndjson<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    path: &Path,
) -> io::Result<usize> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    let mut written = 0;
    for entry in entries {
        if let Some(record) = Record::from_event(&entry.event) {
            record.at(entry.at).write_to(&mut out)?;
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
    /// The system's Save as dialog, while it is open.
    save_dialog: Option<SaveDialog>,
    /// Indices of the entries that pass the filters, kept between frames.
    visible: Vec<usize>,
    /// The selected socket's events in order.
    sequence: Sequence,
    /// How many entries `visible` has looked at.
    scanned: usize,
    /// The filters `visible` was made with.
    made_with: (String, Option<SocketId>),
    /// The log's count of removed lines when `visible` was made (its indices shift after).
    forgotten_seen: u64,
    /// The "write to file" controls.
    pub to_file: LogToFile,
    /// The lines the user picked for Copy, by their number in the log's whole life (removed
    /// lines before them included), so a selection survives old lines being dropped.
    selected: BTreeSet<u64>,
    /// Where a shift-click's range starts: the last line clicked without shift.
    anchor: Option<u64>,
}

impl LogView {
    /// A view of the log of `role`'s window; each window exports to its own default file.
    #[must_use]
    pub fn new(role: Role) -> Self {
        Self {
            text_filter: String::new(),
            socket_filter: None,
            hex: false,
            export_path: default_export_path(role),
            export_result: Arc::default(),
            save_dialog: None,
            visible: Vec::new(),
            sequence: Sequence::default(),
            scanned: 0,
            made_with: (String::new(), None),
            forgotten_seen: 0,
            to_file: LogToFile::default(),
            selected: BTreeSet::new(),
            anchor: None,
        }
    }
}

/// A file in the temporary directory, so Export works before the user picks a place; one per
/// window, so the server's export does not overwrite the client's.
fn default_export_path(role: Role) -> String {
    let name = match role {
        Role::Server => "serversocket-server-log.ndjson",
        Role::Client => "serversocket-client-log.ndjson",
    };
    std::env::temp_dir().join(name).display().to_string()
}

impl LogView {
    /// Draws the toolbar and the lines. `hint` is shown while the log is empty.
    pub fn ui(&mut self, ui: &mut egui::Ui, log: &mut EventLog, hint: &str) {
        self.toolbar_ui(ui, log);
        if self.to_file.shown || log.file().is_some() {
            self.to_file.ui(ui, log);
        }
        self.refresh(log);
        if !self.selected.is_empty() && ui.input(|input| input.key_pressed(egui::Key::Escape)) {
            self.clear_selection();
        }
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
                let mut clicked = None;
                for &index in &self.visible[range] {
                    let entry = &log.entries()[index];
                    let number = log.forgotten + index as u64;
                    let text = self.line_text(entry);
                    let mut rich = egui::RichText::new(text).monospace();
                    if entry.is_error() {
                        rich = rich.color(ui.visuals().error_fg_color);
                    }
                    if self.selected.contains(&number) {
                        rich = rich.background_color(ui.visuals().selection.bg_fill);
                    }
                    let line = ui.add(egui::Label::new(rich).extend().sense(egui::Sense::click()));
                    if line.clicked() {
                        clicked = Some(number);
                    }
                }
                if let Some(number) = clicked {
                    let modifiers = ui.input(|input| input.modifiers);
                    self.click_line(log, number, modifiers);
                }
            });
    }

    /// Filter, socket, hex, clear and export controls.
    fn toolbar_ui(&mut self, ui: &mut egui::Ui, log: &mut EventLog) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Filter:");
            // A lesson step about the log lights up the start of its toolbar.
            crate::lesson_panel::mark(ui, "log", &label);
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
            ui.toggle_value(&mut self.to_file.shown, "Log file…")
                .on_hover_text("Write the log to a file as it happens (text or NDJSON, rotated)");
            let selected = self.selected_count(log);
            let (copy, tip) = if selected > 0 {
                (
                    format!("Copy {selected} selected"),
                    "Copy the selected lines to the clipboard, as text (click a line to select \
                     it, shift-click for a range, ctrl-click to add or remove one; Esc or \
                     clicking the only selected line clears)",
                )
            } else {
                (
                    format!("Copy {} shown", self.visible.len()),
                    "Copy every line the log shows (filters applied) to the clipboard, as text; \
                     click lines to copy only those",
                )
            };
            if ui.button(copy).on_hover_text(tip).clicked() {
                let text = if selected > 0 {
                    self.selected_text(log)
                } else {
                    self.shown_text(log)
                };
                ui.ctx().copy_text(text);
            }
            ui.separator();
            let file =
                ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(180.0));
            file.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Export file")
            });
            file.on_hover_text("The file Export writes (NDJSON, as `--headless --json`)");
            if ui
                .button("Export")
                .on_hover_text("Write the log to the file named at the left")
                .clicked()
            {
                self.export(log, ui.ctx());
            }
            self.save_as_ui(ui, log);
            let result = self
                .export_result
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(result) = result {
                ui.weak(result);
            }
            let lines = log.entries().len();
            match log.dropped() {
                0 => ui.weak(format!("{lines} lines")),
                dropped => ui
                    .weak(format!("{lines} lines ({dropped} older dropped)"))
                    .on_hover_text(format!(
                        "The log keeps the newest {MAX_LINES} lines and {} MiB of received data",
                        MAX_DATA_BYTES / (1024 * 1024)
                    )),
            };
        });
    }

    /// "Export to…": the system's file dialog picks the file, then Export writes it. Without a
    /// dialog (no desktop portal) the path field still works, and the window says so.
    fn save_as_ui(&mut self, ui: &mut egui::Ui, log: &EventLog) {
        let open = self.save_dialog.is_some();
        if ui
            .add_enabled(!open, egui::Button::new("Export to…"))
            .on_hover_text("Choose the file in the system's file dialog, then export")
            .clicked()
        {
            let title = match log.role() {
                Role::Server => "Export the server's log",
                Role::Client => "Export the client's log",
            };
            self.save_dialog = Some(SaveDialog::open(
                title,
                Path::new(&self.export_path),
                ui.ctx(),
            ));
        }
        let Some(chosen) = self.save_dialog.as_ref().map(SaveDialog::chosen) else {
            return;
        };
        match chosen {
            Chosen::Waiting => {
                ui.weak("choosing a file…");
            }
            Chosen::File(path) => {
                self.save_dialog = None;
                self.export_path = path.display().to_string();
                self.export(log, ui.ctx());
            }
            Chosen::Nothing => {
                self.save_dialog = None;
                *self.export_result.lock().unwrap_or_else(PoisonError::into_inner) = Some(
                    "no file chosen (cancelled, or this desktop has no file dialog: type a path and click Export)"
                        .to_owned(),
                );
            }
        }
    }

    /// The lines the view shows, as text, one a line.
    #[must_use]
    pub fn shown_text(&self, log: &EventLog) -> String {
        let mut text = String::new();
        for &index in &self.visible {
            if let Some(entry) = log.entries().get(index) {
                text.push_str(&self.line_text(entry));
                text.push('\n');
            }
        }
        text
    }

    /// A click on line `number` (its number in the log's life): alone, it selects only that
    /// line (or clears the selection if it was the only one); with ctrl (cmd on a Mac) it adds or
    /// removes that line; with shift it selects the shown lines from the last click to it.
    pub fn click_line(&mut self, log: &EventLog, number: u64, modifiers: egui::Modifiers) {
        if modifiers.shift
            && let Some(anchor) = self.anchor
        {
            let (from, to) = (anchor.min(number), anchor.max(number));
            self.selected.extend(
                self.visible
                    .iter()
                    .map(|&index| log.forgotten + index as u64)
                    .filter(|n| (from..=to).contains(n)),
            );
            return;
        }
        if modifiers.command {
            if !self.selected.remove(&number) {
                self.selected.insert(number);
            }
        } else if self.selected.len() == 1 && self.selected.contains(&number) {
            self.selected.clear();
        } else {
            self.selected.clear();
            self.selected.insert(number);
        }
        self.anchor = Some(number);
    }

    /// Forgets the selection: Copy then takes every shown line again.
    pub fn clear_selection(&mut self) {
        self.selected.clear();
        self.anchor = None;
    }

    /// How many selected lines the log still holds.
    #[must_use]
    pub fn selected_count(&self, log: &EventLog) -> usize {
        self.selected.range(log.forgotten..).count()
    }

    /// The selected lines the log still holds, as text, one a line, oldest first.
    #[must_use]
    pub fn selected_text(&self, log: &EventLog) -> String {
        let mut text = String::new();
        for &number in self.selected.range(log.forgotten..) {
            let index = usize::try_from(number - log.forgotten).unwrap_or(usize::MAX);
            if let Some(entry) = log.entries().get(index) {
                text.push_str(&self.line_text(entry));
                text.push('\n');
            }
        }
        text
    }

    /// Writes a snapshot of the log on a thread of its own, so a long log never stalls a frame;
    /// the outcome shows next to the button when it is done.
    fn export(&self, log: &EventLog, ctx: &egui::Context) {
        let entries: Vec<LogEntry> = log.entries().iter().cloned().collect();
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

    /// Brings the filtered index up to date: all over when a filter changed or lines were
    /// cleared or dropped, otherwise only the new entries.
    fn refresh(&mut self, log: &EventLog) {
        let filters = (self.text_filter.clone(), self.socket_filter);
        if filters != self.made_with || log.forgotten != self.forgotten_seen {
            self.visible.clear();
            self.sequence.follow(self.socket_filter);
            self.scanned = 0;
            self.made_with = filters;
            self.forgotten_seen = log.forgotten;
        }
        for (index, entry) in (self.scanned..).zip(log.entries().range(self.scanned..)) {
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
            (
                Event::Data {
                    socket,
                    data,
                    bytes,
                },
                true,
            ) => {
                let mut hex = String::with_capacity(3 * HEX_PREVIEW_BYTES);
                for byte in data.iter().take(HEX_PREVIEW_BYTES) {
                    let _ = write!(hex, "{byte:02x} ");
                }
                if *bytes > HEX_PREVIEW_BYTES {
                    let _ = write!(hex, "… ({bytes} bytes)");
                }
                format!("{time}  Socket {socket} got {bytes}: {hex}")
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

    /// A log of `n` AddSocket lines for sockets 0.., and a view that has seen them.
    fn lines(n: u64) -> (EventLog, LogView) {
        let mut log = EventLog::new(Role::Client);
        for id in 0..n {
            log.push(Event::Closed {
                socket: SocketId(id),
            });
        }
        let mut view = LogView::new(Role::Client);
        view.refresh(&log);
        (log, view)
    }

    /// The socket numbers of the copied lines ("… Socket 3 closed." → 3).
    fn copied(text: &str) -> Vec<u64> {
        text.lines()
            .filter_map(|line| {
                line.split("Socket ")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect()
    }

    #[test]
    fn copy_takes_the_selected_lines_click_shift_click_and_ctrl_click() {
        let (log, mut view) = lines(6);
        let none = egui::Modifiers::NONE;
        assert_eq!(view.selected_count(&log), 0);
        assert_eq!(copied(&view.shown_text(&log)), [0, 1, 2, 3, 4, 5]);
        view.click_line(&log, 1, none);
        assert_eq!(copied(&view.selected_text(&log)), [1]);
        view.click_line(&log, 3, egui::Modifiers::SHIFT);
        assert_eq!(copied(&view.selected_text(&log)), [1, 2, 3]);
        view.click_line(&log, 5, egui::Modifiers::COMMAND);
        view.click_line(&log, 2, egui::Modifiers::COMMAND);
        assert_eq!(copied(&view.selected_text(&log)), [1, 3, 5]);
        assert_eq!(view.selected_count(&log), 3);
        // A plain click starts again; clicking the only selected line clears.
        view.click_line(&log, 4, none);
        assert_eq!(copied(&view.selected_text(&log)), [4]);
        view.click_line(&log, 4, none);
        assert_eq!(view.selected_count(&log), 0);
    }

    #[test]
    fn a_selection_survives_older_lines_being_dropped_and_forgets_the_dropped() {
        let (mut log, mut view) = lines(3);
        view.click_line(&log, 0, egui::Modifiers::NONE);
        view.click_line(&log, 2, egui::Modifiers::COMMAND);
        log.clear();
        assert_eq!(view.selected_count(&log), 0);
        assert_eq!(view.selected_text(&log), "");
    }

    #[test]
    fn export_writes_the_headless_json_schema_one_object_per_line() {
        let mut log = EventLog::new(Role::Server);
        log.push(Event::AddSocket {
            socket: SocketId(0),
        });
        log.push(Event::data(
            SocketId(0),
            &bytes::Bytes::from_static(b"hi\n\xff"),
        ));
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
                cause: None,
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
    fn the_log_drops_its_oldest_lines_past_the_line_limit_and_the_view_follows() {
        let mut log = EventLog::new(Role::Client);
        let closed = |n: usize| Event::Closed {
            socket: SocketId(n as u64),
        };
        // A filtered view: sockets 7, 70…79, 700…799 and so on.
        let mut view = LogView {
            text_filter: "Socket 7".to_owned(),
            ..LogView::new(Role::Server)
        };
        for n in 0..MAX_LINES {
            log.push(closed(n));
        }
        view.refresh(&log);
        let before = view.visible_count();
        assert_eq!(log.dropped(), 0);
        log.push(closed(MAX_LINES));
        assert_eq!(log.entries().len(), MAX_LINES + 1 - MAX_LINES / 10);
        assert_eq!(log.dropped(), (MAX_LINES / 10) as u64);
        let first = log.entries().front().map(|e| e.line.clone());
        assert_eq!(
            first.as_deref(),
            Some(&*format!("Socket {} closed.", MAX_LINES / 10))
        );
        // The view's indices moved with the dropped lines: it starts over and stays in range.
        view.refresh(&log);
        let expected = log
            .entries()
            .iter()
            .filter(|e| e.line.contains("Socket 7"))
            .count();
        assert_eq!(view.visible_count(), expected);
        assert!(
            expected < before,
            "the dropped lines are gone from the view"
        );
        assert!(view.visible.iter().all(|&i| i < log.entries().len()));
        log.clear();
        assert_eq!(log.dropped(), 0, "a cleared log starts counting again");
    }

    #[test]
    fn the_log_keeps_at_most_its_data_budget_of_received_chunks() {
        let mut log = EventLog::new(Role::Server);
        // A Data event keeps at most this much of its chunk.
        let chunk = bytes::Bytes::from(vec![0x5a_u8; serversocket::DATA_EVENT_BYTES]);
        let pushes = MAX_DATA_BYTES / chunk.len() + 8;
        for _ in 0..pushes {
            log.push(Event::data(SocketId(0), &chunk.clone()));
        }
        let kept: usize = log.entries().iter().map(|e| data_len(&e.event)).sum();
        assert_eq!(kept, log.data_bytes);
        assert!(kept <= MAX_DATA_BYTES, "{kept} bytes kept");
        assert!(log.dropped() > 0);
        assert_eq!(log.entries().len() as u64 + log.dropped(), pushes as u64);
    }

    #[test]
    fn a_long_chunk_shows_its_whole_size_in_text_and_in_hex() {
        let mut log = EventLog::new(Role::Server);
        log.push(Event::data(
            SocketId(4),
            &bytes::Bytes::from(vec![0xab_u8; 128 * 1024]),
        ));
        let mut view = LogView::new(Role::Server);
        let entry = &log.entries()[0];
        assert!(entry.line.ends_with("… (131072 bytes)"), "{}", entry.line);
        view.hex = true;
        let hex = view.line_text(entry);
        assert!(hex.contains("Socket 4 got 131072: ab ab "), "{hex}");
        assert!(hex.ends_with("… (131072 bytes)"), "{hex}");
    }

    #[test]
    fn the_view_filters_by_socket_and_text() {
        let mut log = EventLog::new(Role::Client);
        for socket in 0..3 {
            log.push(Event::Closed {
                socket: SocketId(socket),
            });
        }
        let mut view = LogView::new(Role::Server);
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

    #[test]
    fn the_window_log_escapes_characters_that_would_reorder_or_split_a_line() {
        let mut log = EventLog::new(Role::Server);
        log.push(Event::data(
            SocketId(0),
            &bytes::Bytes::from("evil\u{202e}txt.exe\u{2028}next\u{200b}\u{feff}"),
        ));
        let line = &log.entries()[0].line;
        assert_eq!(
            line,
            "Socket 0 got: evil\\u{202e}txt.exe\\u{2028}next\\u{200b}\\u{feff}"
        );
    }

    #[test]
    fn each_window_exports_to_its_own_default_file() {
        let server = LogView::new(Role::Server).export_path;
        let client = LogView::new(Role::Client).export_path;
        assert_ne!(server, client);
        assert!(
            server.ends_with("serversocket-server-log.ndjson"),
            "{server}"
        );
        assert!(
            client.ends_with("serversocket-client-log.ndjson"),
            "{client}"
        );
    }
}

//! How the log is looked at: the toolbar (filters, hex, clear, export, write to file), the
//! lines on screen only, the selection for Copy, and the selected socket's sequence.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serversocket::{Event, SocketId};
use serversocket_report::Role;

use super::{EventLog, LogEntry, MAX_DATA_BYTES, MAX_LINES, write_ndjson};
use crate::file_dialog::{Chosen, SaveDialog};
use crate::log_to_file::LogToFile;
use crate::sequence::Sequence;
use crate::shortcuts;

/// How many bytes of a chunk the hex view shows.
const HEX_PREVIEW_BYTES: usize = 64;

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
    /// Asks before Export replaces a file this window did not write.
    replace: crate::replace_guard::ReplaceGuard,
    /// Indices of the entries that pass the filters, kept between frames.
    pub(super) visible: Vec<usize>,
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
            replace: crate::replace_guard::ReplaceGuard::default(),
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

/// A file in the user's own folder, so Export works before the user picks a place; one per
/// window, so the server's export does not overwrite the client's. (Not the shared temp
/// folder, where another user could have put a link at the name first.)
fn default_export_path(role: Role) -> String {
    let name = match role {
        Role::Server => "serversocket-server-log.ndjson",
        Role::Client => "serversocket-client-log.ndjson",
    };
    serversocket_files::private_files::user_folder()
        .join(name)
        .display()
        .to_string()
}

impl LogView {
    /// Draws the toolbar and the lines. `hint` is shown while the log is empty.
    pub fn ui(&mut self, ui: &mut egui::Ui, log: &mut EventLog, hint: &str) {
        // Before the toolbar too, so its "Copy N shown" counts this frame's lines, as the
        // line count beside it does (it lagged a frame's events behind under load).
        self.refresh(log);
        self.toolbar_ui(ui, log);
        if self.to_file.shown || log.file().is_some() {
            self.to_file.ui(ui, log);
        }
        // Again, for what the toolbar changed (a filter, Clear log); only new lines are read.
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
                    let mut rich = egui::RichText::new(&text).monospace();
                    if entry.is_error() {
                        rich = rich.color(ui.visuals().error_fg_color);
                    }
                    if self.selected.contains(&number) {
                        rich = rich.background_color(ui.visuals().selection.bg_fill);
                    }
                    let mut line =
                        ui.add(egui::Label::new(rich).extend().sense(egui::Sense::click()));
                    // A line cut by the window's edge (a narrow window, the Lessons panel
                    // open) is read whole on hover.
                    if line.rect.right() > ui.clip_rect().right() {
                        line = line.on_hover_text(text);
                    }
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
            let name = if selected > 0 { "selected" } else { "shown" };
            // Greyed with nothing to copy: it said "Copied 0 lines" and emptied the clipboard.
            let something = selected > 0 || !self.visible.is_empty();
            crate::copy::copy_button_ui(ui, (name, something), copy, tip, || {
                if selected > 0 {
                    self.selected_text(log)
                } else {
                    self.shown_text(log)
                }
            })
            .on_disabled_hover_text("Nothing to copy: the log shows no line");
            ui.separator();
            // A visible name: a bare path beside "Log file…" was taken for the log file's.
            crate::field::explained(
                ui,
                "Export file:",
                "The file Export writes (NDJSON, as `--headless --json`)",
                egui::TextEdit::singleline(&mut self.export_path).desired_width(140.0),
            );
            if ui
                .button("Export")
                .on_hover_text(
                    "Write the log to the file named at the left (a file that exists is \
                     replaced only on a second click)",
                )
                .clicked()
            {
                match self.replace.allow(Path::new(&self.export_path), "Export") {
                    Ok(()) => self.export(log, ui.ctx()),
                    Err(asked) => self.say_export(asked),
                }
            }
            self.save_as_ui(ui, log);
            let lines = log.entries().len();
            let weak = |text: String| egui::RichText::new(text).weak();
            match log.dropped() {
                0 => crate::theme::phrase(ui, weak(format!("{lines} lines"))),
                dropped => crate::theme::phrase(
                    ui,
                    weak(format!("{lines} lines ({dropped} older dropped)")),
                )
                .on_hover_text(format!(
                    "The log keeps the newest {MAX_LINES} lines and {} MiB of received data",
                    MAX_DATA_BYTES / (1024 * 1024)
                )),
            };
        });
        // What the last export did, on a line of its own: in the toolbar's row it ran into the
        // line count and wrapped in the middle of its path. Cut to the line, whole on hover.
        let result = self
            .export_result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(result) = result {
            ui.add(egui::Label::new(egui::RichText::new(result).weak()).truncate());
        }
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
                // The dialog asked about replacing it.
                self.replace.chosen(&path);
                self.export_path = path.display().to_string();
                self.export(log, ui.ctx());
            }
            Chosen::Nothing => {
                self.save_dialog = None;
                self.say_export(
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

    /// Shows `words` beside the Export buttons, in place of the last export's outcome.
    fn say_export(&self, words: String) {
        *self
            .export_result
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(words);
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
                    // The log's other lines (Connecting, a kernel state, a TLS handshake under
                    // way) have no line in the NDJSON schema: said, not lost without a word.
                    Ok(lines) if lines < entries.len() => format!(
                        "wrote {lines} lines to {} ({} of the log's lines, such as Connecting \
                         and kernel states, have no NDJSON line)",
                        path.display(),
                        entries.len() - lines
                    ),
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
    pub(super) fn refresh(&mut self, log: &EventLog) {
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
    pub(super) fn line_text(&self, entry: &LogEntry) -> String {
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

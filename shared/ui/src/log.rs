//! The log list of the seed (its ListBox): every event as one line in the seed's words, with its
//! time and socket, kept within a line and a data budget ([`EventLog`]); and how it is looked
//! at ([`LogView`], in `log/view.rs`): the view draws only the rows on screen, so 100,000
//! lines scroll smoothly; it filters by socket and by text, follows new lines unless the user
//! scrolled up, clears, shows data as text or hex, and exports NDJSON in the headless
//! `--json` schema.

mod panel;
mod view;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::Path;
use std::time::SystemTime;

use serversocket::Event;
use serversocket_report::log_file::LogFile;
use serversocket_report::{Record, Role, human_line};

pub use crate::log_entry::LogEntry;
pub use panel::{LEAST_LINES, log_panel, main_view};
pub use view::LogView;

/// The most lines the log keeps; past it the oldest tenth is dropped. A window left running
/// for hours under traffic would otherwise grow without end (a line costs about 200 bytes).
pub const MAX_LINES: usize = 250_000;

/// The most received data the log keeps (its Data lines hold each chunk's start, up to
/// [`serversocket::DATA_EVENT_BYTES`], for the hex view and the export); past it the oldest
/// lines go until a quarter of it is free. A long upload through the window would otherwise
/// grow the log without end.
pub const MAX_DATA_BYTES: usize = 64 * 1024 * 1024;

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

    /// Logs an event that happened `at` (progress events are too chatty and are skipped),
    /// dropping the oldest lines when the log is over [`MAX_LINES`] or [`MAX_DATA_BYTES`].
    /// `at` is when the socket sent it ([`crate::drain::Happened`]), not when the window took
    /// it: the line and the log file keep the order of the wire.
    pub fn push(&mut self, event: Event, at: SystemTime) {
        if let Some(file) = &self.file {
            file.record(&event, at);
        }
        if let Some(line) = human_line(self.role, &event) {
            self.data_bytes += data_len(&event);
            self.entries.push_back(LogEntry { at, event, line });
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
    // A new private file renamed into place: never written through a link at `path`.
    serversocket_files::private_files::replace_private_file(path, |file| {
        let mut out = io::BufWriter::new(file);
        let mut written = 0;
        for entry in entries {
            if let Some(record) = Record::from_event(&entry.event) {
                record.at(entry.at).write_to(&mut out)?;
                written += 1;
            }
        }
        out.flush()?;
        Ok(written)
    })
}

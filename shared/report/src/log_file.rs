//! Writing the log to a file as it happens, as the seed's lines or NDJSON, rotated at a size.
//!
//! A test tool left open for hours must keep its log without filling the disk or slowing the
//! window: lines go over a bounded channel to a thread of their own, which writes, flushes and,
//! once the file reaches its size, renames it to `NAME.1` (replacing the older one) and starts
//! a new file. When the thread falls behind, lines are dropped and counted rather than
//! making the caller wait.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::time::SystemTime;

use serversocket_files::private_files::{create_new_private, open_private_append};

use thiserror::Error;

use crate::{Record, Side, human_line};
use serversocket::Event;

/// How many lines may wait for the writer thread before new ones are dropped.
const QUEUE_LINES: usize = 16 * 1024;

/// The smallest rotation size allowed, so a typo cannot rotate on every line.
pub const MIN_ROTATE_BYTES: u64 = 64 * 1024;

/// The format of the lines in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogFormat {
    /// The seed's words, one event a line, each after its time.
    #[default]
    Text,
    /// One JSON object a line, the headless `--json` schema.
    Ndjson,
}

/// Why the log file could not be started.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LogFileError {
    /// The file could not be opened for appending.
    #[error("cannot write the log to {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The writer thread could not be started.
    #[error("cannot start the log writer: {0}")]
    Thread(io::Error),
}

/// A log file being written; dropping it lets its thread write what is queued and end.
#[derive(Debug)]
pub struct LogFile {
    /// Lines for the writer thread.
    lines: SyncSender<String>,
    /// Lines dropped because the writer was behind, or could not write.
    dropped: Arc<AtomicU64>,
    /// Which side's words to use.
    side: Side,
    /// Text or NDJSON.
    format: LogFormat,
    /// The file.
    path: PathBuf,
}

impl LogFile {
    /// Starts writing to `path` (appending), rotating once it holds `rotate_at` bytes (at
    /// least [`MIN_ROTATE_BYTES`]).
    ///
    /// # Errors
    /// The file cannot be opened, or the thread cannot start.
    pub fn start(
        path: &Path,
        format: LogFormat,
        side: Side,
        rotate_at: u64,
    ) -> Result<Self, LogFileError> {
        // Private (0600) when new, and never through a symlink: a log holds the traffic.
        let open = |path: &Path| {
            open_private_append(path).map_err(|source| LogFileError::Open {
                path: path.to_owned(),
                source,
            })
        };
        let file = open(path)?;
        let size = file.metadata().map_or(0, |m| m.len());
        let (lines, queue) = mpsc::sync_channel::<String>(QUEUE_LINES);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut writer = Writer {
            out: BufWriter::new(file),
            size,
            rotate_at: rotate_at.max(MIN_ROTATE_BYTES),
            path: path.to_owned(),
        };
        let thread_dropped = Arc::clone(&dropped);
        std::thread::Builder::new()
            .name("log-file".to_owned())
            .spawn(move || {
                while let Ok(line) = queue.recv() {
                    if writer.write(&line).is_err() {
                        thread_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    // Flushed whenever the queue is empty: the file is current, yet a burst
                    // is written in large pieces.
                    for line in queue.try_iter() {
                        if writer.write(&line).is_err() {
                            thread_dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    let _ = writer.out.flush();
                }
            })
            .map_err(LogFileError::Thread)?;
        Ok(Self {
            lines,
            dropped,
            side,
            format,
            path: path.to_owned(),
        })
    }

    /// Queues `event`'s line (nothing for events outside the format); never waits.
    pub fn record(&self, event: &Event, at: SystemTime) {
        let line = match self.format {
            LogFormat::Text => human_line(self.side, event).map(|line| {
                let stamp = humantime::format_rfc3339_millis(at);
                format!("{stamp}  {line}")
            }),
            LogFormat::Ndjson => Record::from_event(event).map(|record| record.at(at).to_string()),
        };
        if let Some(line) = line
            && let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
                self.lines.try_send(line)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lines that could not be written (the writer was behind, or the disk refused).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The file being written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The writer thread's file.
struct Writer {
    /// The current file.
    out: BufWriter<File>,
    /// Its size so far.
    size: u64,
    /// Rotate once it holds this much.
    rotate_at: u64,
    /// Its name.
    path: PathBuf,
}

impl Writer {
    fn write(&mut self, line: &str) -> io::Result<()> {
        if self.size >= self.rotate_at {
            self.rotate()?;
        }
        writeln!(self.out, "{line}")?;
        self.size += line.len() as u64 + 1;
        Ok(())
    }

    /// Renames the full file to `NAME.1` (replacing an older one) and starts an empty one.
    fn rotate(&mut self) -> io::Result<()> {
        self.out.flush()?;
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        std::fs::rename(&self.path, &old)?;
        // Made new: if anything appeared at the path meanwhile (a planted link), it fails.
        self.out = BufWriter::new(create_new_private(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serversocket::SocketId;

    /// Reads `path` until it has `lines` lines (the writer thread is asynchronous), at most
    /// 15 s: a wait on the condition, not a sleep standing in for one.
    fn wait_for_lines(path: &Path, lines: usize) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            if text.lines().count() >= lines {
                return text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} has {} of {lines} lines",
                path.display(),
                text.lines().count()
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    #[test]
    fn lines_are_written_as_they_happen_and_the_file_rotates_at_its_size() {
        let dir = std::env::temp_dir().join(format!("log-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("log.txt");
        let _ = std::fs::remove_file(&path);
        let log = LogFile::start(&path, LogFormat::Text, Side::Server, 0).expect("started");
        let event = Event::Closed {
            socket: SocketId(3),
        };
        log.record(&event, SystemTime::UNIX_EPOCH);
        let text = wait_for_lines(&path, 1);
        assert_eq!(text, "1970-01-01T00:00:00.000Z  Socket 3 closed.\n");
        // Past the smallest rotation size: the first lines move to log.txt.1.
        let line_len = text.len() as u64;
        let count = MIN_ROTATE_BYTES / line_len + 2;
        for _ in 1..count {
            log.record(&event, SystemTime::UNIX_EPOCH);
        }
        let rotated = dir.join("log.txt.1");
        let total = usize::try_from(count).expect("small");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let old = std::fs::read_to_string(&rotated).unwrap_or_default();
            let new = std::fs::read_to_string(&path).unwrap_or_default();
            if old.lines().count() + new.lines().count() == total {
                assert!(old.len() as u64 >= MIN_ROTATE_BYTES, "{}", old.len());
                assert!(!new.is_empty());
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "rotation never finished"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert_eq!(log.dropped(), 0);
        drop(log);
        std::fs::remove_dir_all(&dir).expect("cleaned");
    }

    #[test]
    fn ndjson_lines_follow_the_headless_schema_and_a_bad_path_is_an_error() {
        let path = std::env::temp_dir().join(format!("log-file-{}.ndjson", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let log = LogFile::start(&path, LogFormat::Ndjson, Side::Client, 1 << 20).expect("ok");
        log.record(
            &Event::Closed {
                socket: SocketId(1),
            },
            SystemTime::UNIX_EPOCH,
        );
        let text = wait_for_lines(&path, 1);
        let value: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
        assert_eq!(value["event"], "closed");
        assert_eq!(value["socket"], 1);
        std::fs::remove_file(&path).expect("cleaned");
        let error = LogFile::start(
            Path::new("/no/such/dir/log.txt"),
            LogFormat::Text,
            Side::Client,
            0,
        )
        .expect_err("no such directory");
        assert!(
            error.to_string().contains("/no/such/dir/log.txt"),
            "{error}"
        );
    }
}

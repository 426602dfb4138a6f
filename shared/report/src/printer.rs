//! Prints events one line each to a writer (stdout in headless mode), as words or JSON lines.

use std::io::Write;
use std::time::SystemTime;

use std::borrow::Cow;

use serversocket::Event;

use crate::output::Output;
use crate::record::{Certificate, Record};
use crate::{Side, human_line};

/// Prints events one line each, as the seed's words or as JSON lines (headless mode).
#[derive(Debug)]
pub struct Printer<W: Write> {
    /// Which side's wording to use.
    side: Side,
    /// JSON lines instead of the seed's words.
    json: bool,
    /// Where lines go (stdout in the apps).
    out: W,
    /// The reader went away (e.g. `| head` exited): the program should stop like on Ctrl-C.
    closed: bool,
    /// The server's TLS certificate fingerprint, said with every Listening (a `tls` object in
    /// the JSON line, a sentence in words), so a client can pin or compare it.
    fingerprint: Option<String>,
    /// The stamps of the JSON lines.
    stamps: crate::json_line::Stamps,
    /// Where a JSON line is made before it is handed to `out` in one write.
    line: Vec<u8>,
    /// Bytes printed since the last flush.
    unflushed: usize,
}

impl<W: Write> Printer<W> {
    /// A printer for `side`, writing JSON lines when `json` is set.
    pub fn new(side: Side, json: bool, out: W) -> Self {
        Self {
            side,
            json,
            out,
            closed: false,
            fingerprint: None,
            stamps: crate::json_line::Stamps::default(),
            line: Vec::new(),
            unflushed: 0,
        }
    }

    /// Says with every Listening that connections are secured by the certificate with this
    /// SHA-256 fingerprint.
    pub fn set_tls_fingerprint(&mut self, fingerprint: String) {
        self.fingerprint = Some(fingerprint);
    }

    /// Prints one event (nothing for events outside the chosen format) and flushes, so a script
    /// reading the pipe sees each line at once. A failed write marks the output closed.
    pub fn print(&mut self, event: &Event) {
        self.print_unflushed(event);
        self.flush();
    }

    /// Prints one event like [`Printer::print`] but leaves it with the writer until the next
    /// [`Printer::flush`]: a program that drains a batch of events flushes once for the batch,
    /// instead of once a line (a flush is a write to the pipe, the costliest part of a line).
    pub fn print_unflushed(&mut self, event: &Event) {
        if self.closed {
            return;
        }
        if !self.json {
            let line = human_line(self.side, event).map(|line| match &self.fingerprint {
                Some(fingerprint) if matches!(event, Event::Listening { .. }) => format!(
                    "{line}\nTLS: every connection is secured; the certificate's SHA-256 fingerprint is {fingerprint}."
                ),
                _ => line,
            });
            if let Some(line) = line {
                self.closed = writeln!(self.out, "{line}").is_err();
                self.unflushed += line.len() + 1;
            }
            return;
        }
        let ts = self.stamps.at(SystemTime::now());
        self.line.clear();
        // The everyday events are written by hand (see `json_line`): about half of what
        // `serde_json::to_writer` costs on their records.
        let written = match crate::json_line::write(&mut self.line, event, ts) {
            Ok(true) => Ok(()),
            _ => match Record::from_event(event) {
                Some(record) => {
                    self.line.clear();
                    with_certificate(record, self.fingerprint.as_deref())
                        .at_stamp(ts)
                        .write_to(&mut self.line)
                }
                None => return,
            },
        };
        if written.is_ok() {
            self.closed = self.out.write_all(&self.line).is_err();
            self.unflushed += self.line.len();
        }
    }

    /// Bytes printed and not yet flushed.
    #[must_use]
    pub fn unflushed(&self) -> usize {
        self.unflushed
    }

    /// Sends what was printed to the reader. A failed write marks the output closed.
    pub fn flush(&mut self) {
        self.unflushed = 0;
        if !self.closed {
            self.closed = self.out.flush().is_err();
        }
    }

    /// Prints a line of the program's own: `human` as it is, or `record` as a JSON line.
    pub fn print_note(&mut self, human: &str, record: Record<'_>) {
        self.print_note_unflushed(human, record, SystemTime::now());
        self.flush();
    }

    /// Prints a line of the program's own like [`Printer::print_note`], stamped `at` (when it
    /// happened: a captured segment's moment), and leaves it with the writer until the next
    /// [`Printer::flush`], so a burst of them costs one write.
    pub fn print_note_unflushed(&mut self, human: &str, record: Record<'_>, at: SystemTime) {
        if self.closed {
            return;
        }
        let written = if self.json {
            // Made whole first: each write to an `Output` takes its lock.
            self.line.clear();
            record
                .at(at)
                .write_to(&mut self.line)
                .and_then(|()| self.out.write_all(&self.line))
                .map(|()| self.line.len())
        } else {
            writeln!(self.out, "{human}").map(|()| human.len() + 1)
        };
        match written {
            Ok(length) => self.unflushed += length,
            Err(_) => self.closed = true,
        }
    }

    /// The underlying writer (e.g. for [`Output::reader_gone`]).
    pub fn out(&self) -> &W {
        &self.out
    }

    /// True once a line could not be written: nobody reads the output any more.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

impl Printer<Output> {
    /// A printer on this process's stdout through a bounded queue of its own thread
    /// ([`Output`]): a reader that stops reading costs the oldest lines, never a wait.
    ///
    /// # Errors
    /// When stdout cannot be duplicated or the writer thread cannot start.
    pub fn stdout(side: Side, json: bool) -> std::io::Result<Self> {
        let out = Output::stdout(Box::new(move |count, at| dropped_line(json, count, at)))?;
        Ok(Self::new(side, json, out))
    }
}

/// The line that says `count` lines of output were dropped because their reader fell behind:
/// `{"count":N,"event":"dropped","ts":…}` with `json`, words otherwise. `at` is when the last
/// of them was printed: the note takes their place in the output, so its `ts` keeps the
/// stamps in order.
#[must_use]
pub fn dropped_line(json: bool, count: u64, at: SystemTime) -> String {
    if json {
        Record::Dropped { count }.at(at).to_string()
    } else {
        format!(
            "{count} lines of output were dropped: whoever reads this output fell behind, and the program does not wait for it."
        )
    }
}

/// `record`, with the certificate named when it is a TLS server's `listening` record.
fn with_certificate<'a>(mut record: Record<'a>, fingerprint: Option<&'a str>) -> Record<'a> {
    if let (Record::Listening { tls, .. }, Some(fingerprint)) = (&mut record, fingerprint) {
        *tls = Some(Certificate {
            fingerprint: Cow::Borrowed(fingerprint),
        });
    }
    record
}

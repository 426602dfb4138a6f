//! Prints events one line each to a writer (stdout in headless mode), as words or JSON lines.

use std::io::Write;
use std::time::SystemTime;

use serde_json::{Value, json};

use serversocket::Event;

use crate::output::Output;
use crate::{Role, dropped_line, human_line, json_record};

/// Prints events one line each, as the seed's words or as JSON lines (headless mode).
#[derive(Debug)]
pub struct Printer<W: Write> {
    /// Which side's wording to use.
    role: Role,
    /// JSON lines instead of the seed's words.
    json: bool,
    /// Where lines go (stdout in the apps).
    out: W,
    /// The reader went away (e.g. `| head` exited): the program should stop like on Ctrl-C.
    closed: bool,
    /// The server's TLS certificate fingerprint, said with every Listening (a `tls` object in
    /// the JSON line, a sentence in words), so a client can pin or compare it.
    fingerprint: Option<String>,
    /// The stamps of the JSON lines written by hand.
    stamps: crate::json_line::Stamps,
    /// Where a JSON line is made before it is handed to `out` in one write.
    line: Vec<u8>,
    /// Bytes printed since the last flush.
    unflushed: usize,
}

impl<W: Write> Printer<W> {
    /// A printer for `role`, writing JSON lines when `json` is set.
    pub fn new(role: Role, json: bool, out: W) -> Self {
        Self {
            role,
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
        let listening = matches!(event, Event::Listening { .. });
        if self.json && !self.closed && !listening {
            let ts = self.stamps.at(SystemTime::now());
            self.line.clear();
            if crate::json_line::write(&mut self.line, event, ts).unwrap_or(false) {
                self.closed = self.out.write_all(&self.line).is_err();
                self.unflushed += self.line.len();
                return;
            }
        }
        let line = match (&self.fingerprint, self.json) {
            (Some(fingerprint), true) if listening => {
                json_record(event, SystemTime::now()).map(|mut record| {
                    if let Some(fields) = record.as_object_mut() {
                        fields.insert("tls".to_owned(), json!({"fingerprint": fingerprint}));
                    }
                    record.to_string()
                })
            }
            (Some(fingerprint), false) if listening => human_line(self.role, event).map(|line| {
                format!("{line}\nTLS: every connection is secured; the certificate's SHA-256 fingerprint is {fingerprint}.")
            }),
            (_, true) => json_record(event, SystemTime::now()).map(|record| record.to_string()),
            (_, false) => human_line(self.role, event),
        };
        if let Some(line) = line
            && !self.closed
        {
            self.closed = writeln!(self.out, "{line}").is_err();
            self.unflushed += line.len() + 1;
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

    /// Prints a line of the program's own: `human` as it is, or a JSON object with `json_event`
    /// as its event.
    pub fn print_note(&mut self, human: &str, json_event: &str) {
        self.print_note_with(human, json_event, Value::Null);
    }

    /// The underlying writer (e.g. for [`Output::reader_gone`]).
    pub fn out(&self) -> &W {
        &self.out
    }

    /// Like [`Printer::print_note`], with `fields` (a JSON object) added to the JSON line.
    pub fn print_note_with(&mut self, human: &str, json_event: &str, fields: Value) {
        let line = if self.json {
            let ts = crate::json_line::stamp(SystemTime::now());
            let mut record = json!({"event": json_event, "ts": ts});
            if let (Some(record), Value::Object(fields)) = (record.as_object_mut(), fields) {
                record.extend(fields);
            }
            record.to_string()
        } else {
            human.to_owned()
        };
        if !self.closed {
            self.closed = writeln!(self.out, "{line}")
                .and_then(|()| self.out.flush())
                .is_err();
        }
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
    pub fn stdout(role: Role, json: bool) -> std::io::Result<Self> {
        let out = Output::stdout(Box::new(move |count, at| dropped_line(json, count, at)))?;
        Ok(Self::new(role, json, out))
    }
}

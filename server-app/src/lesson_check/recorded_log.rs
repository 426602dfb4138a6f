//! A recorded event log given to `--check`: checked whole before the check begins (so a bad
//! line is named before any step is reported), then read again a record at a time. A log of
//! millions of lines was held whole as JSON values, eleven times its size in memory (3.4 GB
//! for a 309 MB log); a regular file is now read twice and held never. Standard input or a
//! FIFO cannot be read twice: its lines are kept as read, once, as text.

use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};

use serde_json::Value;
use serversocket_lessons::Side;
use serversocket_report::{Line, Record};

/// Why a log could not be used.
#[derive(Debug, thiserror::Error)]
pub(super) enum LogError {
    #[error("{file}: cannot read it: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "{file}, line {line}: longer than {limit} bytes, so not a line of our event logs (a binary file, or a device such as /dev/zero, is not a log)",
        limit = MAX_LINE_BYTES
    )]
    LineTooLong { file: String, line: usize },
    #[error(
        "{file}, line {line}: not a JSON event line (record with `--headless --json`): {reason}"
    )]
    NotJson {
        file: String,
        line: usize,
        reason: String,
    },
    #[error(
        "{file}, line {line}: its \"ts\" is {ts}, not a time (record with `--headless --json`: \
         RFC 3339, as 2026-11-27T06:30:00.123456Z)"
    )]
    NotAStamp {
        file: String,
        line: usize,
        /// The `ts` as written (JSON, so a number or an empty text shows as such).
        ts: String,
    },
    #[error(
        "{file}, line {line}: a `{event}` line is only in the {owner}'s log, so this is the \
         {owner}'s log, given as the {given}'s: {given_as}",
        owner = owner.name(),
        given = given.name(),
        given_as = given_as(*given)
    )]
    WrongSide {
        file: String,
        line: usize,
        event: String,
        /// The side whose log the line belongs to.
        owner: Side,
        /// The side the log was given as.
        given: Side,
    },
}

/// Where each side's log is given, and what records it.
fn given_as(side: Side) -> &'static str {
    match side {
        Side::Server => {
            "give the server's log (`server-app --headless --json`) with --events FILE, or on \
             standard input"
        }
        Side::Client => {
            "give the client's log (`client-app --headless --json`) with --client-events FILE"
        }
    }
}

/// The longest line a log may have. Our records are far shorter (a record's text is cut at
/// a few thousand characters); the bound keeps a file of zeros or of one endless line from
/// taking all memory before it is named.
const MAX_LINE_BYTES: u64 = 1 << 20;

/// Whether `path` names standard input: `-`, as most tools take it, or `/dev/stdin`.
pub(super) fn is_standard_input(path: &Path) -> bool {
    path == Path::new("-")
        || path == Path::new("/dev/stdin")
        || path == Path::new("/proc/self/fd/0")
}

/// One side's log, checked whole.
pub(super) struct RecordedLog {
    /// As the messages name it: its path, or "standard input".
    name: String,
    side: Side,
    source: Source,
    /// The port of the log's first Listen, for the steps' `{port}`.
    pub(super) listened_on: Option<u16>,
}

/// Where the records are read from again.
enum Source {
    /// A regular file, read again from its start up to the length checked: a log a server
    /// still writes grows between the reads, and a line after the check's end was named as
    /// bad after steps were reported.
    File(PathBuf, u64),
    /// Standard input or a FIFO: its lines with their numbers, kept as read.
    Kept(Vec<(usize, String)>),
}

impl RecordedLog {
    /// Reads `side`'s log at `path` (standard input when `None` or `-`) and checks every line:
    /// each is first checked to be a JSON object with an `event`, then read as a typed
    /// record, so a log that is not JSON lines at all is named as such at its first such line,
    /// before a JSON line that is not a record of the schema is named. A record's `ts` must be
    /// a time (the logs are merged by it), and a record only the other side writes (a
    /// `listening` in the client's log) names the log as the other side's: the check would
    /// otherwise run on the wrong log and could say every step was done.
    pub(super) fn open(path: Option<&Path>, side: Side) -> Result<Self, LogError> {
        match path.filter(|path| !is_standard_input(path)) {
            None => Self::check(
                "standard input".to_owned(),
                std::io::stdin().lock(),
                side,
                None,
            ),
            Some(path) => {
                let name = path.display().to_string();
                let file = std::fs::File::open(path).map_err(|source| LogError::Read {
                    file: name.clone(),
                    source,
                })?;
                let regular = file.metadata().is_ok_and(|found| found.is_file());
                let again = regular.then(|| path.to_path_buf());
                Self::check(name, BufReader::new(file), side, again)
            }
        }
    }

    /// The pass over every line; `again` is the file to read the records from afterwards
    /// (else they are kept).
    fn check(
        name: String,
        reader: impl BufRead,
        side: Side,
        again: Option<PathBuf>,
    ) -> Result<Self, LogError> {
        let mut kept = Vec::new();
        let mut first_bad_record = None;
        let mut listened_on = None;
        // The time of the record before, until one goes back in time (said once).
        let mut last_ts = Some(String::new());
        let mut lines = Lines::new(&name, reader);
        for line in &mut lines {
            let (number, text) = line?;
            let object = json_object(&name, number, &text)?;
            if first_bad_record.is_none() {
                match record(&name, side, number, object) {
                    Ok(line) => {
                        if let (None, Record::Listening { address, .. }) =
                            (listened_on, &line.record)
                        {
                            listened_on = Some(address.port());
                        }
                        if let Some(last) = &mut last_ts {
                            if *line.ts < **last {
                                // The logs are merged by time: a log reversed or sorted by
                                // another field is checked in an order that never happened.
                                serversocket_app::say!(
                                    "server-app: warning: {name}, line {number}: its time is \
                                     earlier than the line before it, so the log is not in the \
                                     order it was written (the logs are merged by time)"
                                );
                                last_ts = None;
                            } else {
                                line.ts.as_ref().clone_into(last);
                            }
                        }
                    }
                    Err(error) => first_bad_record = Some(error),
                }
            }
            if again.is_none() {
                kept.push((number, text));
            }
        }
        if let Some(error) = first_bad_record {
            return Err(error);
        }
        Ok(Self {
            name,
            side,
            source: again.map_or(Source::Kept(kept), |path| Source::File(path, lines.bytes)),
            listened_on,
        })
    }

    /// The log's records, in its order. One can still fail: a file changed since it was
    /// checked.
    pub(super) fn records(&self) -> Box<dyn Iterator<Item = Result<Line<'static>, LogError>> + '_> {
        let lines: Box<dyn Iterator<Item = Result<(usize, String), LogError>>> = match &self.source
        {
            Source::Kept(kept) => Box::new(kept.iter().cloned().map(Ok)),
            Source::File(path, checked) => match std::fs::File::open(path) {
                Ok(file) => Box::new(Lines::new(&self.name, BufReader::new(file.take(*checked)))),
                Err(source) => Box::new(std::iter::once(Err(LogError::Read {
                    file: self.name.clone(),
                    source,
                }))),
            },
        };
        Box::new(lines.map(move |line| {
            let (number, text) = line?;
            let object = json_object(&self.name, number, &text)?;
            record(&self.name, self.side, number, object)
        }))
    }
}

/// The non-blank lines of `reader` (named `name` in errors) with their numbers (from 1),
/// each at most [`MAX_LINE_BYTES`] and UTF-8; the first that is not ends them.
struct Lines<R> {
    name: String,
    reader: R,
    number: usize,
    /// How many bytes were read so far.
    bytes: u64,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(name: &str, reader: R) -> Self {
        Self {
            name: name.to_owned(),
            reader,
            number: 0,
            bytes: 0,
            done: false,
        }
    }

    /// Ends the lines with `error`.
    fn fail(&mut self, error: LogError) -> Result<(usize, String), LogError> {
        self.done = true;
        Err(error)
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<(usize, String), LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut bytes = Vec::new();
        while !self.done {
            bytes.clear();
            self.number += 1;
            // At most one byte past the bound: enough to know a line is too long, never more.
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES + 1)
                .read_until(b'\n', &mut bytes);
            if let Ok(read) = read {
                self.bytes += read as u64;
            }
            match read {
                Err(source) => {
                    let file = self.name.clone();
                    return Some(self.fail(LogError::Read { file, source }));
                }
                Ok(0) => self.done = true,
                Ok(_) if bytes.len() as u64 > MAX_LINE_BYTES => {
                    let (file, line) = (self.name.clone(), self.number);
                    return Some(self.fail(LogError::LineTooLong { file, line }));
                }
                Ok(_) => match String::from_utf8(std::mem::take(&mut bytes)) {
                    Err(error) => {
                        let (file, line) = (self.name.clone(), self.number);
                        let reason = format!("it is not UTF-8 text ({})", error.utf8_error());
                        return Some(self.fail(LogError::NotJson { file, line, reason }));
                    }
                    Ok(text) if text.trim().is_empty() => {}
                    Ok(text) => return Some(Ok((self.number, text))),
                },
            }
        }
        None
    }
}

/// Line `number` of `name` as a JSON object with an `event`.
fn json_object(name: &str, number: usize, text: &str) -> Result<Value, LogError> {
    let not_a_record = |reason: String| LogError::NotJson {
        file: name.to_owned(),
        line: number,
        reason,
    };
    let object: Value =
        serde_json::from_str(text).map_err(|error| not_a_record(error.to_string()))?;
    if object.get("event").and_then(Value::as_str).is_none() {
        return Err(not_a_record("it has no \"event\" field".to_owned()));
    }
    Ok(object)
}

/// Line `number` of `side`'s log `name`, a JSON object with an `event`, as a typed record.
fn record(name: &str, side: Side, number: usize, object: Value) -> Result<Line<'static>, LogError> {
    let ts = object.get("ts").map(Value::to_string).unwrap_or_default();
    let event = object
        .get("event")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let record: Line<'static> =
        serde_json::from_value(object).map_err(|error| LogError::NotJson {
            file: name.to_owned(),
            line: number,
            reason: error.to_string(),
        })?;
    if serversocket_report::read_stamp(&record.ts).is_none() {
        return Err(LogError::NotAStamp {
            file: name.to_owned(),
            line: number,
            ts,
        });
    }
    match record.record.only_side() {
        Some(owner) if owner != side => Err(LogError::WrongSide {
            file: name.to_owned(),
            line: number,
            event,
            owner,
            given: side,
        }),
        _ => Ok(record),
    }
}

/// Both logs' records in time order; each log's own order is kept (equal times: the server
/// first). Ends at the first record that cannot be read, with its error.
pub(super) fn merged<'a>(
    server: impl Iterator<Item = Result<Line<'static>, LogError>> + 'a,
    client: impl Iterator<Item = Result<Line<'static>, LogError>> + 'a,
) -> impl Iterator<Item = Result<(Side, Line<'static>), LogError>> + 'a {
    let mut server = server.peekable();
    let mut client = client.peekable();
    std::iter::from_fn(move || {
        let client_first = match (server.peek(), client.peek()) {
            (None, None) => return None,
            (Some(Ok(server)), Some(Ok(client))) => client.ts < server.ts,
            // An error comes as soon as it is met; a log that ended leaves the other's.
            (Some(_), None) | (Some(Err(_)), _) => false,
            (_, Some(Err(_))) | (None, Some(_)) => true,
        };
        if client_first {
            client
                .next()
                .map(|record| record.map(|line| (Side::Client, line)))
        } else {
            server
                .next()
                .map(|record| record.map(|line| (Side::Server, line)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log still being written grows between its check and its replay: the replay reads what
    /// was checked and no more, so no bad line turns up after steps were reported.
    #[test]
    fn a_log_that_grows_after_its_check_is_replayed_as_checked() {
        let dir = test_support::empty_folder("recorded-log-grows");
        let path = dir.join("server.ndjson");
        let line = |n: u32| {
            format!(
                "{{\"event\":\"closed\",\"socket\":{n},\"ts\":\"2026-12-08T00:00:0{n}.000000Z\"}}\n"
            )
        };
        std::fs::write(&path, format!("{}{}", line(1), line(2))).unwrap();
        let log = RecordedLog::open(Some(&path), Side::Server).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, b"not json\n").unwrap();
        let replayed: Vec<_> = log.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(replayed.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! `server-app --lesson NAME --check`: replays recorded NDJSON event logs (the headless apps'
//! `--json` output) against a lesson's steps, so a lesson can be tested without a window.
//!
//! Records are taken in time order (the server's and the client's logs merged by `ts`); each
//! step must be done in turn. A step's question is answered with the value the log gives at
//! that moment, and printed, so a teacher sees what a learner would have had to answer.
//! Exit 0 when every step was done, 1 when the log stops before (naming the step), 2 when the
//! lesson or a log cannot be read, or the report cannot be written. A reader that leaves early
//! (`| head`) changes nothing: the check goes on unheard and its exit code still says.

use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;
use serversocket_lessons::{self as lesson, LessonRun, Progress, Side};
use serversocket_report::{Line, Record};

/// What `--check` was given.
#[derive(Debug, Clone)]
pub struct CheckArgs {
    /// The lesson's name.
    pub lesson: String,
    /// A teacher's folder of lessons, besides the shipped ones.
    pub lessons_dir: Option<PathBuf>,
    /// The server's log; standard input when `None`.
    pub events: Option<PathBuf>,
    /// The client's log, for lessons with client steps.
    pub client_events: Option<PathBuf>,
}

/// Why a log could not be used.
#[derive(Debug, thiserror::Error)]
enum LogError {
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

/// Runs the check and prints what each step saw.
#[must_use]
pub fn run(args: &CheckArgs) -> ExitCode {
    let catalog = lesson::catalog(args.lessons_dir.as_deref());
    // Another file's problem is said, not fatal; the lesson asked for must load. A problem
    // of a file named like it is the error below, unless the lesson loaded from another
    // file of that name (then it is said too, with which file is used).
    for warning in &catalog.warnings {
        serversocket_app::say!("server-app: {warning}");
    }
    let asked_loads = catalog
        .lessons
        .iter()
        .any(|lesson| lesson.name == args.lesson);
    for problem in &catalog.skipped {
        if asked_loads || problem.lesson_name().as_deref() != Some(args.lesson.as_str()) {
            serversocket_app::say!("server-app: lesson skipped: {problem}");
        }
    }
    let lesson = match catalog.take(&args.lesson) {
        Ok(lesson) => lesson,
        Err(error) => {
            serversocket_app::say!("server-app: {error}");
            return ExitCode::from(2);
        }
    };
    // One standard input for one log: the client's log from it as well would leave each log
    // a share of the other's lines, and the check would go wrong without a word.
    let stdin_twice = args.events.as_deref().is_none_or(is_standard_input)
        && args.client_events.as_deref().is_some_and(is_standard_input);
    if stdin_twice {
        serversocket_app::say!(
            "server-app: the server's and the client's logs cannot both be standard input: give \
             one of them as a file (--events FILE or --client-events FILE)"
        );
        return ExitCode::from(2);
    }
    let server = match &args.events {
        Some(path) => read_file(path, Side::Server),
        None => read_log("standard input", std::io::stdin().lock(), Side::Server),
    };
    let client = args
        .client_events
        .as_deref()
        .map(|path| read_file(path, Side::Client))
        .transpose();
    let (server, client) = match (server, client) {
        (Ok(server), Ok(client)) => (server, client.unwrap_or_default()),
        (Err(error), _) | (_, Err(error)) => {
            serversocket_app::say!("server-app: {error}");
            return ExitCode::from(2);
        }
    };
    let mut report = Report::new(std::io::stdout().lock());
    if lesson.has_client_steps() && args.client_events.is_none() {
        report.say(format_args!(
            "note: this lesson has client steps; give the client's log with --client-events FILE"
        ));
    }
    let steps = lesson.steps.len();
    report.say(format_args!(
        "Lesson \"{}\" ({}): {steps} step{}",
        lesson.title,
        lesson.file,
        if steps == 1 { "" } else { "s" }
    ));
    let mut run = LessonRun::new(lesson);
    // The steps' `{port}` is the port the server's log listened on first.
    run.set_port(server.iter().find_map(|line| match line.record {
        Record::Listening { address, .. } => Some(address.port()),
        _ => None,
    }));
    let progress = run.check();
    settle(&mut run, progress, &mut report);
    for (side, record) in merge(server, client) {
        let progress = run.observe(side, &record);
        settle(&mut run, progress, &mut report);
        if run.is_finished() {
            break;
        }
    }
    let step = run.step_index();
    match run.current() {
        Some(current) if !run.is_finished() => report.say(format_args!(
            "Step {} ({}) never done: done_when = `{}` did not hold by the end of the log.",
            step + 1,
            current.side.name(),
            current.done_when_text
        )),
        _ => report.say(format_args!("Every step done.")),
    }
    if let Err(error) = report.finish() {
        serversocket_app::say!("server-app: cannot write the check's report: {error}");
        return ExitCode::from(2);
    }
    if run.is_finished() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Where the check's report goes (stdout): a line at a time, flushed at the end. A reader
/// that left is not an error (the check goes on unheard: its exit code is the answer); any
/// other failure to write is kept and returned by [`Report::finish`].
struct Report<W: std::io::Write> {
    out: W,
    /// The reader left: nothing more is written.
    gone: bool,
    /// The first failure to write, other than the reader leaving.
    failed: Option<std::io::Error>,
}

impl<W: std::io::Write> Report<W> {
    fn new(out: W) -> Self {
        Self {
            out,
            gone: false,
            failed: None,
        }
    }

    /// Writes one line.
    fn say(&mut self, line: std::fmt::Arguments<'_>) {
        if self.gone || self.failed.is_some() {
            return;
        }
        if let Err(error) = writeln!(self.out, "{line}") {
            self.note(error);
        }
    }

    fn note(&mut self, error: std::io::Error) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            self.gone = true;
        } else {
            self.failed = Some(error);
        }
    }

    /// Flushes; the first failure to write, if there was one other than the reader leaving.
    fn finish(mut self) -> Result<(), std::io::Error> {
        if !self.gone
            && self.failed.is_none()
            && let Err(error) = self.out.flush()
        {
            self.note(error);
        }
        self.failed.map_or(Ok(()), Err)
    }
}

/// Prints each step that ends and answers its question from the log. A step whose condition
/// already holds when it begins ends at once, so this goes on while steps end (at most once
/// per step).
fn settle<W: std::io::Write>(run: &mut LessonRun, mut progress: Progress, report: &mut Report<W>) {
    for _ in 0..=run.lesson().steps.len() {
        match progress {
            Progress::Unchanged => return,
            Progress::Asking => {
                let expected = run.expected_answer().to_string();
                if let Some(question) = run.current().and_then(|step| step.question.as_ref()) {
                    report.say(format_args!("  question: {}", question.ask));
                }
                report.say(format_args!("  answer from the log: {expected}"));
                progress = run
                    .answer(&expected)
                    .map_or(Progress::Unchanged, |(_, next)| next);
            }
            Progress::NextStep | Progress::Finished => {
                let done = run.step_index();
                if let Some(step) = done.checked_sub(1).and_then(|i| run.lesson().steps.get(i)) {
                    report.say(format_args!(
                        "Step {done} ({}) done: {}",
                        step.side.name(),
                        run.words(&step.say)
                    ));
                }
                if progress == Progress::Finished {
                    return;
                }
                progress = run.check();
            }
        }
    }
}

/// Whether `path` names standard input: `-`, as most tools take it, or `/dev/stdin`.
fn is_standard_input(path: &Path) -> bool {
    path == Path::new("-")
        || path == Path::new("/dev/stdin")
        || path == Path::new("/proc/self/fd/0")
}

fn read_file(path: &Path, side: Side) -> Result<Vec<Line<'static>>, LogError> {
    if is_standard_input(path) {
        return read_log("standard input", std::io::stdin().lock(), side);
    }
    let file = std::fs::File::open(path).map_err(|source| LogError::Read {
        file: path.display().to_string(),
        source,
    })?;
    read_log(&path.display().to_string(), BufReader::new(file), side)
}

/// The records of `side`'s log. Every line is first checked to be a JSON object with an
/// `event`, then read as a typed record, so a log that is not JSON lines at all is named as
/// such at its first such line, before a JSON line that is not a record of the schema is
/// named. A record's `ts` must be a time (the logs are merged by it), and a record only the
/// other side writes (a `listening` in the client's log) names the log as the other side's:
/// the check would otherwise run on the wrong log and could say every step was done.
fn read_log(name: &str, reader: impl BufRead, side: Side) -> Result<Vec<Line<'static>>, LogError> {
    let not_a_record = |line: usize, reason: String| LogError::NotJson {
        file: name.to_owned(),
        line,
        reason,
    };
    let read_failed = |source| LogError::Read {
        file: name.to_owned(),
        source,
    };
    let mut objects = Vec::new();
    let mut reader = reader;
    let mut bytes = Vec::new();
    for index in 0.. {
        bytes.clear();
        // At most one byte past the bound: enough to know a line is too long, never more.
        let read = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(read_failed)?;
        if read == 0 {
            break;
        }
        if bytes.len() as u64 > MAX_LINE_BYTES {
            return Err(LogError::LineTooLong {
                file: name.to_owned(),
                line: index + 1,
            });
        }
        let line = std::str::from_utf8(&bytes)
            .map_err(|error| not_a_record(index + 1, format!("it is not UTF-8 text ({error})")))?;
        if line.trim().is_empty() {
            continue;
        }
        let object: Value = serde_json::from_str(line)
            .map_err(|error| not_a_record(index + 1, error.to_string()))?;
        if object.get("event").and_then(Value::as_str).is_none() {
            return Err(not_a_record(
                index + 1,
                "it has no \"event\" field".to_owned(),
            ));
        }
        objects.push((index + 1, object));
    }
    objects
        .into_iter()
        .map(|(line, object)| {
            let ts = object.get("ts").map(Value::to_string).unwrap_or_default();
            let event = object
                .get("event")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let record: Line<'static> = serde_json::from_value(object)
                .map_err(|error| not_a_record(line, error.to_string()))?;
            if serversocket_report::read_stamp(&record.ts).is_none() {
                return Err(LogError::NotAStamp {
                    file: name.to_owned(),
                    line,
                    ts,
                });
            }
            match record.record.only_side() {
                Some(owner) if owner != side => Err(LogError::WrongSide {
                    file: name.to_owned(),
                    line,
                    event,
                    owner,
                    given: side,
                }),
                _ => Ok(record),
            }
        })
        .collect()
}

/// Both logs in time order; each log's own order is kept (equal times: the server first).
fn merge(server: Vec<Line<'static>>, client: Vec<Line<'static>>) -> Vec<(Side, Line<'static>)> {
    let mut merged = Vec::with_capacity(server.len() + client.len());
    let mut client = client.into_iter().peekable();
    for record in server {
        while let Some(next) = client.next_if(|next| next.ts < record.ts) {
            merged.push((Side::Client, next));
        }
        merged.push((Side::Server, record));
    }
    merged.extend(client.map(|record| (Side::Client, record)));
    merged
}

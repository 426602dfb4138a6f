//! `server-app --lesson NAME --check`: replays recorded NDJSON event logs (the headless apps'
//! `--json` output) against a lesson's steps, so a lesson can be tested without a window.
//!
//! Records are taken in time order (the server's and the client's logs merged by `ts`); each
//! step must be done in turn. A step's question is answered with the value the log gives at
//! that moment, and printed, so a teacher sees what a learner would have had to answer.
//! Exit 0 when every step was done, 1 when the log stops before (naming the step), 2 when the
//! lesson or a log cannot be read, or the report cannot be written. A reader that leaves early
//! (`| head`) changes nothing: the check goes on unheard and its exit code still says.

mod recorded_log;

use std::path::PathBuf;
use std::process::ExitCode;

use serversocket_lessons::{self as lesson, LessonRun, Progress, Side};

use recorded_log::{RecordedLog, is_standard_input, merged};

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
    let server = RecordedLog::open(args.events.as_deref(), Side::Server);
    let client = args
        .client_events
        .as_deref()
        .map(|path| RecordedLog::open(Some(path), Side::Client))
        .transpose();
    let (server, client) = match (server, client) {
        (Ok(server), Ok(client)) => (server, client),
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
    run.set_port(server.listened_on);
    let progress = run.check();
    settle(&mut run, progress, &mut report);
    let client_records = client.as_ref().map_or_else(
        || Box::new(std::iter::empty()) as Box<dyn Iterator<Item = _>>,
        RecordedLog::records,
    );
    for next in merged(server.records(), client_records) {
        let (side, record) = match next {
            Ok(next) => next,
            // A log changed since it was checked.
            Err(error) => {
                let _ = report.finish();
                serversocket_app::say!("server-app: {error}");
                return ExitCode::from(2);
            }
        };
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

//! Lessons: short guided labs, one TOML file each, whose steps say what to do, apply a setting,
//! know when they are done from what the sockets really did, and may ask a question whose answer
//! is computed from the session.
//!
//! A lesson file (see `assets/lessons/` for the shipped ones, and "Writing a lesson" in
//! `docs/lessons.md`):
//!
//! ```toml
//! title = "Listening"
//! goal = "See what a listening socket is."
//!
//! [[step]]
//! say = "Click Listen."
//! highlight = "listen"
//! done_when = "event listening"
//! question = "Which port does the server listen on?"
//! answer = "port"
//!
//! [[step]]
//! side = "client"
//! say = "In the client window, click Connect ×3."
//! set = { burst = 3 }
//! done_when = "count(connected) >= 3"
//! ```
//!
//! # Layout
//! - this file: [`Lesson`] and its steps as read from TOML, the shipped catalog, and finding a
//!   lesson by name or file.
//! - [`condition`]: the expressions in `done_when` and `answer`.
//! - `outcome`: [`Outcome`], what an expression evaluates to.
//! - [`observed`]: the live values of each side, from its event records.
//! - [`run`]: a lesson in progress: the current step, answers, the report.
//! - [`sync`]: how the server and the client window follow one lesson together.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod condition;
pub mod observed;
mod outcome;
pub mod run;
pub mod sync;

pub use condition::{Expr, Outcome};
pub use observed::{Observed, Side, lesson_record};
pub use run::{LessonRun, Progress};

/// The lessons that ship with the apps, in order: (name, file name, text).
const SHIPPED: &[(&str, &str)] = &[
    (
        "01-listening.toml",
        include_str!("../../../assets/lessons/01-listening.toml"),
    ),
    (
        "02-the-pool.toml",
        include_str!("../../../assets/lessons/02-the-pool.toml"),
    ),
    (
        "03-max-and-backlog.toml",
        include_str!("../../../assets/lessons/03-max-and-backlog.toml"),
    ),
    (
        "04-why-a-serversocket.toml",
        include_str!("../../../assets/lessons/04-why-a-serversocket.toml"),
    ),
    (
        "05-errors.toml",
        include_str!("../../../assets/lessons/05-errors.toml"),
    ),
    (
        "06-closing.toml",
        include_str!("../../../assets/lessons/06-closing.toml"),
    ),
    (
        "07-the-byte-stream.toml",
        include_str!("../../../assets/lessons/07-the-byte-stream.toml"),
    ),
    (
        "08-tls.toml",
        include_str!("../../../assets/lessons/08-tls.toml"),
    ),
    (
        "09-the-packets.toml",
        include_str!("../../../assets/lessons/09-the-packets.toml"),
    ),
];

/// Widgets a step may light up: the server window marks listen, mode, min, max, backlog,
/// pool (the tiles' tab), table and log; the client window connect, sockets, stream and log.
pub const HIGHLIGHTS: &[&str] = &[
    "listen", "mode", "min", "max", "backlog", "pool", "table", "log", "connect", "sockets",
    "stream",
];

/// A lesson, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// Its name: the file name without the order number and `.toml` (`the-pool`).
    pub name: String,
    /// Where it came from (a file path, or `shipped/02-the-pool.toml`), for messages.
    pub file: String,
    /// The title shown in the panel.
    pub title: String,
    /// One sentence: what the learner will have seen at the end.
    pub goal: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a lesson.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Which window does it: the step's condition reads that side's events.
    pub side: Side,
    /// The instruction, in plain words.
    pub say: String,
    /// Settings applied when the step begins.
    pub set: Settings,
    /// When the step is done.
    pub done_when: Expr,
    /// The condition as written (shown to a teacher and in reports).
    pub done_when_text: String,
    /// Shown when the step takes longer than `hint_after_s`.
    pub hint: Option<String>,
    /// Seconds before the hint shows.
    pub hint_after_s: u64,
    /// A widget to light up (one of [`HIGHLIGHTS`]).
    pub highlight: Option<String>,
    /// A question asked once the step's condition holds, and its answer, computed from the
    /// session when the learner answers.
    pub question: Option<Question>,
}

/// A question and how its answer is computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// What is asked.
    pub ask: String,
    /// The expression whose value, at the moment of answering, is the right answer.
    pub answer: Expr,
    /// The expression as written.
    pub answer_text: String,
}

/// Settings a step applies; each window applies those it has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Server: `pool` or `naive`.
    pub mode: Option<ServerMode>,
    /// Server: MinimumSocketsAvailable.
    pub min: Option<usize>,
    /// Server: MaximumSocketsConnected.
    pub max: Option<usize>,
    /// Server: the backlog.
    pub backlog: Option<u32>,
    /// Server: pause accepting.
    pub paused: Option<bool>,
    /// Server: the port to listen on; client: the port to connect to.
    pub port: Option<u16>,
    /// Client: the host to connect to.
    pub host: Option<String>,
    /// Client: how many sockets Connect ×N opens.
    pub burst: Option<usize>,
    /// Both: secure new connections with TLS (the server with its generated certificate).
    pub tls: Option<bool>,
    /// Client: accept any certificate (insecure, for teaching).
    pub tls_insecure: Option<bool>,
    /// Server: stop listening and close every connection (Stop Listening, Disconnect all),
    /// so the step starts from a server that is not listening.
    pub stop: Option<bool>,
    /// Client: close every socket and take closed and failed ones out of the list (Close
    /// all, Remove closed), so the step's counts start from nothing.
    pub close_all: Option<bool>,
    /// Both: Capture packets (the Packets view), so a step can wait for a segment
    /// (`event segment(flags ~ "RST")`).
    pub capture: Option<bool>,
}

impl Settings {
    /// What starting (or resetting) a lesson sets: both windows back to nothing (the server
    /// not listening, no connection left on either side), then the first step's settings.
    /// Whatever the previous lesson left cannot hold a Max place or a count of this one.
    #[must_use]
    pub fn fresh_start(first: &Settings) -> Settings {
        Settings {
            stop: Some(true),
            close_all: Some(true),
            ..first.clone()
        }
    }
}

/// The server's two ways of listening, as a lesson names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerMode {
    /// A ServerSocket.
    Pool,
    /// The single re-listening socket.
    Naive,
}

/// Why a lesson could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LessonError {
    /// The file could not be read.
    #[error("{file}: cannot read it: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not one a lesson is read from: not a regular file (a FIFO, a device, a
    /// folder named `x.toml`), or larger than [`MAX_LESSON_BYTES`].
    #[error("{0}")]
    Refused(#[from] serversocket::bounded_file::BoundedFileError),
    /// The file is not a valid lesson.
    #[error("{file}, line {line}, field `{field}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The line, from 1.
        line: usize,
        /// The field (`done_when`, `step`, …).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No lesson has that name.
    #[error("there is no lesson called \"{name}\"; the lessons are: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
}

/// The file as written, before its conditions are read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    title: String,
    goal: String,
    step: Vec<StepFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    #[serde(default = "server_side")]
    side: Side,
    say: String,
    #[serde(default)]
    set: Settings,
    done_when: toml::Spanned<String>,
    hint: Option<String>,
    hint_after_s: Option<u64>,
    highlight: Option<toml::Spanned<String>>,
    question: Option<toml::Spanned<String>>,
    answer: Option<toml::Spanned<String>>,
}

impl StepFile {
    /// The step with its expressions read and checked; errors name its line and field.
    fn checked(self, file: &str, text: &str) -> Result<Step, LessonError> {
        let step = self;
        let invalid = |at: usize, field: &str, message: String| LessonError::Invalid {
            file: file.to_owned(),
            line: line_of(text, at),
            field: field.to_owned(),
            message,
        };
        let expression = |spanned: &toml::Spanned<String>, field: &str| {
            let expr = Expr::parse_for(spanned.get_ref(), step.side)
                .map_err(|error| invalid(spanned.span().start, field, error.to_string()))?;
            let mut names = Vec::new();
            expr.value_names(&mut names);
            if let Some(name) = names
                .iter()
                .find(|name| !observed::VALUES.iter().any(|(known, _)| known == name))
            {
                let known: Vec<&str> = observed::VALUES.iter().map(|(name, _)| *name).collect();
                return Err(invalid(
                    spanned.span().start,
                    field,
                    format!(
                        "no value is called `{name}`; the values are: {}",
                        known.join(", ")
                    ),
                ));
            }
            if let Some(other) = other_side(&expr, step.side) {
                return Err(invalid(
                    spanned.span().start,
                    field,
                    format!(
                        "this step is done in the {} window, so it can only read the {} side (it reads `{other}`)",
                        step.side.name(),
                        step.side.name()
                    ),
                ));
            }
            Ok(expr)
        };
        let done_when = expression(&step.done_when, "done_when")?;
        let question = match (step.question, step.answer) {
            (Some(ask), Some(answer)) => Some(Question {
                ask: ask.get_ref().clone(),
                answer: expression(&answer, "answer")?,
                answer_text: answer.get_ref().clone(),
            }),
            (None, None) => None,
            (Some(ask), None) => {
                return Err(invalid(
                    ask.span().start,
                    "answer",
                    "a question needs an `answer` (the value that is right)".into(),
                ));
            }
            (None, Some(answer)) => {
                return Err(invalid(
                    answer.span().start,
                    "question",
                    "an `answer` needs a `question`".into(),
                ));
            }
        };
        if let Some(highlight) = &step.highlight
            && !HIGHLIGHTS.contains(&highlight.get_ref().as_str())
        {
            return Err(invalid(
                highlight.span().start,
                "highlight",
                format!(
                    "no widget is called `{}`; the widgets are: {}",
                    highlight.get_ref(),
                    HIGHLIGHTS.join(", ")
                ),
            ));
        }
        Ok(Step {
            side: step.side,
            say: step.say,
            set: step.set,
            done_when_text: step.done_when.get_ref().clone(),
            done_when,
            hint: step.hint,
            hint_after_s: step.hint_after_s.unwrap_or(DEFAULT_HINT_AFTER_S),
            highlight: step.highlight.map(toml::Spanned::into_inner),
            question,
        })
    }
}

fn server_side() -> Side {
    Side::Server
}

/// How long a step runs before its hint shows, unless the lesson says.
pub const DEFAULT_HINT_AFTER_S: u64 = 45;

impl Lesson {
    /// Reads a lesson from its text. `file` names it in messages; the name comes from it.
    ///
    /// # Errors
    /// [`LessonError::Invalid`] naming the line and field of the first problem.
    pub fn parse(file: &str, text: &str) -> Result<Lesson, LessonError> {
        let raw: LessonFile = toml::from_str(text).map_err(|error| {
            let at = error.span().map_or(0, |span| span.start);
            LessonError::Invalid {
                file: file.to_owned(),
                line: line_of(text, at),
                field: field_of(error.message(), text, at),
                message: error.message().trim().to_owned(),
            }
        })?;
        let invalid = |at: usize, field: &str, message: String| LessonError::Invalid {
            file: file.to_owned(),
            line: line_of(text, at),
            field: field.to_owned(),
            message,
        };
        if raw.step.is_empty() {
            return Err(invalid(
                0,
                "step",
                "a lesson needs at least one [[step]]".into(),
            ));
        }
        let steps = raw
            .step
            .into_iter()
            .map(|step| step.checked(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Lesson {
            name: name_of(file),
            file: file.to_owned(),
            title: raw.title,
            goal: raw.goal,
            steps,
        })
    }

    /// Reads a lesson file: only a regular file (after following links) of at most
    /// [`MAX_LESSON_BYTES`], so a FIFO, `/dev/zero` or a huge file in a teacher's folder costs
    /// only itself, never a hang or the machine's memory.
    ///
    /// # Errors
    /// [`LessonError::Refused`], [`LessonError::Read`] or [`LessonError::Invalid`].
    pub fn load(path: &Path) -> Result<Lesson, LessonError> {
        let file = path.display().to_string();
        let bytes = serversocket::bounded_file::read_bounded(path, MAX_LESSON_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|error| LessonError::Read {
            file: file.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, error.utf8_error()),
        })?;
        Lesson::parse(&file, &text)
    }

    /// True when some step is done in the client window.
    #[must_use]
    pub fn has_client_steps(&self) -> bool {
        self.steps.iter().any(|step| step.side == Side::Client)
    }
}

/// The largest lesson file read: the shipped ones are a few KiB.
pub const MAX_LESSON_BYTES: u64 = 1024 * 1024;

/// The lessons there are, and the files that were skipped with why.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The shipped lessons, then the teacher's, by file name.
    pub lessons: Vec<Lesson>,
    /// Each lesson file that did not load (or the folder that could not be read), with its
    /// message: shown to the learner, never a reason to refuse the rest.
    pub skipped: Vec<LessonError>,
}

impl Catalog {
    /// The lesson called `name`.
    ///
    /// # Errors
    /// The problem of a skipped file with that name, else [`LessonError::Unknown`] listing the
    /// names.
    pub fn take(self, name: &str) -> Result<Lesson, LessonError> {
        let known: Vec<String> = self
            .lessons
            .iter()
            .map(|lesson| lesson.name.clone())
            .collect();
        if let Some(lesson) = self.lessons.into_iter().find(|lesson| lesson.name == name) {
            return Ok(lesson);
        }
        if let Some(problem) = self
            .skipped
            .into_iter()
            .find(|problem| problem.lesson_name().as_deref() == Some(name))
        {
            return Err(problem);
        }
        Err(LessonError::Unknown {
            name: name.to_owned(),
            known: known.join(", "),
        })
    }
}

impl LessonError {
    /// The file the problem is about, when it is about one.
    #[must_use]
    pub fn file(&self) -> Option<String> {
        match self {
            Self::Read { file, .. } | Self::Invalid { file, .. } => Some(file.clone()),
            Self::Refused(refused) => Some(refused.path().display().to_string()),
            Self::Unknown { .. } => None,
        }
    }

    /// The name of the lesson the problem's file would have held (`01-listening.toml` →
    /// `listening`).
    #[must_use]
    pub fn lesson_name(&self) -> Option<String> {
        self.file().map(|file| name_of(&file))
    }
}

/// The shipped lessons, then every `*.toml` in `extra` (a teacher's folder), by file name.
/// A lesson in `extra` with a shipped lesson's name replaces it. A file that does not load is
/// skipped, with its problem in [`Catalog::skipped`]: one broken file in a teacher's shared
/// folder costs that lesson, not everyone's lab.
#[must_use]
pub fn catalog(extra: Option<&Path>) -> Catalog {
    let mut catalog = Catalog::default();
    for (file, text) in SHIPPED {
        match Lesson::parse(&format!("shipped/{file}"), text) {
            Ok(lesson) => catalog.lessons.push(lesson),
            Err(problem) => catalog.skipped.push(problem),
        }
    }
    let Some(dir) = extra else {
        return catalog;
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            catalog.skipped.push(LessonError::Read {
                file: dir.display().to_string(),
                source,
            });
            return catalog;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    for path in files {
        let lesson = match Lesson::load(&path) {
            Ok(lesson) => lesson,
            Err(problem) => {
                catalog.skipped.push(problem);
                continue;
            }
        };
        match catalog
            .lessons
            .iter_mut()
            .find(|known| known.name == lesson.name)
        {
            Some(known) => *known = lesson,
            None => catalog.lessons.push(lesson),
        }
    }
    catalog
}

/// The lesson called `name` in [`catalog`].
///
/// # Errors
/// [`LessonError::Unknown`] listing the names, or the problem of the file with that name.
pub fn find(name: &str, extra: Option<&Path>) -> Result<Lesson, LessonError> {
    catalog(extra).take(name)
}

/// `shipped/02-the-pool.toml` → `the-pool`.
fn name_of(file: &str) -> String {
    let stem = Path::new(file).file_stem().map_or_else(
        || file.to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    match stem.split_once('-') {
        Some((number, rest)) if number.chars().all(|c| c.is_ascii_digit()) => rest.to_owned(),
        _ => stem,
    }
}

/// The line (from 1) of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The field a TOML error is about: the name in its message's backticks (`unknown field
/// `x``, `missing field `x``), else the key on the error's line, else `step`.
fn field_of(message: &str, text: &str, at: usize) -> String {
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|name| !name.is_empty() && !name.contains(' '));
    if let Some(name) = quoted {
        return name.to_owned();
    }
    let start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or_default();
    match line.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => line.trim().trim_matches(['[', ']']).to_owned(),
    }
}

/// A value or event name of the other side in `expr`, if any.
fn other_side(expr: &Expr, side: Side) -> Option<String> {
    match expr {
        Expr::Value(s, name) if *s != side => Some(format!("{}.{name}", s.name())),
        Expr::Event(pattern) | Expr::Count(pattern) | Expr::Total(pattern)
            if pattern.side != side =>
        {
            Some(format!("{}.{}", pattern.side.name(), pattern.event))
        }
        Expr::Not(inner) => other_side(inner, side),
        Expr::And(left, right)
        | Expr::Or(left, right)
        | Expr::Compare(left, _, right)
        | Expr::Sum(left, _, right) => other_side(left, side).or_else(|| other_side(right, side)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_lesson_loads() {
        let catalog = catalog(None);
        assert!(catalog.skipped.is_empty(), "{:?}", catalog.skipped);
        let lessons = catalog.lessons;
        assert_eq!(lessons.len(), SHIPPED.len());
        assert_eq!(lessons[0].name, "listening");
        for lesson in &lessons {
            assert!(!lesson.steps.is_empty(), "{}", lesson.name);
        }
    }

    fn invalid(text: &str) -> (usize, String, String) {
        match Lesson::parse("lessons/x.toml", text) {
            Err(LessonError::Invalid {
                line,
                field,
                message,
                ..
            }) => (line, field, message),
            other => panic!("expected an invalid lesson, got {other:?}"),
        }
    }

    #[test]
    fn a_malformed_lesson_names_file_line_and_field() {
        let head = "title = \"T\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Do it\"\n";
        let (line, field, message) = invalid(&format!("{head}done_when = \"connected ==\"\n"));
        assert_eq!((line, field.as_str()), (6, "done_when"), "{message}");
        let (line, field, _) = invalid(&format!("{head}don_when = \"event listening\"\n"));
        assert_eq!((line, field.as_str()), (6, "don_when"));
        let (line, field, message) = invalid(head);
        assert_eq!((line, field.as_str()), (4, "done_when"), "{message}");
        let (line, field, _) = invalid(&format!(
            "{head}done_when = \"event listening\"\nset = {{ max = \"three\" }}\n"
        ));
        assert_eq!((line, field.as_str()), (7, "set"));
        let (line, field, message) = invalid(&format!("{head}done_when = \"connectd > 0\"\n"));
        assert_eq!((line, field.as_str()), (6, "done_when"));
        assert!(message.contains("`connectd`"), "{message}");
        let (line, field, _) = invalid(&format!(
            "{head}done_when = \"event listening\"\nquestion = \"Which port?\"\n"
        ));
        assert_eq!((line, field.as_str()), (7, "answer"));
        let (line, field, _) = invalid(&format!("{head}done_when = \"client.event connected\"\n"));
        assert_eq!((line, field.as_str()), (6, "done_when"));
        let (line, field, _) = invalid(&format!(
            "{head}done_when = \"event listening\"\nhighlight = \"lisen\"\n"
        ));
        assert_eq!((line, field.as_str()), (7, "highlight"));
        let error = Lesson::parse("x.toml", "title = \"T\"\ngoal = \"G\"\nstep = []\n")
            .expect_err("no steps");
        assert!(error.to_string().contains("at least one"), "{error}");
    }

    #[test]
    fn names_come_from_file_names() {
        assert_eq!(name_of("shipped/02-the-pool.toml"), "the-pool");
        assert_eq!(name_of("/home/t/my-lab.toml"), "my-lab");
        let error = find("no-such", None).expect_err("unknown");
        assert!(error.to_string().contains("listening"), "{error}");
    }

    #[test]
    fn a_teachers_folder_adds_and_replaces_lessons() {
        let dir = std::env::temp_dir().join(format!("lessons-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let lesson = "title = \"Mine\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n";
        std::fs::write(dir.join("01-listening.toml"), lesson).expect("write");
        std::fs::write(dir.join("my-lab.toml"), lesson).expect("write");
        let lessons = catalog(Some(&dir)).lessons;
        assert_eq!(lessons.len(), SHIPPED.len() + 1);
        assert_eq!(lessons[0].title, "Mine");
        std::fs::write(dir.join("zz-broken.toml"), "title = 3").expect("write");
        let catalog = catalog(Some(&dir));
        assert_eq!(
            catalog.lessons.len(),
            SHIPPED.len() + 1,
            "the rest still load"
        );
        let [error] = &catalog.skipped[..] else {
            panic!("one skipped: {:?}", catalog.skipped);
        };
        assert!(
            error.to_string().contains("zz-broken.toml, line 1"),
            "{error}"
        );
        let error = catalog.take("zz-broken").expect_err("broken");
        assert!(error.to_string().contains("line 1"), "{error}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    /// A teacher's folder where every bad thing a shared folder can hold sits beside a good
    /// lesson: each is skipped with its own words, without reading it, and the good one loads.
    #[cfg(unix)]
    #[test]
    fn a_fifo_a_link_to_dev_zero_a_folder_and_a_huge_file_cost_only_themselves() {
        let dir = std::env::temp_dir().join(format!("lessons-bad-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("folder.toml")).expect("folder");
        let lesson = "title = \"Mine\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n";
        std::fs::write(dir.join("good.toml"), lesson).expect("write");
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("fifo.toml"))
            .status();
        assert!(made.is_ok_and(|status| status.success()), "mkfifo");
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero.toml")).expect("link");
        // 2 MiB of comments: valid TOML, only too large.
        let huge = format!("{lesson}{}", "# padding\n".repeat(2 * 1024 * 1024 / 10));
        std::fs::write(dir.join("huge.toml"), huge).expect("write");
        std::fs::write(dir.join("broken.toml"), "title = [").expect("write");
        let catalog = catalog(Some(&dir));
        assert_eq!(catalog.lessons.len(), SHIPPED.len() + 1);
        assert!(catalog.lessons.iter().any(|lesson| lesson.name == "good"));
        let said: Vec<String> = catalog.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(said.len(), 5, "{said:#?}");
        for (file, words) in [
            ("broken.toml", "line 1"),
            ("fifo.toml", "(a FIFO)"),
            ("folder.toml", "(a folder)"),
            ("huge.toml", "at most 1 MiB are read"),
            ("zero.toml", "(a device)"),
        ] {
            assert!(
                said.iter()
                    .any(|line| line.contains(file) && line.contains(words)),
                "{file}: {said:#?}"
            );
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}

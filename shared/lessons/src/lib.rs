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
//! say = "Click Listen." # `{port}` in a step's words or hint is the server's port
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
//! - `settings`: [`Settings`], what a step sets in its window, and what a lesson's start sets.
//! - [`sync`]: how the server and the client window follow one lesson together.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod condition;
pub mod observed;
mod outcome;
mod pattern_counts;
pub mod run;
mod settings;
pub mod sync;

pub use condition::{Expr, Outcome};
pub use observed::{Observed, Side, lesson_record};
pub use run::{LessonRun, Progress, RunRecord, Skipped};
pub use settings::{ServerMode, Settings};

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
    "listen", "mode", "min", "max", "backlog", "pool", "table", "log", "connect", "burst",
    "sockets", "stream",
];

/// The window a widget of [`HIGHLIGHTS`] is in; `None` for one both have (the log) or none.
fn highlight_side(widget: &str) -> Option<Side> {
    match widget {
        "listen" | "mode" | "min" | "max" | "backlog" | "pool" | "table" => Some(Side::Server),
        "connect" | "burst" | "sockets" | "stream" => Some(Side::Client),
        _ => None,
    }
}

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
    Refused(#[from] serversocket_files::bounded_file::BoundedFileError),
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
    /// Another file of the same folder holds a lesson of the same name, and that one is
    /// used: of such files, the last by file name that loads (as a file of the folder
    /// replaces a shipped lesson of its name).
    #[error("{}", duplicate_words(file, name, used, problem.as_deref()))]
    Duplicate {
        /// The file not used.
        file: String,
        /// The lesson name both files have.
        name: String,
        /// The file used instead.
        used: String,
        /// Why this file did not load either, when it did not.
        problem: Option<Box<LessonError>>,
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
    set: Option<toml::Spanned<Settings>>,
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
        // Each of min and max was checked alone as it was read; together, as the pool takes
        // them. A step that sets one of them leaves the other as the window has it.
        if let Some(set) = &step.set
            && let (Some(min), Some(max)) = (set.get_ref().min, set.get_ref().max)
        {
            serversocket::server_socket::Limits::new_with(min, max, None)
                .map_err(|error| invalid(set.span().start, "min", error.to_string()))?;
        }
        // Port 0 is a server's "any free port"; the client window refuses it at Connect, so a
        // client step that set it would leave the learner a step nobody can do.
        if let Some(set) = &step.set
            && step.side == Side::Client
            && set.get_ref().port == Some(0)
        {
            return Err(invalid(
                key_in(text, set.span(), "port"),
                "port",
                "port 0 means \"any port\" to a server; a client step must name one (1 to 65535)"
                    .into(),
            ));
        }
        // A setting or a widget of the other window is never applied or lit up: the step would
        // say to do something the lesson never set up.
        if let Some(set) = &step.set
            && let Some(key) = set.get_ref().other_sides_key(step.side)
        {
            return Err(invalid(
                key_in(text, set.span(), key),
                key,
                format!(
                    "this step is done in the {} window, which has no `{key}` (a {} setting): \
                     set it in a step of the {} window",
                    step.side.name(),
                    step.side.other().name(),
                    step.side.other().name()
                ),
            ));
        }
        if let Some(highlight) = &step.highlight
            && highlight_side(highlight.get_ref()) == Some(step.side.other())
        {
            return Err(invalid(
                highlight.span().start,
                "highlight",
                format!(
                    "this step is done in the {} window, which has no `{}` to light up (it is \
                     in the {} window)",
                    step.side.name(),
                    highlight.get_ref(),
                    step.side.other().name()
                ),
            ));
        }
        let done_when = expression(&step.done_when, "done_when")?;
        // `handle` or `"text"` alone held as if true: a step done at once, or never.
        if done_when.kind() != observed::Kind::YesNo {
            return Err(invalid(
                step.done_when.span().start,
                "done_when",
                format!(
                    "`{}` is {}, not a condition (yes or no): compare it (`connected >= 1`)",
                    step.done_when.get_ref(),
                    done_when.kind().words()
                ),
            ));
        }
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
            set: step.set.map(toml::Spanned::into_inner).unwrap_or_default(),
            done_when_text: step.done_when.get_ref().clone(),
            done_when,
            hint: step.hint,
            hint_after_s: step.hint_after_s.unwrap_or(DEFAULT_HINT_AFTER_S),
            highlight: step.highlight.map(toml::Spanned::into_inner),
            question,
        })
    }
}

/// `text` (a step's words or hint) with the server's `port` where it writes `{port}`: a
/// learner who moved the server off 2002 is told the command that reaches it
/// (`nc 127.0.0.1 {port}`). `PORT` when the port is not known (a Port field left empty).
#[must_use]
pub fn with_port(text: &str, port: Option<u16>) -> std::borrow::Cow<'_, str> {
    if !text.contains("{port}") {
        return std::borrow::Cow::Borrowed(text);
    }
    let port = port.map_or_else(|| "PORT".to_owned(), |port| port.to_string());
    std::borrow::Cow::Owned(text.replace("{port}", &port))
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
        let bytes = serversocket_files::bounded_file::read_bounded(path, MAX_LESSON_BYTES)?;
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
    /// What another user of the machine could change in the teacher's folder (the folder,
    /// or a lesson file in it): said, as for a key file a person names, and loaded all the
    /// same, since the person chose the folder (a teacher's own, on a school's machine).
    pub warnings: Vec<String>,
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
            Self::Read { file, .. } | Self::Invalid { file, .. } | Self::Duplicate { file, .. } => {
                Some(file.clone())
            }
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

/// What [`LessonError::Duplicate`] says: the file's own problem when it has one, and in any
/// case which file is used instead.
fn duplicate_words(file: &str, name: &str, used: &str, problem: Option<&LessonError>) -> String {
    let instead = format!("{used} is the lesson `{name}` too, and is used instead");
    match problem {
        Some(problem) => format!("{problem} ({instead})"),
        None => format!(
            "{file}: not used: {instead} (of files with one name, the last by file name that \
             loads is used)"
        ),
    }
}

/// The shipped lessons, then every `*.toml` in `extra` (a teacher's folder), by file name.
/// A lesson in `extra` with a shipped lesson's name replaces it. A file that does not load is
/// skipped, with its problem in [`Catalog::skipped`]: one broken file in a teacher's shared
/// folder costs that lesson, not everyone's lab. Of files in `extra` with one lesson name
/// (`02-dup.toml`, `03-dup.toml`), the last by file name that loads is used, and each other
/// is skipped as a [`LessonError::Duplicate`] that says so.
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
    if let Some(words) = serversocket_files::bounded_file::others_can_change(dir) {
        catalog
            .warnings
            .push(format!("warning: the lessons folder {words}"));
    }
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    // Each file's own mode is said beside the folder's: said only once the folder was
    // mended, a file others may write took a second round to find.
    catalog.warnings.extend(files.iter().filter_map(|path| {
        serversocket_files::bounded_file::others_can_change(path)
            .map(|words| format!("warning: the lesson {words}"))
    }));
    let loaded: Vec<(PathBuf, String, Result<Lesson, LessonError>)> = files
        .into_iter()
        .map(|path| {
            let name = name_of(&path.display().to_string());
            let lesson = Lesson::load(&path);
            (path, name, lesson)
        })
        .collect();
    // Of the files with one lesson name, the last that loads is used; each other one is
    // said, with its own problem if it has one, and which file is used instead.
    let used: std::collections::HashMap<String, PathBuf> = loaded
        .iter()
        .filter(|(_, _, lesson)| lesson.is_ok())
        .map(|(path, name, _)| (name.clone(), path.clone()))
        .collect();
    for (path, name, lesson) in loaded {
        let lesson = match (lesson, used.get(&name)) {
            (Ok(lesson), Some(used)) if *used == path => lesson,
            (lesson, Some(used)) => {
                catalog.skipped.push(LessonError::Duplicate {
                    file: path.display().to_string(),
                    name,
                    used: used.display().to_string(),
                    problem: lesson.err().map(Box::new),
                });
                continue;
            }
            (Err(problem), None) => {
                catalog.skipped.push(problem);
                continue;
            }
            // Not reached: a file that loads is the one used for its name.
            (Ok(lesson), None) => lesson,
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

/// `shipped/02-the-pool.toml` → `the-pool`. A number with nothing after it (`05-.toml`, or
/// `-.toml`) keeps its whole stem: the lesson was named "", listed as ", " and run by
/// `--lesson ''`.
fn name_of(file: &str) -> String {
    let stem = Path::new(file).file_stem().map_or_else(
        || file.to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    match stem.split_once('-') {
        Some((number, rest))
            if !number.is_empty()
                && !rest.is_empty()
                && number.chars().all(|c| c.is_ascii_digit()) =>
        {
            rest.to_owned()
        }
        _ => stem,
    }
}

/// The line (from 1) of byte offset `at`.
/// Where the key `key` is written in the `set` table whose span is `span` in `text`, so an
/// error names its line and not the table's: within the span (an inline table), else up to
/// the next header (`[step.set]`, whose span is its header alone); the span's start when it is
/// not found. A key is a whole word: `restore_port` is not `port`.
fn key_in(text: &str, span: std::ops::Range<usize>, key: &str) -> usize {
    let find = |within: &str| {
        within.match_indices(key).map(|(at, _)| at).find(|&at| {
            let word = |c: char| c.is_alphanumeric() || c == '_';
            !within[..at].chars().next_back().is_some_and(word)
                && !within[at + key.len()..].chars().next().is_some_and(word)
        })
    };
    let rest = text.get(span.start..).unwrap_or_default();
    let table = rest.get(..span.len()).unwrap_or_default();
    let to_next_header = rest.find("\n[").map_or(rest, |header| &rest[..header]);
    find(table)
        .or_else(|| find(to_next_header))
        .map_or(span.start, |at| span.start + at)
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The field a TOML error is about: the name in its message's backticks when the message is
/// about a field (`unknown field `x``, `missing field `x``), else the key just before the
/// value the error points at (`port` in `set = { port = 70000 }`, where the message's
/// backticks hold the value, `70000`), else the key on the error's line, else `step`.
fn field_of(message: &str, text: &str, at: usize) -> String {
    let about_a_field = ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|start| message.trim_start().starts_with(start));
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|name| about_a_field && !name.is_empty() && !name.contains(' '));
    if let Some(name) = quoted {
        return name.to_owned();
    }
    if let Some(key) = key_before(text, at) {
        return key.to_owned();
    }
    let start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or_default();
    match line.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => line.trim().trim_matches(['[', ']']).to_owned(),
    }
}

/// The bare key whose value starts at byte `at`: `key = ` just before it, on its line.
fn key_before(text: &str, at: usize) -> Option<&str> {
    let before = text.get(..at)?.trim_end_matches([' ', '\t']);
    let before = before.strip_suffix('=')?.trim_end_matches([' ', '\t']);
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |i| i + 1);
    Some(&before[start..]).filter(|key| !key.is_empty())
}

/// A value or event name of the other side in `expr`, if any.
fn other_side(expr: &Expr, side: Side) -> Option<String> {
    match expr {
        Expr::Value(s, name) if *s != side => Some(format!("{}.{name}", s.name())),
        // As the lesson writes it: `client.event connected`, `count(client.connected)`.
        Expr::Event(pattern) if pattern.side != side => {
            Some(format!("{}.event {}", pattern.side.name(), pattern.event))
        }
        Expr::Count(pattern) if pattern.side != side => {
            Some(format!("count({}.{})", pattern.side.name(), pattern.event))
        }
        Expr::Total(pattern) if pattern.side != side => {
            Some(format!("total({}.{})", pattern.side.name(), pattern.event))
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
mod tests;

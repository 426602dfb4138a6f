//! A lesson in progress: which step is current, what each side did since the lesson began,
//! the learner's answers, and the Markdown report a teacher collects.

use std::fmt::Write as _;

use serde_json::Value;

use crate::condition::{Facts, Outcome, Pattern};
use serde::Deserialize;
use serversocket_report::{Line, Record};

use crate::observed::{Observed, Side};
use crate::pattern_counts::{PatternCounts, Records};
use crate::{Lesson, Step};

/// How many event records a run keeps for counting and for the report; older ones are dropped
/// (and counted), so a lesson left open for a day cannot grow without bound.
pub const RECORD_LIMIT: usize = 100_000;

/// What a new record (or an answer) changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing: the current step is not done yet.
    Unchanged,
    /// The current step's condition holds and its question waits for an answer.
    Asking,
    /// A step was done and the next one began (its settings should be applied).
    NextStep,
    /// The last step was done.
    Finished,
}

/// One answer the learner gave.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Answer {
    /// The step (from 0).
    pub step: usize,
    /// What was given.
    pub given: String,
    /// The right answer at that moment.
    pub expected: String,
    /// Whether they matched.
    pub correct: bool,
}

/// A lesson being followed.
#[derive(Debug, Clone)]
pub struct LessonRun {
    lesson: Lesson,
    /// The current step; `lesson.steps.len()` once finished.
    step: usize,
    /// The live values of each side.
    server: Observed,
    client: Observed,
    /// The side whose steps this run decides; `None` decides both (a replay of both sides'
    /// logs). A window sees only its own side's events: a step of the other window read
    /// against values it never receives (empty, so `connected == 0` holds) would be ticked
    /// without being done, so that step waits for the other window's word.
    decides: Option<Side>,
    /// Notes for the report (a reset, where the other window's answers are).
    notes: Vec<String>,
    /// Every record since the lesson began, for `count`/`total` and the report, as JSON
    /// values: the patterns of a lesson's conditions name fields as text
    /// (`event error(code = 102)`), and any record kind, not only the socket events', may
    /// be matched.
    records: Records,
    /// How many of `records` each pattern asked about matches, kept up to date as they come.
    counts: PatternCounts,
    /// Records dropped from the front at [`RECORD_LIMIT`].
    dropped: usize,
    /// Where in `records` the current step began (as an absolute index, dropped included).
    step_began: usize,
    /// The current step's condition held and its question is open.
    asking: bool,
    answers: Vec<Answer>,
    /// The answers given in the other window (through the sync), for the report.
    other_answers: Vec<Answer>,
    /// When each step was done (the record's `ts`, or empty when done by the other window).
    done_at: Vec<String>,
    /// The steps skipped (from 0), and in which window: this one's and, through the sync, the
    /// other's, so both reports mark the same steps.
    skipped: Vec<Skipped>,
    /// The server's port, which the steps' words name where they write `{port}` (`None`:
    /// not known, written `PORT`).
    port: Option<u16>,
}

/// Whether a learner's `given` text answers `expected`: alike but for case, spaces, `_` and
/// `-` ("TLS 1.3" or OpenSSL's "TLSv1.3" for `TLS1.3`, "time wait" for `TIME_WAIT`), or its
/// number alone ("1.3").
fn same_text(given: &str, expected: &str) -> bool {
    let squash = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    // OpenSSL writes `TLSv1.3` where the log writes `TLS1.3`.
    let squash = |text: &str| squash(text).replace("tlsv", "tls");
    let (given, expected) = (squash(given), squash(expected));
    let number_of_expected = expected.trim_start_matches(|c: char| c.is_alphabetic());
    given == expected
        || (given.starts_with(|c: char| c.is_ascii_digit()) && given == number_of_expected)
}

/// What a run keeps when the app closes, so that the report of the run resumed next time
/// still holds the answers given in either window, when each step was done, the skips and
/// the notes (the event log is not kept: the resumed report says so).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(default)]
pub struct RunRecord {
    /// The answers given in this window.
    pub answers: Vec<Answer>,
    /// The answers given in the other window.
    pub other_answers: Vec<Answer>,
    /// When each step passed was done (empty: not known).
    pub done_at: Vec<String>,
    /// The steps skipped, and where.
    pub skipped: Vec<Skipped>,
    /// What the report says before the steps (a start, a reset).
    pub notes: Vec<String>,
}

/// The report's note of a skip: `Step 3 skipped in the server window.`
fn skip_note(skip: Skipped) -> String {
    format!(
        "Step {} skipped in the {} window.",
        skip.step + 1,
        skip.window.name()
    )
}

/// A step the learner skipped (Skip step), and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Skipped {
    /// The step (from 0).
    pub step: usize,
    /// The window whose Skip step it was.
    pub window: Side,
}

impl LessonRun {
    /// Starts `lesson` at its first step, deciding every step (both sides' records come
    /// in: a replay of recorded logs).
    #[must_use]
    pub fn new(lesson: Lesson) -> LessonRun {
        // Each `total` counts from the lesson's start, though first asked for at its step,
        // when records may have left the front.
        let mut counts = PatternCounts::default();
        for step in &lesson.steps {
            let mut totals = Vec::new();
            step.done_when.totals(&mut totals);
            if let Some(question) = &step.question {
                question.answer.totals(&mut totals);
            }
            for pattern in totals {
                counts.watch(pattern, 0);
            }
        }
        LessonRun {
            lesson,
            decides: None,
            notes: Vec::new(),
            step: 0,
            server: Observed::default(),
            client: Observed::default(),
            records: Records::new(),
            counts,
            dropped: 0,
            step_began: 0,
            asking: false,
            answers: Vec::new(),
            other_answers: Vec::new(),
            done_at: Vec::new(),
            skipped: Vec::new(),
            port: None,
        }
    }

    /// The server's port, for the steps' words ([`crate::with_port`]): the window's own
    /// (listening, or its Port field) or, replaying logs, the server's Listen.
    pub fn set_port(&mut self, port: Option<u16>) {
        self.port = port;
    }

    /// `text` of this lesson (a step's words or hint), with the server's port in it.
    #[must_use]
    pub fn words<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        crate::with_port(text, self.port)
    }

    /// Starts `lesson` at its first step in `side`'s window: it decides only that side's
    /// steps, and moves past the other side's through [`LessonRun::catch_up`].
    #[must_use]
    pub fn in_window(lesson: Lesson, side: Side) -> LessonRun {
        LessonRun {
            decides: Some(side),
            ..LessonRun::new(lesson)
        }
    }

    /// True when this run decides `step` (a step of its window's side, or any in a replay).
    #[must_use]
    pub fn decides(&self, step: &Step) -> bool {
        self.decides.is_none_or(|side| side == step.side)
    }

    /// Adds a line to the report (a reset, a note on the other window).
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The lesson.
    #[must_use]
    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// The current step's index (from 0); the number of steps once finished.
    #[must_use]
    pub fn step_index(&self) -> usize {
        self.step
    }

    /// The current step, or `None` once finished.
    #[must_use]
    pub fn current(&self) -> Option<&Step> {
        self.lesson.steps.get(self.step)
    }

    /// True once every step is done.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.step >= self.lesson.steps.len()
    }

    /// True while the current step's question waits for an answer.
    #[must_use]
    pub fn is_asking(&self) -> bool {
        self.asking
    }

    /// The answers given so far.
    #[must_use]
    pub fn answers(&self) -> &[Answer] {
        &self.answers
    }

    /// The answers the other window says were given there, for the report.
    pub fn set_other_answers(&mut self, answers: Vec<Answer>) {
        self.other_answers = answers;
    }

    /// Goes on without the current step (Skip step); the report says so.
    pub fn skip(&mut self, window: Side) -> Progress {
        if self.is_finished() {
            return Progress::Unchanged;
        }
        let skip = Skipped {
            step: self.step,
            window,
        };
        self.note(skip_note(skip));
        self.skipped.push(skip);
        // Skipped, not done: no time of doing it.
        self.advance(String::new())
    }

    /// The steps skipped, in either window, for the other window's report.
    #[must_use]
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// When each step passed was done, as this window knows it (empty: not known), for the
    /// other window's report.
    #[must_use]
    pub fn done_at(&self) -> &[String] {
        &self.done_at
    }

    /// Takes when the other window did its steps (through the sync): both reports then give
    /// the moment the deciding window saw it done, not when this one heard of it.
    pub fn set_other_done_at(&mut self, theirs: &[String]) {
        let Some(other) = self.decides.map(Side::other) else {
            return;
        };
        for (index, ts) in theirs.iter().enumerate() {
            let theirs_to_decide = self
                .lesson
                .steps
                .get(index)
                .is_some_and(|s| s.side == other);
            if theirs_to_decide
                && !ts.is_empty()
                && let Some(mine) = self.done_at.get_mut(index)
            {
                mine.clone_from(ts);
            }
        }
    }

    /// What to keep of this run when the app closes.
    #[must_use]
    pub fn record(&self) -> RunRecord {
        RunRecord {
            answers: self.answers.clone(),
            other_answers: self.other_answers.clone(),
            done_at: self.done_at.clone(),
            skipped: self.skipped.clone(),
            notes: self.notes.clone(),
        }
    }

    /// Takes back what the app kept of this run when it closed, once the run has caught up
    /// with the step it was at: the answers, the times, the skips, and the notes before any
    /// this session added.
    pub fn restore(&mut self, record: RunRecord) {
        self.answers = record.answers;
        self.other_answers = record.other_answers;
        for (mine, kept) in self.done_at.iter_mut().zip(record.done_at) {
            if mine.is_empty() {
                *mine = kept;
            }
        }
        for skip in record.skipped {
            if !self.skipped.contains(&skip) {
                self.skipped.push(skip);
            }
        }
        let added = std::mem::replace(&mut self.notes, record.notes);
        self.notes.extend(added);
    }

    /// How the step at `index` (from 0) was skipped, if it is behind and was.
    #[must_use]
    pub fn skipped_step(&self, index: usize) -> Option<Skipped> {
        (index < self.step)
            .then(|| self.skipped.iter().find(|skip| skip.step == index).copied())
            .flatten()
    }

    /// The steps behind, in words: `4 of 5 steps done, 1 skipped` (the panel and the report
    /// say it alike; a skipped step is not done).
    #[must_use]
    pub fn progress_words(&self) -> String {
        let total = self.lesson.steps.len();
        let passed = self.step.min(total);
        let skips = (0..passed)
            .filter(|&index| self.skipped_step(index).is_some())
            .count();
        let done = passed - skips;
        match skips {
            0 => format!("{done} of {total} steps done"),
            skips => format!("{done} of {total} steps done, {skips} skipped"),
        }
    }

    /// Takes the steps the other window skipped (through the sync), so this window's report
    /// marks them too; the ones already known stay.
    pub fn set_other_skipped(&mut self, skipped: &[Skipped]) {
        for skip in skipped {
            if !self.skipped.contains(skip) {
                // Its note too, as the skipping window's report has it.
                self.note(skip_note(*skip));
                self.skipped.push(*skip);
            }
        }
    }

    /// The live values of one side.
    #[must_use]
    pub fn observed(&self, side: Side) -> &Observed {
        match side {
            Side::Server => &self.server,
            Side::Client => &self.client,
        }
    }

    /// Takes the record of an event of `side` (see [`crate::lesson_record`], or a line of a
    /// recorded log), then checks the current step.
    pub fn observe(&mut self, side: Side, line: &Line<'_>) -> Progress {
        self.observed_mut(side).apply(&line.record);
        // A line is an object with text keys: it always has a `Value`.
        let record = serde_json::to_value(line).unwrap_or_default();
        self.keep(side, record)
    }

    /// Takes a record of `side` given as JSON, then checks the current step: a record that
    /// is not a socket event's (the client window's stream lab: `stream_write`,
    /// `stream_read` …), which only `event …` patterns read, or one that is, which also moves
    /// the live values as [`LessonRun::observe`] does.
    pub fn observe_value(&mut self, side: Side, record: Value) -> Progress {
        if let Ok(typed) = Record::deserialize(&record) {
            self.observed_mut(side).apply(&typed);
        }
        self.keep(side, record)
    }

    fn observed_mut(&mut self, side: Side) -> &mut Observed {
        match side {
            Side::Server => &mut self.server,
            Side::Client => &mut self.client,
        }
    }

    /// Keeps `record` for the patterns and the report, then checks the current step.
    fn keep(&mut self, side: Side, record: Value) -> Progress {
        self.records.push_back((side, record));
        if self.records.len() > RECORD_LIMIT {
            let excess = self.records.len() - RECORD_LIMIT;
            self.counts
                .count_leaving(self.records.range(..excess), self.dropped);
            self.records.drain(..excess);
            self.dropped += excess;
        }
        self.check()
    }

    /// Checks whether the current step is done (for a condition on values that can hold
    /// without a new record, e.g. right after a step begins).
    pub fn check(&mut self) -> Progress {
        let Some(step) = self.current() else {
            return Progress::Unchanged;
        };
        if !self.decides(step) {
            return Progress::Unchanged;
        }
        if self.asking || !step.done_when.eval(self).holds() {
            return Progress::Unchanged;
        }
        if step.question.is_some() {
            self.asking = true;
            return Progress::Asking;
        }
        self.advance_now()
    }

    /// The right answer to the open question, now.
    #[must_use]
    pub fn expected_answer(&self) -> Outcome {
        match self.current().and_then(|step| step.question.as_ref()) {
            Some(question) => question.answer.eval(self),
            None => Outcome::Unknown,
        }
    }

    /// The learner answers the open question: checked against the live value now. A right
    /// answer ends the step. `None` when no question is open.
    pub fn answer(&mut self, given: &str) -> Option<(bool, Progress)> {
        if !self.asking {
            return None;
        }
        let expected = self.expected_answer();
        let correct = match &expected {
            Outcome::Number(number) => given
                .trim()
                .parse::<f64>()
                .is_ok_and(|given| (given - number).abs() < 1e-9),
            Outcome::Text(text) => same_text(given, text),
            Outcome::Bool(yes) => {
                let given = given.trim().to_lowercase();
                (["yes", "true", "y"].contains(&given.as_str()) && *yes)
                    || (["no", "false", "n"].contains(&given.as_str()) && !*yes)
            }
            Outcome::Unknown => false,
        };
        self.answers.push(Answer {
            step: self.step,
            given: given.trim().to_owned(),
            expected: expected.to_string(),
            correct,
        });
        if correct {
            Some((true, self.advance_now()))
        } else {
            Some((false, Progress::Unchanged))
        }
    }

    /// Moves on to `step` when the other window reports it got there (a step done on its side),
    /// or when the learner skips a step whose window is not running. The steps passed are done
    /// at `seen_at` (when the other window was seen to do them), or at no time said when that
    /// is not known (a run resumed, or joined late).
    pub fn catch_up(&mut self, step: usize, seen_at: Option<std::time::SystemTime>) -> Progress {
        let mut progress = Progress::Unchanged;
        while self.step < step.min(self.lesson.steps.len()) {
            // This window's last record is not when the other window did it.
            progress = self.advance(seen_at.map(serversocket_report::stamp).unwrap_or_default());
        }
        progress
    }

    /// The current step is done: at the time of this window's last record (it decided).
    fn advance_now(&mut self) -> Progress {
        let ts = self
            .records
            .back()
            .and_then(|(_, record)| record.get("ts"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.advance(ts)
    }

    fn advance(&mut self, ts: String) -> Progress {
        // Never before the step before it: records come out of time order (a capture's
        // segments after the socket events they came before), and a report said step 3 was
        // done before step 2. A step whose condition already held is done when reached.
        let ts = match self.done_at.iter().rev().find(|done| !done.is_empty()) {
            Some(before) if !ts.is_empty() && ts < *before => before.clone(),
            _ => ts,
        };
        self.done_at.push(ts);
        self.asking = false;
        self.step += 1;
        self.step_began = self.dropped + self.records.len();
        self.counts.keep_from(self.step_began);
        if self.is_finished() {
            Progress::Finished
        } else {
            Progress::NextStep
        }
    }

    /// The learner's work as Markdown: the lesson, each step with when it was done and the
    /// answers given, then the lesson's event log.
    #[must_use]
    pub fn report_markdown(&self, learner_note: &str) -> String {
        let lesson = &self.lesson;
        let mut out = format!("# Lesson: {}\n\n{}\n\n", lesson.title, lesson.goal);
        if !learner_note.is_empty() {
            let _ = writeln!(out, "{learner_note}\n");
        }
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "Progress: {}.\n\n## Steps\n", self.progress_words());
        for (index, step) in lesson.steps.iter().enumerate() {
            let skip = self.skipped_step(index);
            let mark = if index < self.step && skip.is_none() {
                "x"
            } else {
                " "
            };
            let _ = write!(
                out,
                "- [{mark}] **{}.** ({}) {}",
                index + 1,
                step.side.name(),
                self.words(&step.say)
            );
            match (skip, self.done_at.get(index)) {
                (Some(skip), _) => {
                    let _ = write!(out, " — skipped in the {} window", skip.window.name());
                }
                (None, Some(ts)) if !ts.is_empty() => {
                    let _ = write!(out, " — done at {ts}");
                }
                _ => {}
            }
            out.push('\n');
            if let Some(question) = &step.question {
                let _ = writeln!(out, "  - Question: {}", question.ask);
                let where_ = match self.decides {
                    Some(side) => format!(" in the {} window", side.other().name()),
                    None => String::new(),
                };
                let answers = (self.answers.iter().map(|answer| (answer, ""))).chain(
                    self.other_answers
                        .iter()
                        .map(|answer| (answer, where_.as_str())),
                );
                for (answer, where_) in answers.filter(|(answer, _)| answer.step == index) {
                    let verdict = if answer.correct { "right" } else { "not right" };
                    let _ = writeln!(
                        out,
                        "  - Answered{where_} `{}` ({verdict}; the session said `{}`)",
                        answer.given, answer.expected
                    );
                }
            }
        }
        let _ = writeln!(out, "\n## Event log\n");
        if self.dropped > 0 {
            let _ = writeln!(out, "({} earlier events not kept)\n", self.dropped);
        }
        out.push_str("```json\n");
        // In time order, as a teacher reads it: a capture's segments arrive from their own
        // thread after the socket events they came before (a SYN listed after its data). The
        // sort is stable, so records of one moment keep the order they came in.
        let mut in_time = self.records.iter().collect::<Vec<&(Side, Value)>>();
        in_time.sort_by_key(|&(_, record)| record.get("ts").and_then(Value::as_str));
        for (side, record) in in_time {
            let mut record = record.clone();
            if let Some(fields) = record.as_object_mut() {
                fields.insert("side".to_owned(), Value::from(side.name()));
            }
            let _ = writeln!(out, "{record}");
        }
        out.push_str("```\n");
        out
    }
}

impl Facts for LessonRun {
    fn observed(&self, side: Side) -> &Observed {
        LessonRun::observed(self, side)
    }

    fn count(&self, pattern: &Pattern, whole_lesson: bool) -> usize {
        let from = if whole_lesson { 0 } else { self.step_began };
        self.counts
            .count(&self.records, self.dropped, pattern, from)
    }
}

#[cfg(test)]
mod tests {
    use serversocket::SocketId;

    use super::*;

    fn lesson(text: &str) -> Lesson {
        Lesson::parse("test.toml", text).expect("a valid lesson")
    }

    const TWO_STEPS: &str = r#"
title = "T"
goal = "G"
[[step]]
say = "Listen"
done_when = "event listening"
question = "Which port?"
answer = "port"
[[step]]
side = "client"
say = "Connect twice"
done_when = "count(connected) >= 2"
"#;

    /// A `connected` line of `socket`, stamped `ts`.
    fn connected(socket: u64, ts: &str) -> Line<'static> {
        Record::Connected {
            local: "127.0.0.1:2002".parse().expect("an address"),
            remote: "127.0.0.1:46116".parse().expect("an address"),
            socket: SocketId(socket),
        }
        .at_stamp(ts.to_owned())
    }

    /// A `listening` line on port 2002, stamped `ts`.
    fn listening_at(ts: &str) -> Line<'static> {
        Record::Listening {
            address: "127.0.0.1:2002".parse().expect("an address"),
            handle: 5,
            max: 10,
            min: 2,
            tls: None,
        }
        .at_stamp(ts.to_owned())
    }

    /// Fails unless the report says `text`, showing the report.
    fn assert_says(report: &str, text: &str) {
        assert!(report.contains(text), "no {text:?} in {report}");
    }

    /// A text answer as a learner types it: "TLS 1.3", OpenSSL's "TLSv1.3" and "1.3" for
    /// `TLS1.3` (only `TLS1.3` was taken), not another version or another word.
    #[test]
    fn a_text_answer_is_taken_as_people_write_it() {
        for given in [
            "TLS1.3",
            "tls1.3",
            "TLS 1.3",
            " tls 1.3 ",
            "1.3",
            "TLS-1.3",
            "TLSv1.3",
            "tlsv 1.3",
        ] {
            assert!(same_text(given, "TLS1.3"), "{given:?}");
        }
        for given in ["TLS1.2", "1.2", "TLS", "", "3", "SSL1.3x", "TLSv1.2"] {
            assert!(!same_text(given, "TLS1.3"), "{given:?}");
        }
        assert!(same_text("time wait", "TIME_WAIT"));
        assert!(!same_text("", "TIME_WAIT"));
    }

    /// A step done in the server window is done at the same time in both reports: the
    /// client window, which heard of it later (when it was answered, or when it was raised),
    /// takes the server window's time through the sync.
    #[test]
    fn both_windows_give_a_step_the_time_its_window_saw_it_done() {
        let mut server = LessonRun::in_window(lesson(TWO_STEPS), Side::Server);
        let listening = listening_at("t1");
        assert_eq!(server.observe(Side::Server, &listening), Progress::Asking);
        assert_eq!(server.answer("2002"), Some((true, Progress::NextStep)));
        let mut client = LessonRun::in_window(lesson(TWO_STEPS), Side::Client);
        client.catch_up(server.step_index(), Some(std::time::SystemTime::now()));
        client.set_other_done_at(server.done_at());
        assert_says(
            &client.report_markdown(""),
            "- [x] **1.** (server) Listen — done at t1",
        );
        // Its own steps keep its own times: the server's empty one (not its to decide) does
        // not take them.
        client.observe(Side::Client, &connected(1, "t2"));
        client.observe(Side::Client, &connected(2, "t3"));
        client.set_other_done_at(&["t1".to_owned(), "t9".to_owned()]);
        assert_says(
            &client.report_markdown(""),
            "- [x] **2.** (client) Connect twice — done at t3",
        );
    }

    /// A step skipped in the other window has its note in this window's report too, once
    /// (only the skipping window's report said "Step 1 skipped in the server window.").
    #[test]
    fn the_other_windows_skip_is_noted_once() {
        let mut client = LessonRun::in_window(lesson(TWO_STEPS), Side::Client);
        let skip = Skipped {
            step: 0,
            window: Side::Server,
        };
        client.catch_up(1, None);
        client.set_other_skipped(&[skip]);
        client.set_other_skipped(&[skip]);
        let report = client.report_markdown("");
        assert_eq!(
            report
                .matches("Step 1 skipped in the server window.")
                .count(),
            1,
            "{report}"
        );
    }

    #[test]
    fn steps_advance_on_events_and_answers_are_checked_live() {
        let mut run = LessonRun::new(lesson(TWO_STEPS));
        assert_eq!(
            run.observe(Side::Client, &connected(1, "t0")),
            Progress::Unchanged
        );
        let listening = listening_at("t1");
        assert_eq!(run.observe(Side::Server, &listening), Progress::Asking);
        assert_eq!(run.answer("2003"), Some((false, Progress::Unchanged)));
        assert_eq!(run.answer(" 2002 "), Some((true, Progress::NextStep)));
        assert_eq!(run.answer("2002"), None);
        // The client's connection before this step does not count for it.
        assert_eq!(
            run.observe(Side::Client, &connected(2, "t1")),
            Progress::Unchanged
        );
        assert_eq!(
            run.observe(Side::Server, &connected(9, "t1")),
            Progress::Unchanged
        );
        assert_eq!(
            run.observe(Side::Client, &connected(3, "t2")),
            Progress::Finished
        );
        assert!(run.is_finished());
        let report = run.report_markdown("Learner: A. N. Other");
        assert_says(&report, "- [x] **1.** (server) Listen — done at t1");
        assert_says(
            &report,
            "Answered `2003` (not right; the session said `2002`)",
        );
        assert_says(&report, "\"side\":\"client\"");
    }

    /// A learner who clicked Connect before the step that asks for it (lesson 1, while the
    /// Handle question was open) is not stuck at that step: it is done at once, as it is in
    /// lessons 2 and 6 ("event connected" alone waited for a second connection for ever).
    #[test]
    fn a_connect_step_is_done_when_the_learner_connected_early() {
        let shipped = crate::catalog(None).lessons;
        for name in ["listening", "the-pool", "closing"] {
            let lesson = shipped
                .iter()
                .find(|lesson| lesson.name == name)
                .cloned()
                .expect("a shipped lesson");
            let connect = lesson
                .steps
                .iter()
                .position(|step| step.side == Side::Client)
                .expect("a client step");
            let mut client = LessonRun::in_window(lesson, Side::Client);
            // Connected while an earlier (server) step was still open.
            client.observe(Side::Client, &connected(0, "t0"));
            client.catch_up(connect, None);
            assert_eq!(client.step_index(), connect, "{name}");
            let progress = client.check();
            assert!(
                client.step_index() > connect || client.is_asking(),
                "{name}: stuck at step {} ({progress:?})",
                connect + 1
            );
        }
    }

    /// A skipped step is marked so in both windows' reports, not ticked as done, and the
    /// progress counts it apart (the server's report ticked it; the client's said nothing).
    #[test]
    fn a_skipped_step_is_marked_skipped_in_both_windows_reports() {
        let mut server = LessonRun::in_window(lesson(TWO_STEPS), Side::Server);
        let mut client = LessonRun::in_window(lesson(TWO_STEPS), Side::Client);
        server.skip(Side::Server);
        // The client window hears of it through the sync: the step, and the skip.
        client.set_other_skipped(server.skipped());
        client.catch_up(1, None);
        client.observe(Side::Client, &connected(1, "t1"));
        client.observe(Side::Client, &connected(2, "t2"));
        server.catch_up(2, None);
        for report in [server.report_markdown(""), client.report_markdown("")] {
            assert_says(&report, "Progress: 1 of 2 steps done, 1 skipped.");
            assert_says(
                &report,
                "- [ ] **1.** (server) Listen — skipped in the server window",
            );
        }
    }

    /// A client step whose condition holds on empty values (`connected == 0`) is not ticked
    /// by the server window, which never receives the client's values.
    #[test]
    fn a_window_never_decides_the_other_windows_step() {
        let text = r#"
title = "T"
goal = "G"
[[step]]
side = "client"
say = "Close all clients"
done_when = "connected == 0"
"#;
        let mut server = LessonRun::in_window(lesson(text), Side::Server);
        assert_eq!(server.check(), Progress::Unchanged);
        assert_eq!(
            server.observe(Side::Server, &connected(1, "t0")),
            Progress::Unchanged
        );
        assert_eq!(server.step_index(), 0, "the client window decides");
        let mut client = LessonRun::in_window(lesson(text), Side::Client);
        assert_eq!(client.check(), Progress::Finished);
        assert_eq!(server.catch_up(1, None), Progress::Finished);
    }

    /// A step the other window did is done when that window was seen to do it, not at this
    /// window's last record (which came before it), and at no time said when that is unknown.
    #[test]
    fn a_step_done_in_the_other_window_is_done_when_it_was_seen_done() {
        let mut client = LessonRun::in_window(lesson(TWO_STEPS), Side::Client);
        client.observe(Side::Client, &connected(1, "2026-01-01T00:00:00Z"));
        let seen = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        assert_eq!(client.catch_up(1, Some(seen)), Progress::NextStep);
        assert_eq!(client.catch_up(2, None), Progress::Finished);
        let report = client.report_markdown("");
        assert_says(
            &report,
            "**1.** (server) Listen — done at 2027-01-15T08:00:00.000000Z",
        );
        assert!(
            report.contains("**2.** (client) Connect twice\n"),
            "no time said: {report}"
        );
    }

    /// A step is never done before the step before it, though the record that did it is
    /// older than the one that did the step before (records come out of time order).
    #[test]
    fn a_step_is_never_done_before_the_step_before_it() {
        let mut run = LessonRun::new(lesson(
            "title = \"T\"\ngoal = \"G\"\n\
             [[step]]\nsay = \"A\"\ndone_when = \"event listening\"\n\
             [[step]]\nsay = \"B\"\ndone_when = \"event segment\"\n",
        ));
        for (event, ts) in [
            ("listening", "2026-12-08T00:00:02.000000Z"),
            ("segment", "2026-12-08T00:00:01.000000Z"),
        ] {
            run.observe_value(
                Side::Server,
                serde_json::json!({ "event": event, "ts": ts }),
            );
        }
        assert!(run.is_finished());
        assert_eq!(
            run.done_at(),
            ["2026-12-08T00:00:02.000000Z", "2026-12-08T00:00:02.000000Z"]
        );
    }

    /// The report's event log is in time order: a capture's segment, which arrives after the
    /// socket event it came before, was listed after it (a SYN after its data).
    #[test]
    fn the_reports_event_log_is_in_time_order() {
        let mut run = LessonRun::new(crate::find("listening", None).expect("shipped"));
        for (event, ts) in [
            ("connected", "2026-12-08T00:00:02.000000Z"),
            ("segment", "2026-12-08T00:00:01.000000Z"),
            ("data", "2026-12-08T00:00:02.000000Z"),
        ] {
            run.observe_value(
                Side::Client,
                serde_json::json!({ "event": event, "ts": ts }),
            );
        }
        let report = run.report_markdown("");
        let log = &report[report.find("## Event log").expect("a log")..];
        let at = |event: &str| log.find(&format!("\"event\":\"{event}\"")).expect(event);
        assert!(
            at("segment") < at("connected") && at("connected") < at("data"),
            "{log}"
        );
    }

    /// Lesson 7's writes made before 'Stop reading' neither do its step nor count in its
    /// answer: the three writes arrived in one read, and it said four (the earlier reads too).
    #[test]
    fn the_byte_streams_reads_count_from_stop_reading() {
        let mut run = LessonRun::new(crate::find("the-byte-stream", None).expect("shipped"));
        let feed = |run: &mut LessonRun, event: &str| {
            run.observe_value(Side::Client, serde_json::json!({ "event": event }))
        };
        feed(&mut run, "stream_ready");
        assert_eq!(run.step_index(), 1);
        for event in ["stream_write", "stream_read"].repeat(3) {
            feed(&mut run, event);
        }
        assert_eq!(run.step_index(), 1, "writes read at once are not the step");
        feed(&mut run, "stream_paused");
        assert_eq!(run.step_index(), 2);
        for event in ["stream_write"; 3] {
            feed(&mut run, event);
        }
        feed(&mut run, "stream_resumed");
        feed(&mut run, "stream_read");
        assert!(run.is_asking());
        assert_eq!(run.expected_answer(), Outcome::Number(1.0));
    }

    #[test]
    fn the_other_window_moves_the_lesson_on() {
        let mut run = LessonRun::new(lesson(TWO_STEPS));
        assert_eq!(run.catch_up(1, None), Progress::NextStep);
        assert_eq!(run.step_index(), 1);
        assert_eq!(run.catch_up(9, None), Progress::Finished);
        assert_eq!(run.catch_up(9, None), Progress::Unchanged);
    }
}

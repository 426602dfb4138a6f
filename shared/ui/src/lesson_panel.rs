//! The Lessons panel: pick a lesson, follow its steps on the real window, answer its questions,
//! and export a report. Both windows show it; each checks the steps done on its side and follows
//! the other window's progress through [`LessonSync`].
//!
//! The window feeds it every event ([`LessonPanel::observe`]), applies the settings it hands
//! out ([`LessonPanel::take_settings`]) and lets it light up the widget a step is about
//! ([`mark`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use serversocket::Event;
use serversocket_lessons::sync::{LessonSync, Position, Watcher};
use serversocket_lessons::{
    self as lesson, Lesson, LessonRun, Progress, RunRecord, Settings, Side, lesson_record,
};

#[cfg(test)]
mod tests;
mod ui;

/// How often the other window's progress is read.
const SYNC_EVERY: Duration = Duration::from_millis(500);

/// The colour a highlighted widget is outlined in.
const HIGHLIGHT: egui::Color32 = egui::Color32::from_rgb(255, 170, 0);

/// Where the lesson is kept between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SavedLesson {
    /// The lesson in progress, if any.
    pub lesson: Option<String>,
    /// Its current step.
    pub step: usize,
    /// When its run began (see [`Position::started`]).
    pub started: u64,
    /// The learner's name, for the report.
    pub learner: String,
    /// The panel is open.
    pub open: bool,
    /// What the run's report holds besides its event log (answers, times, skips, notes).
    pub record: RunRecord,
}

/// What the panel says after an answer.
#[derive(Debug, Clone, PartialEq)]
enum Feedback {
    /// The answer to step `step` (from 0) was right.
    Right {
        step: usize,
    },
    Wrong {
        tries: usize,
    },
}

/// The Lessons panel.
pub struct LessonPanel {
    /// Which window this is.
    side: Side,
    /// The lessons to choose from.
    lessons: Vec<Lesson>,
    /// Why a teacher's lesson folder could not be read (the shipped lessons still are).
    load_problem: Option<String>,
    /// The lesson being followed.
    run: Option<LessonRun>,
    /// The learner asked, from a step of the other window, to bring that window forward
    /// (on a small screen one window covers the other).
    show_other_asked: bool,
    /// When the run began, shared with the other window.
    started: u64,
    /// Shown in the window.
    pub open: bool,
    /// The choice in the lesson picker.
    chosen: usize,
    /// When the current step began, for its hint.
    step_began: Instant,
    /// What the learner typed as an answer.
    answer: String,
    feedback: Option<Feedback>,
    /// The verdict last brought into view, so a new one is scrolled to once (at 800×600 it
    /// could sit under the panel's bottom edge).
    feedback_in_view: Option<Feedback>,
    /// Settings for the window to apply (a step began).
    pending: Option<Settings>,
    /// The file shared with the other window.
    /// `None` in a window of its own (tests): it follows no other window.
    sync: Option<LessonSync>,
    last_sync: Option<Instant>,
    /// Looks at the other window's file on a thread and wakes this window when it changes
    /// (started at the first frame, which brings the context to wake).
    watcher: Option<Watcher>,
    /// Set by the watcher: the other window moved, follow it now rather than at the next
    /// `SYNC_EVERY`.
    news: Arc<AtomicBool>,
    /// The learner's name for the report.
    learner: String,
    /// Where the last report went, or why it could not be written.
    exported: Option<Result<PathBuf, String>>,
    /// The step whose question was last brought into view (once, when it opened).
    question_shown: Option<usize>,
    /// The run was resumed from the last session at this step, past its first: what the
    /// steps before set up (a Listen, connections) is gone with the programs that held it.
    resumed_at: Option<usize>,
    /// The server's port as this window knows it, for the steps' `{port}`.
    port: Option<u16>,
    /// The server window's port, as its last position said (the client window's only).
    server_port: Option<u16>,
}

impl LessonPanel {
    /// The panel of `side`'s window, with the shipped lessons and a teacher's folder
    /// (`extra`), following the other window through `sync` (none: a window on its own),
    /// and resuming `saved`.
    #[must_use]
    pub fn new(
        side: Side,
        extra: Option<&std::path::Path>,
        sync: Option<LessonSync>,
        saved: &SavedLesson,
    ) -> LessonPanel {
        // A teacher's file that does not load is skipped and named, here and on stderr; the
        // other lessons are there as usual.
        let lesson::Catalog {
            lessons,
            skipped,
            warnings,
        } = lesson::catalog(extra);
        // What another user could have changed in a teacher's folder is said the same way.
        let skipped: Vec<String> = warnings
            .into_iter()
            .chain(
                skipped
                    .iter()
                    .map(|problem| format!("Lesson skipped: {problem}")),
            )
            .collect();
        for line in &skipped {
            serversocket_files::say!("{line}");
        }
        let load_problem = (!skipped.is_empty()).then(|| skipped.join("\n"));
        let mut panel = LessonPanel {
            side,
            lessons,
            load_problem,
            run: None,
            show_other_asked: false,
            started: 0,
            open: false,
            chosen: 0,
            step_began: Instant::now(),
            answer: String::new(),
            feedback: None,
            feedback_in_view: None,
            pending: None,
            sync,
            last_sync: None,
            watcher: None,
            news: Arc::new(AtomicBool::new(false)),
            learner: saved.learner.clone(),
            exported: None,
            question_shown: None,
            resumed_at: None,
            port: None,
            server_port: None,
        };
        if let Some(name) = &saved.lesson {
            panel.begin(name, saved.step, saved.started, None);
            if let Some(run) = &mut panel.run {
                run.restore(saved.record.clone());
                run.note(format!(
                    "Resumed at step {} when the app started again at {}: the answers and times \
                     of before are kept; the event log holds only what happened since.",
                    run.step_index() + 1,
                    serversocket_report::stamp(std::time::SystemTime::now())
                ));
            }
            panel.resumed_at = panel
                .run
                .as_ref()
                .map(LessonRun::step_index)
                .filter(|&step| step > 0);
        }
        panel.open = saved.open;
        // Say where the resumed run is: two windows restarted at different steps (one saved
        // its progress later than the other) then both move to the further one.
        panel.publish();
        panel
    }

    /// Starts the lesson called `name` from its first step (Start, Reset lesson, `--lesson`),
    /// with both windows brought back to nothing first ([`Settings::fresh_start`]); the report
    /// says so.
    ///
    /// # Errors
    /// When no lesson has that name (the message lists the names).
    pub fn start(&mut self, name: &str) -> Result<(), String> {
        let index = self
            .lessons
            .iter()
            .position(|lesson| lesson.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.lessons.iter().map(|l| l.name.as_str()).collect();
                format!(
                    "there is no lesson called \"{name}\"; the lessons are: {}",
                    known.join(", ")
                )
            })?;
        self.chosen = index;
        let note = self.start_note(name, self.side);
        self.begin(name, 0, now_ms(), Some(note));
        self.open = true;
        self.publish();
        Ok(())
    }

    /// A panel with nothing remembered that follows the other window through `sync`.
    #[must_use]
    pub fn following(side: Side, sync: LessonSync) -> LessonPanel {
        LessonPanel::new(side, None, Some(sync), &SavedLesson::default())
    }

    /// A panel on its own with nothing remembered, offering a teacher's `folder` of lessons
    /// beside the shipped ones.
    #[must_use]
    pub fn with_folder(side: Side, folder: &std::path::Path) -> LessonPanel {
        LessonPanel::new(side, Some(folder), None, &SavedLesson::default())
    }

    /// The panel as the app opens it (not in tests): following the other window through the
    /// usual shared folder, with a teacher's lesson folder (`--lessons`), starting `lesson`
    /// (`--lesson`) when given.
    #[must_use]
    pub fn for_app(
        side: Side,
        folder: Option<&std::path::Path>,
        saved: &SavedLesson,
        lesson: Option<&str>,
    ) -> LessonPanel {
        let mut panel = LessonPanel::new(
            side,
            folder,
            Some(LessonSync::new(LessonSync::default_dir())),
            saved,
        );
        // Another user took the usual shared folder: said here and on stderr.
        if let Some(note) = LessonSync::default_dir_note() {
            serversocket_files::say!("{note}");
            panel.load_problem = Some(match panel.load_problem.take() {
                Some(problems) => format!("{problems}\n{note}"),
                None => note,
            });
        }
        if let Some(name) = lesson {
            panel.start_or_explain(name);
        }
        panel
    }

    /// The panel at the window's right, while it is open. Call before the central panel.
    /// It starts at under a third of the window, so the main view keeps its room on a small
    /// screen (240 pt at 800 wide; 205 pt at 683, half of 1366, where the server table's
    /// Disconnect still shows).
    pub fn side_panel_ui(&mut self, ui: &mut egui::Ui) {
        if self.open {
            egui::Panel::right("lessons")
                .resizable(true)
                .default_size((ui.available_width() * 0.3).clamp(200.0, 320.0))
                .show(ui, |ui| self.ui(ui));
        }
    }

    /// Starts the lesson called `name`, or opens the panel saying there is none (`--lesson`).
    pub fn start_or_explain(&mut self, name: &str) {
        if let Err(problem) = self.start(name) {
            self.load_problem = Some(problem);
            self.open = true;
        }
    }

    /// Follows `name` from `step` of the run that began at `started`. `fresh` (the note for
    /// the report) starts it from nothing: the first step's settings with everything of
    /// before stopped and closed.
    fn begin(&mut self, name: &str, step: usize, started: u64, fresh: Option<String>) {
        let Some(index) = self.lessons.iter().position(|lesson| lesson.name == name) else {
            return;
        };
        let mut run = LessonRun::in_window(self.lessons[index].clone(), self.side);
        run.set_port(self.words_port());
        run.catch_up(step, None);
        let fresh_start = fresh.is_some();
        if let Some(note) = fresh {
            run.note(note);
        }
        self.chosen = index;
        self.started = started;
        self.run = Some(run);
        // Nothing of the run before is this run's: no answer line, no report written.
        self.feedback = None;
        self.answer.clear();
        self.exported = None;
        self.question_shown = None;
        self.resumed_at = None;
        self.step_begins();
        if fresh_start {
            let mut settings = Settings::fresh_start(&self.pending.take().unwrap_or_default());
            // The client connects where the server window listens, whichever window started
            // the run, unless its first step says otherwise (lesson 5 sends it to a closed
            // port).
            if let Some(port) = self.server_port.filter(|_| settings.port.is_none()) {
                settings.port = Some(port);
            }
            self.pending = Some(settings);
        }
    }

    /// What the report says about a start (or a reset, when `name` was already running) in
    /// `by`'s window.
    fn start_note(&self, name: &str, by: Side) -> String {
        let reset_at = self
            .run
            .as_ref()
            .filter(|run| run.lesson().name == name)
            .map(|run| (run.step_index() + 1, run.is_finished()));
        let what = match reset_at {
            // A finished run has no step left to be at: "at step 5" of four steps.
            Some((_, true)) => format!(
                "Reset lesson once every step was done, in the {} window",
                by.name()
            ),
            Some((step, false)) => {
                format!("Reset lesson at step {step}, in the {} window", by.name())
            }
            None => format!("Started in the {} window", by.name()),
        };
        format!(
            "{what}: each window was first brought back to nothing (the server stopped listening and closed its connections, the client closed its sockets and removed the finished ones), so only what happened since counts."
        )
    }

    /// What to remember between runs.
    #[must_use]
    pub fn saved(&self) -> SavedLesson {
        SavedLesson {
            lesson: self.run.as_ref().map(|run| run.lesson().name.clone()),
            step: self.run.as_ref().map_or(0, LessonRun::step_index),
            started: self.started,
            learner: self.learner.clone(),
            open: self.open,
            record: self.run.as_ref().map(LessonRun::record).unwrap_or_default(),
        }
    }

    /// The lesson in progress.
    #[must_use]
    pub fn run(&self) -> Option<&LessonRun> {
        self.run.as_ref()
    }

    /// Whether the lesson in progress asks its step's question.
    #[must_use]
    pub fn is_asking(&self) -> bool {
        self.run().is_some_and(LessonRun::is_asking)
    }

    /// Takes an event of this window's sockets, which happened `at` (its record's time, as
    /// its log line's: when the socket sent it, not when the window took it).
    pub fn observe(&mut self, event: &Event, at: SystemTime) {
        let side = self.side;
        let Some(run) = &mut self.run else {
            return;
        };
        if let Some(line) = lesson_record(event, at) {
            let progress = run.observe(side, &line);
            self.progressed(progress);
        }
    }

    /// Takes a record of something a step may wait for that is not a socket event (the
    /// Stream view's writes and reads).
    pub fn observe_record(&mut self, record: Value) {
        let side = self.side;
        let Some(run) = &mut self.run else {
            return;
        };
        let progress = run.observe_value(side, record);
        self.progressed(progress);
    }

    /// Settings the window should apply now (a step began that sets some).
    pub fn take_settings(&mut self) -> Option<Settings> {
        self.pending.take()
    }

    /// Whether the learner asked to bring the other window forward since the last call (a
    /// step of that window's has a button for it).
    pub fn take_show_other(&mut self) -> bool {
        std::mem::take(&mut self.show_other_asked)
    }

    /// The widget the current step is about, when that step is done in this window.
    #[must_use]
    pub fn highlight(&self) -> Option<&str> {
        let run = self.run.as_ref()?;
        let step = run.current()?;
        // Once the step is done and only its question is open, the widget has done its part.
        if step.side != self.side || run.is_asking() {
            return None;
        }
        step.highlight.as_deref()
    }

    /// The answer the learner typed, checked (for tests, as the Check button does).
    pub fn submit_answer(&mut self, given: &str) -> Option<bool> {
        given.clone_into(&mut self.answer);
        self.check_answer()
    }

    fn check_answer(&mut self) -> Option<bool> {
        let run = self.run.as_mut()?;
        let step = run.step_index();
        let (correct, progress) = run.answer(&self.answer)?;
        self.feedback = Some(if correct {
            Feedback::Right { step }
        } else {
            let tries = match self.feedback {
                Some(Feedback::Wrong { tries }) => tries + 1,
                _ => 1,
            };
            Feedback::Wrong { tries }
        });
        if correct {
            self.answer.clear();
        }
        self.progressed(progress);
        // Every answer, right or not, goes to the other window's report too.
        self.publish();
        Some(correct)
    }

    fn progressed(&mut self, mut progress: Progress) {
        // A step whose condition already holds when it begins ends at once: bounded by the
        // number of steps.
        let steps = self.run.as_ref().map_or(0, |run| run.lesson().steps.len());
        for _ in 0..=steps {
            match progress {
                Progress::Unchanged => return,
                Progress::Asking => {
                    // A new question: the verdict on the last one is no longer news, unless
                    // it is the step just before (its answer led straight here), where it is
                    // the only word that the answer was right.
                    let asking = self.run.as_ref().map(LessonRun::step_index);
                    if !matches!(self.feedback, Some(Feedback::Right { step }) if asking == Some(step + 1))
                    {
                        self.feedback = None;
                    }
                    return;
                }
                Progress::NextStep | Progress::Finished => {
                    self.step_begins();
                    self.publish();
                    if progress == Progress::Finished {
                        return;
                    }
                    progress = self
                        .run
                        .as_mut()
                        .map_or(Progress::Unchanged, LessonRun::check);
                }
            }
        }
    }

    /// A step began: its hint clock starts, and its settings go to the window, when the step
    /// is this window's (a client step's `port` is the client's: the server keeps its own).
    fn step_begins(&mut self) {
        self.step_began = Instant::now();
        if !matches!(self.feedback, Some(Feedback::Right { .. })) {
            self.feedback = None;
        }
        self.pending = self
            .run
            .as_ref()
            .and_then(LessonRun::current)
            .filter(|step| step.side == self.side)
            .map(|step| step.set.clone());
    }

    /// Tells the other window where this one is.
    fn publish(&self) {
        if let Some(run) = &self.run {
            let position = Position {
                lesson: run.lesson().name.clone(),
                step: run.step_index(),
                started: self.started,
                answers: run.answers().to_vec(),
                skipped: run.skipped().to_vec(),
                done_at: run.done_at().to_vec(),
                server_port: self.port.filter(|_| self.side == Side::Server),
            };
            let Some(sync) = &self.sync else {
                return;
            };
            if let Err(problem) = sync.write(self.side, &position) {
                // The other window will not follow; nothing else changes.
                tracing::warn!("lessons: the other window cannot follow: {problem}");
            }
        }
    }

    /// Follows the other window: a newer run of a lesson is joined; the same run is caught up
    /// with when the other window is further.
    pub fn follow_other_window(&mut self) {
        let other = self.side.other();
        let Some(position) = self.sync.as_ref().and_then(|sync| sync.read(other)) else {
            return;
        };
        if other == Side::Server {
            self.server_port = position.server_port;
        }
        if position.started > self.started {
            // A run the other window began just now starts from nothing here too; one it
            // began while this window was closed is joined where it is.
            let fresh = (position.step == 0).then(|| self.start_note(&position.lesson, other));
            self.begin(&position.lesson, position.step, position.started, fresh);
            if let Some(run) = &mut self.run {
                run.set_other_answers(position.answers);
                run.set_other_skipped(&position.skipped);
                run.set_other_done_at(&position.done_at);
            }
            self.open = true;
            self.publish();
            return;
        }
        let same_run = position.started == self.started
            && self
                .run
                .as_ref()
                .is_some_and(|run| run.lesson().name == position.lesson);
        if same_run {
            let progress = self.run.as_mut().map_or(Progress::Unchanged, |run| {
                run.set_other_answers(position.answers);
                run.set_other_skipped(&position.skipped);
                let progress = run.catch_up(position.step, Some(std::time::SystemTime::now()));
                run.set_other_done_at(&position.done_at);
                progress
            });
            if progress != Progress::Unchanged {
                self.feedback = None;
                self.progressed(progress);
            }
        }
    }

    /// Once per frame, before anything is drawn: follows the other window (at most every
    /// `SYNC_EVERY`) and makes the current step's widget known to [`mark`]. While a lesson
    /// runs the window repaints that often, since the other window's progress and a hint's
    /// time arrive without an event; with no lesson an idle window stays idle.
    pub fn tick(&mut self, ctx: &egui::Context) {
        if self.watcher.is_none()
            && let Some(sync) = &self.sync
        {
            let (news, ctx) = (self.news.clone(), ctx.clone());
            self.watcher = Some(sync.watch(
                self.side.other(),
                Box::new(move || {
                    news.store(true, Ordering::Relaxed);
                    ctx.request_repaint();
                }),
            ));
        }
        let now = Instant::now();
        let news = self.news.swap(false, Ordering::Relaxed);
        if news
            || self
                .last_sync
                .is_none_or(|last| now.duration_since(last) >= SYNC_EVERY)
        {
            self.last_sync = Some(now);
            self.follow_other_window();
        }
        if self.run.as_ref().is_some_and(|run| !run.is_finished()) {
            ctx.request_repaint_after(SYNC_EVERY);
        }
        self.publish_highlight(ctx);
    }

    /// The server's port as this window knows it (the server: the port it listens on, else
    /// its Port field; the client: the port it connects to), which the steps' words name where
    /// they write `{port}`. The window tells it before drawing the panel.
    pub fn set_port(&mut self, port: Option<u16>) {
        let moved = self.port != port;
        self.port = port;
        let words = self.words_port();
        if let Some(run) = &mut self.run {
            run.set_port(words);
        }
        // The client window names the server's port, and a run started before the window's
        // first frame (`--lesson`) was published without it.
        if moved && self.side == Side::Server {
            self.publish();
        }
    }

    /// The port the steps' words name: the server window's own; in the client window the
    /// server window's as it last said, else the port this client connects to.
    fn words_port(&self) -> Option<u16> {
        match self.side {
            Side::Server => self.port,
            Side::Client => self.server_port.or(self.port),
        }
    }

    /// The report as Markdown.
    #[must_use]
    pub fn report(&self) -> String {
        let note = if self.learner.trim().is_empty() {
            String::new()
        } else {
            format!("Learner: {}", self.learner.trim())
        };
        self.run
            .as_ref()
            .map_or_else(String::new, |run| run.report_markdown(&note))
    }

    /// Writes the report next to the lesson files of this user: `lesson-report-NAME.md` in
    /// the home folder (or the temporary folder when there is none).
    ///
    /// # Errors
    /// The file could not be written.
    pub fn export(&self) -> std::io::Result<PathBuf> {
        let name = self
            .run
            .as_ref()
            .map_or("lesson", |run| run.lesson().name.as_str());
        let dir = serversocket_files::private_files::user_folder();
        let path = dir.join(format!("lesson-report-{name}-{}.md", self.side.name()));
        serversocket_files::private_files::write_private_file(&path, self.report().as_bytes())?;
        Ok(path)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// The id under which the current highlight is kept in egui's memory for [`mark`].
fn highlight_id() -> egui::Id {
    egui::Id::unique("lesson highlight")
}

impl LessonPanel {
    /// Makes the current step's widget known to [`mark`] for this frame.
    fn publish_highlight(&self, ctx: &egui::Context) {
        let highlight = self.highlight().map(str::to_owned);
        ctx.data_mut(|data| data.insert_temp(highlight_id(), highlight));
    }
}

/// Outlines `response`'s widget when the current lesson step is about `name` (one of
/// [`lesson::HIGHLIGHTS`]).
pub fn mark(ui: &egui::Ui, name: &str, response: &egui::Response) {
    let current: Option<String> = ui
        .ctx()
        .data(|data| data.get_temp(highlight_id()))
        .flatten();
    // Nothing to point at (the pool's tiles before a Listen: a flat strip under the tabs),
    // nothing marked.
    let something = response.rect.height() >= 4.0 && response.rect.width() >= 4.0;
    if current.as_deref() == Some(name) && something {
        // Within the gap to the next widget (egui's item spacing): 3 points out and the
        // stroke's 2 beyond reached into the "r" of the label beside the mode buttons.
        ui.painter().rect_stroke(
            response.rect.expand(1.0),
            4.0,
            egui::Stroke::new(2.0, HIGHLIGHT),
            egui::StrokeKind::Outside,
        );
    }
}

//! The other window, one click (or F6) away. On a screen too small for the two windows side by
//! side each takes the whole screen (see [`crate::native`]), so one hides the other: each
//! window has a "Show the client window" / "Show the server window" button that brings the
//! other to the front, like a tab. When the other app is not running, the button starts it
//! ([`serversocket_app::launch`]: the one beside this executable, else the one on `PATH`).
//!
//! The two apps are two processes, and they meet in the folder the lessons already share
//! ([`LessonSync::default_dir`]): each app says it is open in a small file of its own
//! (`server.window`, holding its process id), and a click writes a request for the other
//! (`client.show`, holding a number that grows with each request). Each app reads its request
//! file on a thread of its own, 4 times a second, and only wakes its window when a new request
//! came: an idle window stays idle. The window then asks its window manager for the focus
//! ([`egui::ViewportCommand::Focus`]). Only the apps use the folder: a window made in a test
//! follows nothing, unless the test links it to a folder of its own.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serversocket_app::launch;
use serversocket_files::private_files::{ensure_private_folder, write_private_file};
use serversocket_lessons::Side;
use serversocket_lessons::sync::LessonSync;

use crate::shortcuts;

/// How often an app looks for a request to come to the front, and whether the other is open.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// A client window opened this recently before the server window first drew was started
/// with it (`.ci/app`, a desktop session), not on its own earlier.
const STARTED_TOGETHER: Duration = Duration::from_secs(10);

/// What the watcher thread tells the window.
#[derive(Debug, Default)]
struct News {
    /// The other window asked this one to come to the front, and it has not yet.
    asked: AtomicBool,
    /// The other app is running (its presence file names a live process).
    other_open: AtomicBool,
    /// The window was closed: the watcher stops.
    stop: AtomicBool,
    /// The last request number this side wrote for the other, so each is larger.
    last_request: AtomicU64,
}

/// This window's link to the other one.
#[derive(Debug)]
struct Link {
    /// The shared folder.
    dir: PathBuf,
    /// Shared with the watcher thread.
    news: Arc<News>,
    /// The watcher runs (it is started on the first frame, when the window's context exists).
    watching: bool,
    /// Which window stands in front at the start was settled (once the screen is known).
    front_settled: bool,
    /// How the other app is started when it is not running.
    starter: Starter,
}

/// Starts the other app when its window is asked for and it is not running.
#[derive(Debug, Default)]
struct Starter {
    /// The program to run; none: the other app's, found beside this executable or on `PATH`
    /// at the click (a test names a program of its own).
    program: Option<PathBuf>,
    /// The program started last, until it ends: not started twice while its window opens,
    /// and waited for when it ends, so it leaves no zombie process.
    started: Option<Child>,
    /// Why the last start failed, or why the program started ended before its window said
    /// it was open; shown beside the button.
    problem: Option<String>,
}

/// The "Show the other window" button and what makes it work.
#[derive(Debug)]
pub struct OtherWindow {
    /// Which window this is.
    side: Side,
    /// The shared folder and its watcher; none in a window of its own (tests).
    link: Option<Link>,
}

impl OtherWindow {
    /// A window on its own: the button says the other window is out of reach.
    #[must_use]
    pub fn alone(side: Side) -> Self {
        Self { side, link: None }
    }

    /// The window as the app opens it: linked to the other app through the usual folder.
    #[must_use]
    pub fn for_app(side: Side) -> Self {
        Self::linked(side, LessonSync::default_dir())
    }

    /// A window linked to the other through `dir`; it says there that it is open.
    #[must_use]
    pub fn linked(side: Side, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        if let Err(problem) =
            write_file(&dir, &presence_file(side), &std::process::id().to_string())
        {
            tracing::warn!("the other window will not find this one: {problem}");
        }
        let news = Arc::new(News::default());
        // A request written before this window opened is not for it.
        news.last_request.store(
            read_number(&dir.join(request_file(side.other()))).unwrap_or(0),
            Ordering::Relaxed,
        );
        Self {
            side,
            link: Some(Link {
                dir,
                news,
                watching: false,
                front_settled: false,
                starter: Starter::default(),
            }),
        }
    }

    /// The same window, starting `program` instead of the other app when the other window is
    /// asked for and not open (tests: a script that says it is open, as the other app would).
    #[must_use]
    pub fn starting(mut self, program: impl Into<PathBuf>) -> Self {
        if let Some(link) = &mut self.link {
            link.starter.program = Some(program.into());
        }
        self
    }

    /// Whether the other app is running, as the watcher last saw it.
    #[must_use]
    pub fn other_is_open(&self) -> bool {
        self.link
            .as_ref()
            .is_some_and(|link| link.news.other_open.load(Ordering::Relaxed))
    }

    /// Once per frame: starts the watcher on the first, and comes to the front when the other
    /// window asked.
    pub fn tick(&mut self, ctx: &egui::Context) {
        let side = self.side;
        let Some(link) = &mut self.link else {
            return;
        };
        if !link.watching {
            link.watching = true;
            watch(side, &link.dir, Arc::clone(&link.news), ctx.clone());
        }
        link.starter.reap(other_app(side));
        if !link.front_settled
            && let Some(monitor) = ctx.input(|i| i.viewport().monitor_size)
        {
            link.front_settled = true;
            // Stacked, the client stands in front at the start (the README's promise). The
            // client asks for the focus as it opens, but a server window that opens after it
            // takes the focus from it: so a server opening with a client that has just
            // started asks it to the front again. A client open for longer was there first,
            // and the learner opened this window to see it; so did one whose button started
            // this window.
            let client = link.dir.join(presence_file(Side::Client));
            if side == Side::Server
                && !launch::asked_to_show()
                && crate::native::stacked(monitor)
                && opened_within(&client, STARTED_TOGETHER)
            {
                self.show_other();
            }
        }
        let Some(link) = &mut self.link else {
            return;
        };
        if link.news.asked.swap(false, Ordering::Relaxed) {
            // A minimized window must be restored before it can take the focus.
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        }
    }

    /// The button, with F6 as its shortcut: brings the other window to the front, or starts
    /// the other app when it is not running; disabled in a window on its own. Shown while
    /// the windows stand one behind the other (a small screen) or the screen is not known:
    /// side by side, both are in sight and the row keeps its room; F6 works there too.
    pub fn button_ui(&mut self, ui: &mut egui::Ui) {
        let monitor = ui.ctx().input(|i| i.viewport().monitor_size);
        if monitor.is_some_and(|monitor| !crate::native::stacked(monitor)) {
            if shortcuts::pressed(ui, &shortcuts::SHOW_OTHER) {
                self.show_other();
            }
            return;
        }
        let name = match self.side {
            Side::Server => "Show the client window",
            Side::Client => "Show the server window",
        };
        let other_app = other_app(self.side);
        let open = self.other_is_open();
        let tip = match &self.link {
            None => format!("The other window is not open: start {other_app}"),
            Some(_) if open => shortcuts::tip(
                ui,
                "Bring the other window to the front: on a small screen each window takes the whole screen",
                &shortcuts::SHOW_OTHER,
            ),
            Some(link) if link.starter.started.is_some() => {
                format!("{other_app} is starting: its window opens in a moment")
            }
            Some(_) => shortcuts::tip(
                ui,
                &format!("The other window is not open: this starts {other_app}"),
                &shortcuts::SHOW_OTHER,
            ),
        };
        let linked = self.link.is_some();
        let button = ui
            .add_enabled(linked, egui::Button::new(name))
            .on_hover_text(tip);
        if button.clicked() || (linked && shortcuts::pressed(ui, &shortcuts::SHOW_OTHER)) {
            self.show_other();
        }
        if let Some(problem) = self.link.as_ref().and_then(|l| l.starter.problem.as_ref()) {
            ui.colored_label(ui.visuals().warn_fg_color, "⚠")
                .on_hover_text(problem.as_str());
        }
    }

    /// Asks the other window to come to the front, or starts the other app when it is not
    /// running (its presence file is read now: the watcher may not have looked yet).
    pub fn show_other(&mut self) {
        let side = self.side;
        let Some(link) = &mut self.link else {
            return;
        };
        if !is_open(&link.dir.join(presence_file(side.other()))) {
            link.starter.start(other_app(side));
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        // Larger than the last one even if the clock went back.
        let number = now.max(link.news.last_request.load(Ordering::Relaxed) + 1);
        link.news.last_request.store(number, Ordering::Relaxed);
        if let Err(problem) = write_file(
            &link.dir,
            &request_file(self.side.other()),
            &number.to_string(),
        ) {
            tracing::warn!("the other window cannot be asked to come to the front: {problem}");
        }
    }
}

impl Drop for OtherWindow {
    fn drop(&mut self) {
        if let Some(link) = &self.link {
            link.news.stop.store(true, Ordering::Relaxed);
            let _ = std::fs::remove_file(link.dir.join(presence_file(self.side)));
        }
    }
}

/// The program of the other side's app.
fn other_app(side: Side) -> &'static str {
    match side.other() {
        Side::Server => "server-app",
        Side::Client => "client-app",
    }
}

impl Starter {
    /// Starts `program_name` (or the program a test named), unless the one started last still
    /// runs: its window is on its way.
    fn start(&mut self, program_name: &str) {
        if self.started.is_some() {
            return;
        }
        let found = match &self.program {
            Some(program) => Ok(program.clone()),
            None => launch::find(program_name),
        };
        match found.and_then(|path| launch::start(&path)) {
            Ok(child) => {
                tracing::info!("started {program_name} (process {})", child.id());
                self.started = Some(child);
                self.problem = None;
            }
            Err(problem) => {
                tracing::warn!("the other window cannot be opened: {problem}");
                self.problem = Some(format!("The other window cannot be opened: {problem}"));
            }
        }
    }

    /// Waits for the program started last if it ended (without blocking), and says so when it
    /// failed: a program that cannot open its window (no display) ends at once.
    fn reap(&mut self, program_name: &str) {
        let Some(child) = &mut self.started else {
            return;
        };
        match child.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => {
                self.started = None;
                if !status.success() {
                    tracing::warn!("{program_name} ended: {status}");
                    self.problem = Some(format!(
                        "{program_name} ended ({status}): its messages are on the terminal this window was started from"
                    ));
                }
            }
            Err(problem) => {
                self.started = None;
                tracing::warn!("{program_name} cannot be followed: {problem}");
            }
        }
    }
}

/// Where `side` says it is open.
fn presence_file(side: Side) -> String {
    format!("{}.window", side.name())
}

/// Where `side` is asked to come to the front.
fn request_file(side: Side) -> String {
    format!("{}.show", side.name())
}

/// Writes `text` to `dir/name` through a new file renamed into place, so a reader never sees
/// half of it, in a folder of this user's that nobody else may write into (no other user can
/// ask this window to come forward or make it write through a link).
fn write_file(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    ensure_private_folder(dir)?;
    write_private_file(&dir.join(name), text.as_bytes())
}

/// The number in `file`, if it holds one and its folder is this user's alone.
fn read_number(file: &Path) -> Option<u64> {
    ensure_private_folder(file.parent()?).ok()?;
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// Whether the app whose presence file is `file` still runs.
fn is_open(file: &Path) -> bool {
    let Some(pid) = read_number(file) else {
        return false;
    };
    serversocket_lessons::sync::process_is_running(pid)
}

/// Whether the app whose presence file is `file` runs and opened less than `recently` ago.
fn opened_within(file: &Path, recently: Duration) -> bool {
    let written = std::fs::metadata(file).and_then(|meta| meta.modified());
    written.is_ok_and(|written| written.elapsed().is_ok_and(|age| age < recently)) && is_open(file)
}

/// The watcher: every [`WATCH_EVERY`], whether the other app is open and whether it asked
/// this one to come to the front; the window is woken only when one of them changed.
fn watch(side: Side, dir: &Path, news: Arc<News>, ctx: egui::Context) {
    let presence = dir.join(presence_file(side.other()));
    let requests = dir.join(request_file(side));
    let mut seen = read_number(&requests).unwrap_or(0);
    let spawned = std::thread::Builder::new()
        .name("other-window".to_owned())
        .spawn(move || {
            while !news.stop.load(Ordering::Relaxed) {
                let mut changed = false;
                let open = is_open(&presence);
                if news.other_open.swap(open, Ordering::Relaxed) != open {
                    changed = true;
                }
                if let Some(number) = read_number(&requests)
                    && number != seen
                {
                    seen = number;
                    news.asked.store(true, Ordering::Relaxed);
                    changed = true;
                }
                if changed {
                    ctx.request_repaint();
                }
                std::thread::sleep(WATCH_EVERY);
            }
        });
    if let Err(problem) = spawned {
        tracing::warn!("the other window cannot reach this one: {problem}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs one frame of `window` in `ctx`; says whether it asked to come to the front.
    fn frame_asks_focus(ctx: &egui::Context, window: &mut OtherWindow) -> bool {
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| window.tick(ui.ctx()));
        // No renderer takes the font texture here.
        output.textures_delta.clear();
        output
            .viewport_output
            .values()
            .any(|viewport| viewport.commands.contains(&egui::ViewportCommand::Focus))
    }

    #[test]
    fn a_request_from_one_window_brings_the_other_to_the_front_once() {
        let dir = test_support::empty_folder("other-window");
        let mut server = OtherWindow::linked(Side::Server, &dir);
        let mut client = OtherWindow::linked(Side::Client, &dir);
        let ctx = egui::Context::default();
        assert!(!frame_asks_focus(&ctx, &mut client), "nothing asked yet");
        server.show_other();
        // The watcher reads the request within a few of its rounds (bounded: 40 × 50 ms).
        let mut asked = false;
        for _ in 0..40 {
            if frame_asks_focus(&ctx, &mut client) {
                asked = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(asked, "the client window never asked for the focus");
        assert!(
            client
                .link
                .as_ref()
                .is_some_and(|l| l.news.other_open.load(Ordering::Relaxed)),
            "the client sees the server open"
        );
        assert!(!frame_asks_focus(&ctx, &mut client), "once per request");
        drop(server);
        assert!(
            !dir.join("server.window").exists(),
            "a closed window says so"
        );
        drop(client);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_program_that_does_not_start_or_ends_at_once_is_said_beside_the_button() {
        let dir = test_support::empty_folder("other-window-fails");
        let problem = |window: &OtherWindow| {
            window
                .link
                .as_ref()
                .and_then(|link| link.starter.problem.clone())
        };
        let mut missing =
            OtherWindow::linked(Side::Server, &dir).starting(dir.join("no-such-client"));
        missing.show_other();
        let said = problem(&missing).expect("a missing program is said");
        assert!(said.contains("no-such-client did not start"), "{said}");
        drop(missing);

        // `false` runs and ends at once with status 1, as an app that cannot open a window.
        let mut failing = OtherWindow::linked(Side::Server, &dir).starting("false");
        failing.show_other();
        assert!(problem(&failing).is_none(), "started");
        let ctx = egui::Context::default();
        let ended = test_support::within_patience(|| {
            frame_asks_focus(&ctx, &mut failing);
            problem(&failing)
        })
        .expect("the end is said");
        assert!(
            ended.starts_with("client-app ended (exit status: 1)"),
            "{ended}"
        );
        drop(failing);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// One frame of `window` on a monitor of `monitor` points.
    fn frame_on(monitor: egui::Vec2, window: &mut OtherWindow) {
        let ctx = egui::Context::default();
        let mut input = egui::RawInput::default();
        input.viewports.insert(
            egui::ViewportId::ROOT,
            egui::ViewportInfo {
                monitor_size: Some(monitor),
                ..Default::default()
            },
        );
        let mut output = ctx.run_ui(input, |ui| window.tick(ui.ctx()));
        output.textures_delta.clear();
    }

    /// On a small screen the client stands in front at the start even when the server's
    /// window opens after the client's; a client open for longer is left where it is.
    #[test]
    fn a_server_opening_with_a_client_just_started_puts_the_client_in_front() {
        let small = egui::vec2(800.0, 600.0);
        let wide = egui::vec2(2560.0, 1440.0);
        for (monitor, client_age, asks) in [
            (small, Duration::ZERO, true),
            (small, Duration::from_secs(60), false),
            (wide, Duration::ZERO, false),
        ] {
            let dir = test_support::empty_folder("other-window-front");
            let client = OtherWindow::linked(Side::Client, &dir);
            let presence = std::fs::File::options()
                .write(true)
                .open(dir.join("client.window"))
                .expect("the client's presence file");
            presence
                .set_modified(SystemTime::now() - client_age)
                .expect("dated");
            let mut server = OtherWindow::linked(Side::Server, &dir);
            frame_on(monitor, &mut server);
            assert_eq!(
                read_number(&dir.join("client.show")).is_some(),
                asks,
                "{monitor:?}, a client {client_age:?} old"
            );
            drop((server, client));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn a_window_alone_follows_nothing() {
        let mut alone = OtherWindow::alone(Side::Server);
        let ctx = egui::Context::default();
        alone.show_other();
        assert!(!frame_asks_focus(&ctx, &mut alone));
    }

    #[test]
    fn a_presence_file_of_a_process_gone_is_not_open() {
        let dir = std::env::temp_dir().join(format!("other-window-gone-{}", std::process::id()));
        write_file(&dir, "client.window", "not a pid").expect("written");
        assert!(!is_open(&dir.join("client.window")));
        write_file(&dir, "client.window", &std::process::id().to_string()).expect("written");
        assert!(is_open(&dir.join("client.window")));
        assert!(!is_open(&dir.join("server.window")), "no file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

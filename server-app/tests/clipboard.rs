//! Copy reaches the desktop's clipboard: the real window (eframe, with its `clipboard`
//! feature) on an X server of the test's own (Xvfb), read back by another program (`xclip`),
//! as a learner pasting into an editor would.
//!
//! A real eframe window has no accessibility tree here to click through, so the test asks the
//! window to press one Copy button by its name on the first frame it has something to copy
//! (`SERVERSOCKET_PRESS_COPY`, see `serversocket_ui::copy`): from the press on, the same
//! function as a click. All three (Copy report, Copy N shown, Copy N selected) go through the
//! real clipboard here. That every
//! Copy button's click reaches that function is proven in kittest (the log's Copy N
//! selected and N shown, the lesson panel's Copy report). Skipped, saying so, where Xvfb or
//! xclip is not installed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serversocket_ui::copy::PRESS_COPY;
use test_support::{PATIENCE, within, within_patience};

/// A program the test runs, ended when the test ends (passed or failed).
struct Running(Child);

impl Drop for Running {
    /// Ended as a desktop ends it (SIGTERM), so an X server removes its lock and socket
    /// (killed, it left them behind in /tmp for every later run to step around); killed if
    /// it has not ended within the patience. One that has ended already (and was waited for)
    /// is left alone: its process id may be another program's by now.
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg(self.0.id().to_string())
            .stderr(Stdio::null())
            .status();
        if within_patience(|| self.0.try_wait().ok().flatten()).is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// True when `program` runs here.
fn installed(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// An X server of the test's own; `None` when none could start. Xvfb picks a free display
/// number itself and says which (`-displayfd`): choosing one here raced with the other
/// clipboard tests, and two windows on one X server took each other's clipboard.
///
/// It never resets (`-noreset`). An X server resets when its last client leaves, and a reset
/// closes every connection still being set up: the test's own `xclip`, leaving just as the
/// window connected, had the window's connection closed under it ("Failed to open connection
/// to X server", about one full test run in four). A desktop has its window manager and panel
/// connected all along, so a window never meets that reset there.
fn x_server() -> Option<(Running, String)> {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let server = Running(child);
    // The number comes once the server listens; read on a thread, so the wait is bounded.
    // The thread reads on to the end: a pipe closed behind the number would kill the server
    // (SIGPIPE) at its next line on stdout, under the window that is using it.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut stdout = std::io::BufReader::new(stdout);
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut stdout, &mut line);
        let _ = sender.send(line);
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    });
    let number = receiver.recv_timeout(PATIENCE).ok()?;
    let number: u32 = number.trim().parse().ok()?;
    Some((server, format!(":{number}")))
}

/// Whether the X server of `display` answers a client (xclip says "Can't open display" when
/// it does not).
fn answers(display: &str) -> bool {
    Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|output| !String::from_utf8_lossy(&output.stderr).contains("open display"))
}

/// What the clipboard of `display` holds, when something does.
fn clipboard(display: &str) -> Option<String> {
    let output = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Where the window's stderr goes, for a failing test to show.
fn app_log(home: &Path) -> std::fs::File {
    std::fs::File::create(home.join("app.log")).expect("the window's log file")
}

/// The server window on `display`, with a home and runtime folder of its own (its settings and
/// lesson sync stay out of the user's), pressing the Copy button called `button`.
fn window(display: &str, home: &Path, button: &str, args: &[&str]) -> Running {
    let runtime = home.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_server-app"))
        .args(args)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env(PRESS_COPY, button)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(app_log(home))
        .spawn()
        .expect("server-app starts");
    Running(child)
}

/// Ctrl+L (Listen) in the window on `display`. With no window manager the window is given the
/// focus by hand first; bounded (`timeout`), as `--sync` waits for the focus to move. False
/// while the window is not there yet.
fn listen_by_keyboard(display: &str) -> bool {
    let focus = ["search", "--name", "ServerSocket", "windowfocus", "--sync"];
    xdotool(display, &focus) && xdotool(display, &["key", "ctrl+l"])
}

/// Runs xdotool with `args` on `display`, for at most 5 seconds; whether it succeeded.
fn xdotool(display: &str, args: &[&str]) -> bool {
    Command::new("timeout")
        .args(["5", "xdotool"])
        .args(args)
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// An X server of the test's own, with the server window on it pressing the Copy button
/// `button`, in a home folder of its own that goes with it.
struct Desktop {
    display: String,
    home: PathBuf,
    // Dropped in this order: the window, then its X server.
    app: Running,
    _x: Running,
}

impl Desktop {
    /// `None`, saying why on stderr, where a tool the test needs is missing or no X server
    /// could start.
    fn start(button: &str, args: &[&str], keyboard_and_mouse: bool) -> Option<Self> {
        let xdotool_missing = keyboard_and_mouse && !installed("xdotool", "version");
        if !installed("Xvfb", "-help") || !installed("xclip", "-version") || xdotool_missing {
            eprintln!(
                "skipped: this test needs Xvfb, xclip and xdotool (apt-get install xvfb xclip \
                 xdotool) to drive the window and read the system clipboard back"
            );
            return None;
        }
        let Some((x, display)) = x_server() else {
            eprintln!("skipped: no Xvfb display could start");
            return None;
        };
        let home = std::env::temp_dir().join(format!("clipboard-{button}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        // The empty clipboard below says something only of an X server that answers.
        assert!(
            within_patience(|| answers(&display).then_some(())).is_some(),
            "the X server on {display} never answered"
        );
        assert_eq!(clipboard(&display), None, "the clipboard starts empty");
        let app = window(&display, &home, button, args);
        Some(Self {
            display,
            home,
            app,
            _x: x,
        })
    }

    /// What the clipboard holds once something is copied; `None` when nothing was, or the
    /// window ended first (then at once: what it said on stderr tells why). Bounded by three
    /// patiences, not one: the window is a debug build drawing with software GL, started
    /// while the other tests run, and under that load its first frame alone came later than
    /// one patience.
    fn copied(&mut self, mut act: impl FnMut(&str)) -> Option<String> {
        let window = &mut self.app.0;
        within(3 * PATIENCE, || {
            if matches!(window.try_wait(), Ok(Some(_))) {
                return Some(None);
            }
            act(&self.display);
            clipboard(&self.display)
                .filter(|text| !text.is_empty())
                .map(Some)
        })
        .flatten()
    }
}

impl Desktop {
    /// Fails the test for want of `what`, with what the window said on stderr.
    fn failed(&self, what: &str) -> ! {
        let said = std::fs::read_to_string(self.home.join("app.log")).unwrap_or_default();
        panic!("{what}: nothing was copied; the window's stderr:\n{said}");
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

#[test]
fn copy_report_reaches_the_system_clipboard() {
    let Some(mut desktop) = Desktop::start("report", &["--lesson", "listening"], false) else {
        return;
    };
    let copied = desktop.copied(|_| {});
    let copied =
        copied.unwrap_or_else(|| desktop.failed("the report reached the system clipboard"));
    assert!(copied.starts_with("# Lesson: 1. Listening"), "{copied}");
    assert!(copied.contains("## Event log"), "{copied}");
}

/// Copy N shown, through the real window: the window is made to listen by its keyboard
/// shortcut (xdotool, as a learner's Ctrl+L), which fills the log; the button then copies it.
#[test]
fn copy_shown_reaches_the_system_clipboard() {
    let Some(mut desktop) = Desktop::start("shown", &["--port", "0"], true) else {
        return;
    };
    let copied = desktop.copied(|display| {
        let _ = listen_by_keyboard(display);
    });
    let copied =
        copied.unwrap_or_else(|| desktop.failed("the shown lines reached the system clipboard"));
    assert!(copied.contains("Listening on 127.0.0.1:"), "{copied}");
}

/// Copy N selected, through the real window: it listens (Ctrl+L), then the test clicks down
/// the window's lower half, where the log is, until a click lands on a line and selects it;
/// the button then copies that one line.
#[test]
fn copy_selected_reaches_the_system_clipboard() {
    let Some(mut desktop) = Desktop::start("selected", &["--port", "0"], true) else {
        return;
    };
    let mut listening = false;
    // From the bottom of the 1024x768 screen up to its middle, 8 points at a time (the log's
    // lines are 19 apart), at a column where the log's header row has only words.
    let mut heights = (384..760).rev().step_by(8).cycle();
    let copied = desktop.copied(|display| {
        if listening {
            let y = heights.next().unwrap_or(600).to_string();
            let _ = xdotool(display, &["mousemove", "600", &y, "click", "1"]);
        } else {
            // Once the window is there and has taken the key; the log then has its lines.
            listening = listen_by_keyboard(display);
        }
    });
    let copied =
        copied.unwrap_or_else(|| desktop.failed("a selected line reached the system clipboard"));
    assert_eq!(copied.lines().count(), 1, "one line selected: {copied}");
    assert!(
        copied.contains("  "),
        "a log line: its time, then its words: {copied}"
    );
}

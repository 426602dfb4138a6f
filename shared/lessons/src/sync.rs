//! How the server window and the client window follow one lesson together on one machine:
//! each writes where it is (lesson and step) to a small file of its own in a shared folder and
//! reads the other's. A step done in one window moves the other on.
//!
//! A file, not a socket, so nothing listens on a port a lesson is about, and either window may
//! start first or not at all. Writes go to a temporary file renamed into place, so a reader
//! never sees half a file. Each file names the process that wrote it: a position left by a
//! window that has since closed or crashed is not joined by the next one to open.
//!
//! A window that draws nothing (idle, covered) would read the other's file only when next
//! drawn, and a click meant for it would first be spent on catching up. [`LessonSync::watch`]
//! looks at the other window's file on a thread of its own and calls a waker (the window's
//! `request_repaint`) as soon as it changes, as rerun's viewer wakes on news.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serversocket_files::private_files::{
    ensure_private_folder, private_runtime_folder, runtime_folder, write_private_file,
};

use crate::observed::Side;
use crate::run::Answer;

/// How often [`LessonSync::watch`] looks at the other window's file: a file read, small
/// enough to do often, and often enough to feel at once.
pub const WATCH_EVERY: Duration = Duration::from_millis(200);

/// Where a window is in a lesson, as the other window reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The lesson's name.
    pub lesson: String,
    /// The current step (from 0); the number of steps once finished.
    pub step: usize,
    /// When this run of the lesson began (milliseconds since 1970): a reset or a new lesson in
    /// one window starts a newer run, which the other window follows.
    pub started: u64,
    /// The answers given in this window, so the other window's report holds them too.
    #[serde(default)]
    pub answers: Vec<Answer>,
    /// The steps skipped, so the other window's report marks them as this one's does.
    #[serde(default)]
    pub skipped: Vec<crate::Skipped>,
    /// When each step passed was done here (empty: not known), so the other window's report
    /// gives this window's steps the same times.
    #[serde(default)]
    pub done_at: Vec<String>,
    /// The server window's port (written by the server window only): the client window's
    /// steps name it, and a run the server began points the client at it. A learner who had
    /// moved the server off 2002 was told `nc 127.0.0.1 2002` in the client window, and its
    /// Connect was refused.
    #[serde(default)]
    pub server_port: Option<u16>,
}

/// A position as written, with the process that wrote it.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    position: Position,
    /// The writing app's process id.
    writer: u64,
}

/// Whether the process `pid` still runs. A file in the shared folder left by an app that
/// closed or crashed names a process that is gone. Elsewhere than Linux (no `/proc`) the file
/// is taken at its word.
#[must_use]
pub fn process_is_running(pid: u64) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// The shared folder.
#[derive(Debug, Clone)]
pub struct LessonSync {
    dir: PathBuf,
}

impl LessonSync {
    /// Uses `dir` (created when first written).
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> LessonSync {
        LessonSync { dir: dir.into() }
    }

    /// The usual folder, shared by both apps of one user and by nobody else:
    /// `serversocket-lessons` in the user's runtime folder (`$XDG_RUNTIME_DIR`, else
    /// `serversocket-UID` in the temp folder). A fixed name in the shared temp folder let
    /// another user of the machine make it first and steer the windows.
    ///
    /// When another user took `serversocket-UID` first, the folder is in the user's cache
    /// folder instead ([`private_runtime_folder`]); [`LessonSync::default_dir_note`] says so.
    #[must_use]
    pub fn default_dir() -> PathBuf {
        private_runtime_folder()
            .map_or_else(|_| runtime_folder(), |folder| folder.path)
            .join("serversocket-lessons")
    }

    /// What a window should say about [`LessonSync::default_dir`]: why it is not the usual
    /// folder, or why there is none (lesson sync and the other window's button are then off).
    #[must_use]
    pub fn default_dir_note() -> Option<String> {
        match private_runtime_folder() {
            Ok(folder) => folder.fell_back,
            Err(problem) => Some(format!(
                "The two windows cannot follow each other: {problem}"
            )),
        }
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, side: Side) -> PathBuf {
        self.dir.join(format!("{}.json", side.name()))
    }

    /// Says where `side` is.
    ///
    /// # Errors
    /// The folder or file could not be written.
    /// The folder must be this user's, closed to others ([`ensure_private_folder`]); the file
    /// is made new and renamed into place, so a reader never sees half of it and no link in
    /// the folder is written through.
    pub fn write(&self, side: Side, position: &Position) -> io::Result<()> {
        ensure_private_folder(&self.dir)?;
        let stored = Stored {
            position: position.clone(),
            writer: u64::from(std::process::id()),
        };
        let text = serde_json::to_string(&stored).map_err(io::Error::other)?;
        write_private_file(&self.file(side), text.as_bytes())
    }

    /// Where `side` last said it was, if it said anything readable and still runs. Read only
    /// from a folder of this user's that nobody else may write into: what is there was
    /// written by this user's programs.
    #[must_use]
    pub fn read(&self, side: Side) -> Option<Position> {
        ensure_private_folder(&self.dir).ok()?;
        let text = std::fs::read_to_string(self.file(side)).ok()?;
        let stored: Stored = serde_json::from_str(&text).ok()?;
        process_is_running(stored.writer).then_some(stored.position)
    }

    /// Forgets where `side` was (its lesson was reset or closed).
    pub fn clear(&self, side: Side) {
        let _ = std::fs::remove_file(self.file(side));
    }

    /// Calls `wake` whenever `side`'s file changes (or first appears), from a thread that
    /// looks every [`WATCH_EVERY`] until the returned [`Watcher`] is dropped.
    #[must_use]
    pub fn watch(&self, side: Side, wake: Box<dyn Fn() + Send + Sync>) -> Watcher {
        let (stop, stopped) = mpsc::channel::<()>();
        let file = self.file(side);
        let looked = std::thread::Builder::new()
            .name(format!("lesson sync: {} window", side.name()))
            .spawn(move || {
                let mut last: Option<Vec<u8>> = None;
                // Ends when the Watcher (the sender) is dropped.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(WATCH_EVERY) {
                    let now = std::fs::read(&file).ok();
                    if now.is_some() && now != last {
                        wake();
                    }
                    last = now;
                }
            });
        if let Err(problem) = looked {
            // The window still follows when it is drawn; it is only slower to notice.
            serversocket_files::say!(
                "lessons: cannot watch the other window's progress: {problem}"
            );
        }
        Watcher { _stop: stop }
    }
}

/// Keeps [`LessonSync::watch`]'s thread looking; dropping it ends the thread.
#[derive(Debug)]
pub struct Watcher {
    /// Dropped with the watcher: the thread sees its channel close and ends.
    _stop: mpsc::Sender<()>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_reads_what_the_other_wrote() {
        let dir = std::env::temp_dir().join(format!("lesson-sync-{}", std::process::id()));
        let sync = LessonSync::new(&dir);
        assert_eq!(sync.read(Side::Client), None);
        let position = Position {
            lesson: "the-pool".into(),
            step: 3,
            started: 1,
            answers: Vec::new(),
            skipped: Vec::new(),
            done_at: Vec::new(),
            server_port: None,
        };
        sync.write(Side::Client, &position).expect("written");
        assert_eq!(sync.read(Side::Client), Some(position));
        assert_eq!(sync.read(Side::Server), None);
        std::fs::write(dir.join("server.json"), "{half").expect("write");
        assert_eq!(
            sync.read(Side::Server),
            None,
            "a broken file reads as nothing"
        );
        sync.clear(Side::Client);
        assert_eq!(sync.read(Side::Client), None);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    /// Another user who makes the folder first (open to all, or theirs) can neither steer a
    /// window nor make it write through their links: the folder is refused.
    #[cfg(unix)]
    #[test]
    fn a_folder_others_may_write_into_or_of_another_user_is_not_used() {
        use std::os::unix::fs::PermissionsExt;

        let dir = test_support::empty_folder("lesson-sync-open");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("mode");
        let planted = format!(
            r#"{{"lesson":"tls","step":3,"started":1,"writer":{}}}"#,
            std::process::id()
        );
        std::fs::write(dir.join("client.json"), planted).expect("planted");
        let sync = LessonSync::new(&dir);
        assert_eq!(
            sync.read(Side::Client),
            None,
            "a planted position is not read"
        );
        let position = Position {
            lesson: "the-pool".into(),
            step: 1,
            started: 1,
            answers: Vec::new(),
            skipped: Vec::new(),
            done_at: Vec::new(),
            server_port: None,
        };
        let refused = sync
            .write(Side::Server, &position)
            .expect_err("not written");
        assert!(refused.to_string().contains("chmod 700"), "{refused}");
        assert!(!dir.join("server.json").exists());
        // A folder of another user (only root can make one here).
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("mode");
        if std::os::unix::fs::chown(&dir, Some(65_534), None).is_ok() {
            assert_eq!(
                sync.read(Side::Client),
                None,
                "another user's folder is not read"
            );
            assert!(sync.write(Side::Server, &position).is_err());
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    /// A change of the other window's file wakes this one at once, without a frame drawn.
    #[test]
    fn a_change_of_the_other_window_wakes_this_one() {
        let dir = std::env::temp_dir().join(format!("lesson-sync-wake-{}", std::process::id()));
        let sync = LessonSync::new(&dir);
        let (woke, wakes) = mpsc::channel();
        let watcher = sync.watch(
            Side::Server,
            Box::new(move || {
                let _ = woke.send(());
            }),
        );
        let mut position = Position {
            lesson: "the-pool".into(),
            step: 0,
            started: 1,
            answers: Vec::new(),
            skipped: Vec::new(),
            done_at: Vec::new(),
            server_port: None,
        };
        for step in 0..3 {
            position.step = step;
            sync.write(Side::Server, &position).expect("written");
            assert!(
                wakes.recv_timeout(Duration::from_secs(20)).is_ok(),
                "woken for step {step}"
            );
        }
        drop(watcher);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_usual_folder_is_this_users_own() {
        let dir = LessonSync::default_dir();
        assert!(
            !dir.starts_with(std::env::temp_dir().join("serversocket-lessons")),
            "{}",
            dir.display()
        );
    }

    #[test]
    fn a_position_left_by_a_window_that_closed_is_not_joined() {
        let dir = std::env::temp_dir().join(format!("lesson-sync-gone-{}", std::process::id()));
        let sync = LessonSync::new(&dir);
        // A real process that has ended: its id names nothing running now.
        let mut ended = std::process::Command::new("true")
            .spawn()
            .expect("true runs");
        let gone = u64::from(ended.id());
        ended.wait().expect("true ends");
        let left = r#"{"lesson":"the-pool","step":2,"started":1,"writer":PID}"#;
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(
            dir.join("server.json"),
            left.replace("PID", &gone.to_string()),
        )
        .expect("write");
        if cfg!(target_os = "linux") {
            assert_eq!(sync.read(Side::Server), None, "its writer is gone");
        }
        let alive = left.replace("PID", &std::process::id().to_string());
        std::fs::write(dir.join("server.json"), alive).expect("write");
        assert_eq!(
            sync.read(Side::Server).map(|position| position.step),
            Some(2),
            "a running writer's position is read"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}

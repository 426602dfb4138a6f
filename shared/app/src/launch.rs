//! Starts the other program (the client from the server's window, or the server from the
//! client's) when it is not running: the one beside this executable first (an unpacked build,
//! `target/debug/`), else the one on `PATH` (the package's `/usr/bin`, `cargo install`'s
//! `~/.cargo/bin`).

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Why the other program could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// No executable of that name beside this one or on `PATH`.
    #[error("{program} is not installed: it is neither beside this program nor on PATH")]
    NotFound {
        /// The program looked for.
        program: String,
    },
    /// It was found but did not start (not executable after all, out of processes).
    #[error("{} did not start: {source}", path.display())]
    Spawn {
        /// The program that was run.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// Where `program` is: beside this executable, else on `PATH`.
///
/// # Errors
/// [`LaunchError::NotFound`] when it is in neither.
pub fn find(program: &str) -> Result<PathBuf, LaunchError> {
    let this = std::env::current_exe().ok();
    let beside = this.as_deref().and_then(Path::parent);
    find_in(program, beside, std::env::var_os("PATH").as_deref()).ok_or_else(|| {
        LaunchError::NotFound {
            program: program.to_owned(),
        }
    })
}

/// Where `program` is: in the folder `beside`, else in the first folder of `path` (a
/// `PATH`-style list) that holds an executable of that name.
#[must_use]
pub fn find_in(program: &str, beside: Option<&Path>, path: Option<&OsStr>) -> Option<PathBuf> {
    let on_path = path.into_iter().flat_map(std::env::split_paths);
    beside
        .map(Path::to_path_buf)
        .into_iter()
        .chain(on_path)
        .map(|folder| folder.join(program))
        .find(|candidate| is_executable(candidate))
}

/// Set (to `1`) in the environment of a program started by [`start`]: the user asked to see its
/// window, which then comes to the front as it opens. It opened behind the window whose button
/// started it, so the click seemed to do nothing.
pub const ASKED_TO_SHOW: &str = "SERVERSOCKET_ASKED_TO_SHOW";

/// Whether this program was started by the other one's window because the user asked to see
/// its window ([`ASKED_TO_SHOW`]).
#[must_use]
pub fn asked_to_show() -> bool {
    std::env::var_os(ASKED_TO_SHOW).is_some_and(|value| value == "1")
}

/// Starts `path` with no arguments, as a program of its own: its own process group, so a
/// Ctrl-C on this program's terminal does not end it too, and no standard input. Its window
/// comes to the front ([`ASKED_TO_SHOW`]).
///
/// # Errors
/// [`LaunchError::Spawn`] when the system refused to start it.
pub fn start(path: &Path) -> Result<Child, LaunchError> {
    let mut command = Command::new(path);
    command.stdin(Stdio::null()).env(ASKED_TO_SHOW, "1");
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn().map_err(|source| LaunchError::Spawn {
        path: path.to_owned(),
        source,
    })
}

/// Whether `candidate` is a file this user may run (on Unix, an execute bit; elsewhere, a file).
fn is_executable(candidate: &Path) -> bool {
    let Ok(metadata) = candidate.metadata() else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

#[cfg(all(test, unix))]
// The helpers below run only in tests, where a failed step should stop the test.
#[allow(clippy::expect_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// A fresh folder of this test's own under the temp folder.
    fn folder(name: &str) -> PathBuf {
        test_support::empty_folder(&format!("launch-{name}"))
    }

    /// A file named `name` in `dir` holding `text`, executable or not.
    fn file(dir: &Path, name: &str, text: &str, executable: bool) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("written");
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("mode");
        path
    }

    #[test]
    fn the_program_beside_this_one_comes_before_the_one_on_path() {
        let beside = folder("beside");
        let first = folder("path-first");
        let second = folder("path-second");
        let path = std::env::join_paths([&first, &second]).expect("a PATH");
        assert_eq!(find_in("client-app", Some(&beside), Some(&path)), None);

        let on_second = file(&second, "client-app", "", true);
        assert_eq!(
            find_in("client-app", Some(&beside), Some(&path)),
            Some(on_second)
        );
        // Not executable, or a folder: not a program.
        file(&first, "client-app", "", false);
        std::fs::create_dir_all(beside.join("client-app")).expect("a folder");
        assert_eq!(
            find_in("client-app", Some(&beside), Some(&path)),
            Some(second.join("client-app"))
        );
        std::fs::remove_dir_all(beside.join("client-app")).expect("removed");
        let next_to_us = file(&beside, "client-app", "", true);
        assert_eq!(
            find_in("client-app", Some(&beside), Some(&path)),
            Some(next_to_us)
        );
        assert_eq!(find_in("client-app", None, None), None);
        for dir in [beside, first, second] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn a_started_program_runs_and_a_missing_one_says_why() {
        let dir = folder("start");
        let marker = dir.join("started");
        let script = file(
            &dir,
            "other-app",
            &format!("#!/bin/sh\necho started > '{}'\n", marker.display()),
            true,
        );
        let mut child = start(&script).expect("started");
        let status = test_support::exited(&mut child, "the script never ended");
        assert!(status.success());
        assert_eq!(
            std::fs::read_to_string(&marker).expect("marker"),
            "started\n"
        );

        let missing = start(&dir.join("not-there")).expect_err("nothing to run");
        assert!(matches!(missing, LaunchError::Spawn { .. }), "{missing:?}");
        assert!(missing.to_string().contains("not-there did not start"));
        let not_found = LaunchError::NotFound {
            program: "client-app".to_owned(),
        };
        assert_eq!(
            not_found.to_string(),
            "client-app is not installed: it is neither beside this program nor on PATH"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

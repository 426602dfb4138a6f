//! A real second Unix user of the machine (`serversocket-other`, made with `useradd` when
//! missing), and programs run as that user through `setpriv`: for the tests of what another
//! user can do to us, and of what our programs say to a user without root's capabilities.
//!
//! Making a user needs root (CI runs as root); elsewhere, or without `useradd` and `setpriv`,
//! [`other_user`] says why on stderr and gives `None`.

use std::process::Command;

/// The second user's name: made once, kept (making it again would fail).
pub const OTHER_USER: &str = "serversocket-other";

/// The second user, made if missing: its uid and gid; `None` (said) where it cannot be made.
#[must_use]
pub fn other_user() -> Option<(u32, u32)> {
    let id = |flags: &[&str]| -> Option<u32> {
        let out = Command::new("id").args(flags).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    if id(&["-u"]) != Some(0) {
        eprintln!("skipped: only root can make a second user (CI runs as root)");
        return None;
    }
    if id(&["-u", OTHER_USER]).is_none() {
        let made = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/bin/false"])
            .arg(OTHER_USER)
            .status();
        // Two tests may race to make it: either made it, or it is there now.
        if !made.is_ok_and(|status| status.success()) && id(&["-u", OTHER_USER]).is_none() {
            eprintln!("skipped: useradd is missing or failed");
            return None;
        }
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: setpriv (util-linux) is missing");
        return None;
    }
    Some((id(&["-u", OTHER_USER])?, id(&["-g", OTHER_USER])?))
}

/// A command that runs `program` as `user` (uid, gid), with no supplementary groups and no
/// capabilities: add its arguments and run it.
#[must_use]
pub fn as_other_command(user: (u32, u32), program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new("setpriv");
    command
        .arg(format!("--reuid={}", user.0))
        .arg(format!("--regid={}", user.1))
        .arg("--clear-groups")
        .arg(program);
    command
}

/// Runs `script` with `sh` as `user`, and checks it did what it was asked.
///
/// # Panics
/// When `setpriv` cannot run or the script fails.
pub fn as_other(user: (u32, u32), script: &str) {
    let status = as_other_command(user, "sh")
        .args(["-c", script])
        .status()
        .expect("setpriv runs");
    assert!(status.success(), "the other user's script failed: {script}");
}

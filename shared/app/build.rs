//! Gives the programs' `--version` the commit they were built from: `git rev-parse --short HEAD`
//! when the sources are a git clone and git is installed, else "unknown" (a source archive, a
//! machine without git).

use std::path::Path;
use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SERVERSOCKET_COMMIT={commit}");
    // Built again when HEAD moves (a checkout, a commit), not on every build: HEAD names the
    // branch, the branch's ref file (or packed-refs) names the commit.
    for name in ["HEAD", "packed-refs"] {
        watch(git(&["rev-parse", "--git-path", name]));
    }
    if let Some(branch) = git(&["symbolic-ref", "--quiet", "HEAD"]) {
        watch(git(&["rev-parse", "--git-path", &branch]));
    }
    println!("cargo:rerun-if-env-changed=GIT_DIR");
}

/// What git answers, trimmed, if it ran and succeeded.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Builds again when `path` (relative to this crate, as git says it) changes, if it exists.
fn watch(path: Option<String>) {
    if let Some(path) = path
        && Path::new(&path).exists()
    {
        println!("cargo:rerun-if-changed={path}");
    }
}

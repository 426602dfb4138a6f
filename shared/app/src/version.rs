//! What `--version` says: the version and the commit the program was built from (`build.rs`
//! reads it from git, or says "unknown"), so a bug report names the exact build.

/// The programs' version and commit, e.g. `0.1.0 (commit 7a29a7d)`. Every crate of the
/// workspace takes its version from the workspace, so this crate's is the programs'.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SERVERSOCKET_COMMIT"),
    ")"
);

/// The commit alone: 7 or more hex digits, or "unknown".
pub const COMMIT: &str = env!("SERVERSOCKET_COMMIT");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_names_the_commit() {
        assert!(VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(VERSION.ends_with(&format!("(commit {COMMIT})")));
        assert!(
            COMMIT == "unknown"
                || (COMMIT.len() >= 7 && COMMIT.chars().all(|c| c.is_ascii_hexdigit())),
            "a short hash or unknown, not {COMMIT:?}"
        );
    }
}

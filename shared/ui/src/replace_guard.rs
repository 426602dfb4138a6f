//! Asks before an Export replaces a file the window did not write: the first click on a file
//! that exists says so, a second click on the same file replaces it. A file the window wrote
//! itself this session is replaced at once (exporting again is what the learner wants).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The files a window's Export wrote this session, and the one it asked about last.
#[derive(Debug, Clone, Default)]
pub struct ReplaceGuard {
    /// Written by this window since it opened: replacing them needs no second click.
    written: HashSet<PathBuf>,
    /// The existing file the last click asked about; a second click on it replaces it.
    asked: Option<PathBuf>,
}

impl ReplaceGuard {
    /// Whether `path` may be written now. A file that exists, that this window did not write
    /// and was not asked about by the last click, is refused with the words to show (naming
    /// `button`, the control to click again); the next click on it is let through.
    ///
    /// # Errors
    /// The words that say the file exists, when it is refused.
    pub fn allow(&mut self, path: &Path, button: &str) -> Result<(), String> {
        // A folder is never replaced: said at once, not offered and then failed.
        if path.is_dir() {
            self.asked = None;
            return Err(format!(
                "{} is a folder: name a file in it (e.g. {})",
                path.display(),
                path.join("log.ndjson").display()
            ));
        }
        let asked = self.asked.take();
        let fresh = !path.exists() || self.written.contains(path);
        if fresh || asked.as_deref() == Some(path) {
            self.written.insert(path.to_path_buf());
            return Ok(());
        }
        self.asked = Some(path.to_path_buf());
        Err(format!(
            "{} already exists: click {button} again to replace it",
            path.display()
        ))
    }

    /// `path` was chosen in the system's Save dialog, which asked about replacing it.
    pub fn chosen(&mut self, path: &Path) {
        self.asked = None;
        self.written.insert(path.to_path_buf());
    }
}

#[cfg(test)]
mod tests {
    use super::ReplaceGuard;

    #[test]
    fn an_existing_file_is_replaced_only_on_a_second_click_and_its_own_at_once() {
        let dir = test_support::empty_folder("replace-guard");
        let theirs = dir.join("notes.txt");
        std::fs::write(&theirs, "KEEP ME").expect("a file");
        let mut guard = ReplaceGuard::default();
        let said = guard.allow(&theirs, "Export").expect_err("asked first");
        assert!(
            said.contains("already exists: click Export again"),
            "{said}"
        );
        guard
            .allow(&theirs, "Export")
            .expect("the second click replaces it");
        // Written by this window now: exporting again needs no question.
        guard.allow(&theirs, "Export").expect("its own file");

        // A click elsewhere in between takes the question back.
        let other = dir.join("other.txt");
        std::fs::write(&other, "KEEP ME TOO").expect("a file");
        assert!(guard.allow(&other, "Export").is_err());
        guard
            .allow(&dir.join("new.txt"), "Export")
            .expect("a new file");
        assert!(guard.allow(&other, "Export").is_err(), "asked again");

        // A folder is said to be one, at every click: it was offered to be replaced, then
        // failed with "Is a directory".
        for _ in 0..2 {
            let said = guard.allow(&dir, "Export").expect_err("a folder");
            assert!(said.contains("is a folder: name a file in it"), "{said}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

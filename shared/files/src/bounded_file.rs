//! A file a person names (a file to send, a lesson, a certificate), read only if it is a
//! regular file and only up to a size: `/dev/zero`, a FIFO nobody writes to or a folder named
//! like a file is refused in words, never read until memory runs out or waited on for ever;
//! and what another user of the machine could have written in it is said
//! ([`others_can_change`]).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why a named file was not read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BoundedFileError {
    /// It cannot be opened or read.
    #[error("{}: {source}", path.display())]
    Unreadable {
        /// The file as given.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// It is not a regular file (a device such as /dev/zero, a FIFO, a folder): its size is
    /// not known, and reading it may never end or never start.
    #[error("{} is not a regular file ({kind}): give a file whose size is known", path.display())]
    NotAFile {
        /// The file as given.
        path: PathBuf,
        /// What it is instead, in a few words ("a FIFO").
        kind: &'static str,
    },
    /// It is larger than the bound.
    #[error("{} has {bytes} bytes: at most {} are read", path.display(), in_words(*limit))]
    TooLarge {
        /// The file as given.
        path: PathBuf,
        /// Its size (or, for a file that grew while it was read, more than the bound).
        bytes: u64,
        /// The bound.
        limit: u64,
    },
}

/// A bound as a person reads it: "256 MiB", "1 MiB", "9 bytes".
fn in_words(limit: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else {
        format!("{limit} bytes")
    }
}

impl BoundedFileError {
    /// The file the error is about.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Unreadable { path, .. }
            | Self::NotAFile { path, .. }
            | Self::TooLarge { path, .. } => path,
        }
    }
}

/// Reads the file at `path` (following links) whole, if it is a regular file of at most
/// `limit` bytes, and never more than `limit` bytes even if it grows while it is read.
///
/// It is opened without waiting (a FIFO that turns up at the name between a look and an open
/// would otherwise wait for a writer), then what was opened is looked at: never the name
/// again, which another process could have changed meanwhile.
///
/// # Errors
/// It is not a regular file, it is larger than `limit`, or it cannot be opened or read.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, BoundedFileError> {
    let unreadable = |source| BoundedFileError::Unreadable {
        path: path.to_owned(),
        source,
    };
    // A look at the name first: a folder cannot be opened for reading everywhere, and a
    // device is refused before it is even opened.
    let named = fs::metadata(path).map_err(unreadable)?;
    refuse_unless_regular(path, named.file_type())?;
    let file = open_without_waiting(path).map_err(unreadable)?;
    let opened = file.metadata().map_err(unreadable)?;
    refuse_unless_regular(path, opened.file_type())?;
    let too_large = |bytes| BoundedFileError::TooLarge {
        path: path.to_owned(),
        bytes,
        limit,
    };
    if opened.len() > limit {
        return Err(too_large(opened.len()));
    }
    let mut data = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(unreadable)?;
    let read = data.len() as u64;
    if read > limit {
        return Err(too_large(read));
    }
    Ok(data)
}

/// Refuses what is not a regular file, naming what it is.
fn refuse_unless_regular(path: &Path, kind: fs::FileType) -> Result<(), BoundedFileError> {
    if kind.is_file() {
        return Ok(());
    }
    Err(BoundedFileError::NotAFile {
        path: path.to_owned(),
        kind: kind_of(kind),
    })
}

/// Opens `path` to read; on Unix with `O_NONBLOCK`, which makes opening a FIFO return at once
/// instead of waiting for a writer (and changes nothing for a regular file).
fn open_without_waiting(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed());
    }
    options.open(path)
}

/// What a path that is not a regular file is, in a few words (also for the private files).
#[must_use]
pub fn kind_of(kind: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

/// Why another user of this machine could change what `path` holds (a lessons folder or a
/// lesson a person names): it belongs to another user, or its group or everyone may write it
/// (a folder: add, replace or remove what is in it), with how to fix it; `None` when only its
/// owner, this user, can. Root's own are the system's, as for a key (`--key`): only their mode
/// is said. A person chose the path, so this is a warning to show, not a refusal; a path
/// that cannot be read says nothing here (reading it says why).
#[must_use]
pub fn others_can_change(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use crate::private_files::{Exposure, exposure};
        let metadata = fs::metadata(path).ok()?;
        // A device or a FIFO is refused when read (`/dev/zero`'s mode 666 is no lesson's to
        // fix): `chmod` on it, run by root, would change it for the whole system.
        if !metadata.is_file() && !metadata.is_dir() {
            return None;
        }
        // `chmod` follows a link and changes what it leads to: the advice names that, and
        // says that it is that file's mode.
        let target = fs::symlink_metadata(path)
            .is_ok_and(|link| link.file_type().is_symlink())
            .then(|| fs::canonicalize(path).ok())
            .flatten();
        let shown = match &target {
            Some(target) => format!("{} (a link to {})", path.display(), target.display()),
            None => path.display().to_string(),
        };
        let fixed = crate::shell_word::shell_word(target.as_deref().unwrap_or(path));
        let Some(exposed) = exposure(&metadata, false) else {
            // A folder closed to others itself, but held by one that is not: whoever can
            // write there can put another folder in its place. (What a folder holds is as
            // safe as the folder, which is said once, not for each of its files.)
            if !metadata.is_dir() {
                return None;
            }
            let why = crate::private_files::holder_others_can_change(path)?;
            return Some(format!("{shown} can be replaced by another user: {why}"));
        };
        match exposed {
            Exposure::OtherUsers { owner, mode } => Some(format!(
                "{shown} belongs to another user (uid {owner}), who can change it (mode {mode:o}): \
                 use a copy of your own, `{copy} {fixed} MY-COPY`",
                // A folder is copied with what it holds; `cp -r` of a lone file reads oddly.
                copy = if metadata.is_dir() { "cp -r" } else { "cp" }
            )),
            Exposure::Mode {
                mode, write, mine, ..
            } => {
                let who = if write? {
                    "every user of this machine"
                } else {
                    "its group"
                };
                let fix = if mine {
                    format!("run `chmod go-w {fixed}`")
                } else {
                    format!("it is root's, so ask root to run `chmod go-w {fixed}`")
                };
                Some(format!(
                    "{shown} can be changed by {who} (mode {mode:o}): {fix}"
                ))
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("bounded-{name}-{}", std::process::id()))
    }

    #[cfg(unix)]
    #[test]
    fn devices_fifos_folders_and_links_to_them_are_refused_without_reading() {
        let refused = read_bounded(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(refused.to_string().contains("a device"), "{refused}");
        let link = scratch("link-to-zero");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let refused = read_bounded(&link, 10).unwrap_err();
        assert!(refused.to_string().contains("a device"), "{refused}");
        fs::remove_file(&link).unwrap();
        let folder = scratch("folder.toml");
        fs::create_dir_all(&folder).unwrap();
        let refused = read_bounded(&folder, 10).unwrap_err();
        assert!(refused.to_string().contains("a folder"), "{refused}");
        fs::remove_dir(&folder).unwrap();
        let fifo = scratch("fifo");
        let _ = fs::remove_file(&fifo);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // Nobody writes to it: opening it to read would wait for ever.
        let refused = read_bounded(&fifo, 10).unwrap_err();
        assert!(refused.to_string().contains("a FIFO"), "{refused}");
        // Even opened, it does not wait: what was opened is refused as well.
        let opened = open_without_waiting(&fifo).unwrap();
        assert!(!opened.metadata().unwrap().is_file());
        fs::remove_file(&fifo).unwrap();
    }

    /// `/dev/zero` is mode 666, and `chmod go-w` on a link to it, run by root, changes the
    /// device for everyone: a device says nothing here (reading it refuses it). A link to a
    /// file others can change names the file `chmod` would change.
    #[cfg(unix)]
    #[test]
    fn advice_never_names_a_device_and_names_what_a_link_leads_to() {
        use std::os::unix::fs::PermissionsExt;
        let link = scratch("warned-link-to-zero.toml");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert_eq!(others_can_change(&link), None);
        fs::remove_file(&link).unwrap();
        assert_eq!(others_can_change(Path::new("/dev/zero")), None);

        let file = scratch("warned-file.toml");
        fs::write(&file, b"title = \"x\"").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let words = others_can_change(&link).unwrap();
        let target = fs::canonicalize(&file).unwrap();
        assert!(
            words.contains(&format!("(a link to {})", target.display()))
                && words.ends_with(&format!("chmod go-w {}`", target.display())),
            "{words}"
        );
        fs::remove_file(&link).unwrap();
        fs::remove_file(&file).unwrap();
    }

    #[test]
    fn a_file_is_read_up_to_its_bound_and_a_larger_one_refused_with_its_size() {
        let path = scratch("file");
        fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_bounded(&path, 10).unwrap(), b"0123456789");
        let refused = read_bounded(&path, 9).unwrap_err();
        assert!(
            matches!(
                refused,
                BoundedFileError::TooLarge {
                    bytes: 10,
                    limit: 9,
                    ..
                }
            ),
            "{refused}"
        );
        fs::remove_file(&path).unwrap();
        let missing = read_bounded(&path, 10).unwrap_err();
        assert_eq!(missing.path(), path);
        assert!(matches!(missing, BoundedFileError::Unreadable { .. }));
    }
}

//! A file to send, as a person names it (`--send-file`, the window's Send file): checked for
//! what it is before a byte is read, and bounded, so `/dev/zero`, a FIFO nobody writes to or a
//! folder is refused in words instead of growing without end or hanging.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serversocket::bounded_file::{BoundedFileError, read_bounded};
use thiserror::Error;

/// The largest file sent: it is read whole into memory before it goes out.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file cannot be sent.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FileToSendError {
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
        /// What it is instead.
        kind: &'static str,
    },
    /// It is larger than [`MAX_FILE_BYTES`].
    #[error(
        "{} has {bytes} bytes: at most {} MiB are sent (the file is read into memory first)",
        path.display(),
        MAX_FILE_BYTES / (1024 * 1024)
    )]
    TooLarge {
        /// The file as given.
        path: PathBuf,
        /// Its size.
        bytes: u64,
    },
}

/// Reads the file at `path` to send it: only a regular file (after following links), of at
/// most [`MAX_FILE_BYTES`], and never more than that even if it grows while it is read; a FIFO
/// is refused without waiting for a writer (`serversocket::bounded_file`, which lessons and
/// certificates are read with too).
///
/// # Errors
/// It is not a regular file, too large, or unreadable.
pub fn read_file_to_send(path: &Path) -> Result<Bytes, FileToSendError> {
    read_bounded(path, MAX_FILE_BYTES)
        .map(Bytes::from)
        .map_err(FileToSendError::from)
}

/// Looks at the file at `path` without opening it (so a FIFO cannot make the caller wait), and
/// says its size if it could be sent: what a window checks on its own thread before it shows a
/// progress bar and reads the file on another. The read itself checks again.
///
/// # Errors
/// It is not a regular file, too large, or cannot be looked at.
pub fn size_to_send(path: &Path) -> Result<u64, FileToSendError> {
    let metadata = std::fs::metadata(path).map_err(|source| FileToSendError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    if !metadata.is_file() {
        // The one reader names what it is, without opening it.
        return read_file_to_send(path).map(|bytes| bytes.len() as u64);
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(FileToSendError::TooLarge {
            path: path.to_owned(),
            bytes: metadata.len(),
        });
    }
    Ok(metadata.len())
}

impl From<BoundedFileError> for FileToSendError {
    fn from(error: BoundedFileError) -> Self {
        match error {
            BoundedFileError::NotAFile { path, kind } => Self::NotAFile { path, kind },
            BoundedFileError::TooLarge { path, bytes, .. } => Self::TooLarge { path, bytes },
            BoundedFileError::Unreadable { path, source } => Self::Unreadable { path, source },
            // A kind the reader may add later: said in its own words.
            other => Self::Unreadable {
                path: other.path().to_owned(),
                source: std::io::Error::other(other.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn devices_fifos_and_folders_are_refused_without_reading() {
        let refused = read_file_to_send(Path::new("/dev/zero")).unwrap_err();
        assert!(refused.to_string().contains("a device"), "{refused}");
        let folder = std::env::temp_dir();
        let refused = read_file_to_send(&folder).unwrap_err();
        assert!(refused.to_string().contains("a folder"), "{refused}");
        let fifo = folder.join(format!("send-fifo-{}", std::process::id()));
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            // Nobody writes to it: opening it would wait for ever; it is refused first.
            let refused = read_file_to_send(&fifo).unwrap_err();
            assert!(refused.to_string().contains("a FIFO"), "{refused}");
            std::fs::remove_file(&fifo).unwrap();
        }
    }

    #[test]
    fn a_file_is_read_and_a_missing_one_named() {
        let path = std::env::temp_dir().join(format!("send-file-{}", std::process::id()));
        std::fs::write(&path, b"contents").unwrap();
        assert_eq!(&read_file_to_send(&path).unwrap()[..], b"contents");
        std::fs::remove_file(&path).unwrap();
        let missing = read_file_to_send(&path).unwrap_err().to_string();
        assert!(missing.contains(&path.display().to_string()), "{missing}");
    }
}

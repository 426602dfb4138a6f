//! A file to send, as a person names it (`--send-file`, the window's Send file): checked for
//! what it is before a byte is read, and bounded, so `/dev/zero`, a FIFO nobody writes to or a
//! folder is refused in words instead of growing without end or hanging.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;
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
/// most [`MAX_FILE_BYTES`], and never more than that even if it grows while it is read.
///
/// # Errors
/// It is not a regular file, too large, or unreadable.
pub fn read_file_to_send(path: &Path) -> Result<Bytes, FileToSendError> {
    let unreadable = |source| FileToSendError::Unreadable {
        path: path.to_owned(),
        source,
    };
    // Looked at before it is opened: opening a FIFO waits for a writer.
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(FileToSendError::NotAFile {
            path: path.to_owned(),
            kind: kind_of(metadata.file_type()),
        });
    }
    let too_large = |bytes| FileToSendError::TooLarge {
        path: path.to_owned(),
        bytes,
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(metadata.len()));
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut data = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(unreadable)?;
    if data.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(data.len() as u64));
    }
    Ok(Bytes::from(data))
}

/// What a path that is not a regular file is, in a word.
fn kind_of(kind: std::fs::FileType) -> &'static str {
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

//! A file to send, as a person names it (`--send-file`, the window's Send file): checked for
//! what it is before a byte is read, and bounded, so `/dev/zero`, a FIFO nobody writes to or a
//! folder is refused in words instead of growing without end or hanging.

use std::path::Path;

use bytes::Bytes;
use serversocket_files::bounded_file::{BoundedFileError, read_bounded};

/// The largest file sent: it is read whole into memory before it goes out.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file cannot be sent: the bounded reader's error (not a regular file, too large, or
/// unreadable).
pub type FileToSendError = BoundedFileError;

/// Reads the file at `path` to send it: only a regular file (after following links), of at
/// most [`MAX_FILE_BYTES`], and never more than that even if it grows while it is read; a FIFO
/// is refused without waiting for a writer (`serversocket_files::bounded_file`, which lessons and
/// certificates are read with too).
///
/// # Errors
/// It is not a regular file, too large, or unreadable.
pub fn read_file_to_send(path: &Path) -> Result<Bytes, FileToSendError> {
    read_bounded(path, MAX_FILE_BYTES).map(Bytes::from)
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
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(metadata.len())
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

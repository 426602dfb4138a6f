//! A pcapng file a person named (`--capture-file FILE`), written with the segments of this
//! program's connections as the program takes them (not as the kernel hands them over: a
//! client's capture knows which connections are its own only from its sockets' events), made
//! private and never through a link another user planted at the name, and whose first
//! failure is kept in words for whoever tells the user.

use std::io::BufWriter;
use std::path::Path;

use crate::error::CaptureError;
use crate::pcapng::PcapngWriter;
use crate::segment::Segment;

/// A capture file being written.
#[derive(Debug)]
pub struct CaptureFile {
    /// The file, as named.
    path: String,
    /// The file's writer.
    writer: PcapngWriter<BufWriter<std::fs::File>>,
    /// The first failure to write: the file is not whole from then on.
    failed: Option<std::io::Error>,
}

impl CaptureFile {
    /// Creates (or empties) the file at `path`, readable by its owner only, since it holds
    /// the first bytes of what was sent.
    ///
    /// # Errors
    /// [`CaptureError::File`] when it cannot be made: a folder, a FIFO, a link, another
    /// user's file, no room.
    pub fn create(path: &Path) -> Result<Self, CaptureError> {
        let named = path.display().to_string();
        let failed = |source| CaptureError::File {
            path: named.clone(),
            source,
        };
        let file =
            serversocket_files::private_files::open_private_from_start(path).map_err(failed)?;
        let writer = PcapngWriter::new(BufWriter::new(file)).map_err(failed)?;
        Ok(Self {
            path: named,
            writer,
            failed: None,
        })
    }

    /// Writes one segment (nothing more once a write failed).
    pub fn write(&mut self, segment: &Segment) {
        if self.failed.is_none()
            && let Err(error) = self.writer.write_segment(segment)
        {
            self.failed = Some(error);
        }
    }

    /// Puts what was written on the disk (the program is idle: a reader sees it all).
    pub fn flush(&mut self) {
        if self.failed.is_none()
            && let Err(error) = self.writer.flush()
        {
            self.failed = Some(error);
        }
    }

    /// Why the file stopped being written, in words, once it did.
    #[must_use]
    pub fn error(&self) -> Option<String> {
        self.failed.as_ref().map(ToString::to_string)
    }

    /// Flushes the file and says whether it is whole.
    ///
    /// # Errors
    /// [`CaptureError::File`] with the first failure.
    pub fn finish(mut self) -> Result<(), CaptureError> {
        self.flush();
        match self.failed {
            Some(source) => Err(CaptureError::File {
                path: self.path,
                source,
            }),
            None => Ok(()),
        }
    }
}

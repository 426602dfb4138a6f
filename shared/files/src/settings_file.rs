//! A window's settings file (`app.ron`: what it remembers between runs, the send box's history
//! and a lesson's answers among it), kept as the project's other private files are: only in a
//! folder of this user's that nobody else may write into (and closed to others' reads), read
//! only if it is a regular file of ours of a sane size, never through a symlink, and written
//! new (0600) and renamed into place. What another user planted is neither trusted nor written
//! through, and a FIFO at its name cannot hold the window before it opens.

use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::private_files::{ensure_closed_private_folder, write_private_file};

/// The file's name in its folder: eframe's, so that what earlier versions saved is kept.
pub const FILE_NAME: &str = "app.ron";

/// More than a window's settings ever take (a few KiB: the send history and a lesson's notes
/// are bounded); a larger file is not a settings file of ours, and is not read whole.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Why the settings were not read, and are not saved this run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SettingsFileError {
    /// The folder is another user's, others may write into it or into a folder that holds it,
    /// or it cannot be made. The OS's or the check's words name the folder and the fix.
    #[error("{}", folder_words(folder, source))]
    Folder {
        /// The settings folder.
        folder: PathBuf,
        /// Why it is not used.
        source: io::Error,
    },
    /// A symlink at the file's name: it could point anywhere, a file of someone else's
    /// included.
    #[error(
        "{} is a symlink, which could point anywhere: settings are not read or written through \
         one; remove it",
        path.display()
    )]
    Symlink {
        /// The settings file.
        path: PathBuf,
    },
    /// Not a regular file: a FIFO (which would hold the window until someone writes to it), a
    /// device, a folder.
    #[error("{} is {kind}, not a regular file; remove it", path.display())]
    NotAFile {
        /// The settings file.
        path: PathBuf,
        /// What it is instead, in a few words ("a FIFO").
        kind: &'static str,
    },
    /// A file of another user's (only root could have put it in a folder of ours).
    #[error("{} belongs to another user (uid {uid}); remove it", path.display())]
    NotMine {
        /// The settings file.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// Larger than settings ever are.
    #[error(
        "{} has {bytes} bytes, more than settings ever take (at most {} MiB are read); move it \
         away",
        path.display(),
        MAX_BYTES / (1024 * 1024)
    )]
    TooLarge {
        /// The settings file.
        path: PathBuf,
        /// Its size, or more than [`MAX_BYTES`] for a file that grew while it was read.
        bytes: u64,
    },
    /// It cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The settings file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

/// The folder check's words, which name the folder already; an error from the OS (making it)
/// gets the folder's name in front.
fn folder_words(folder: &Path, source: &io::Error) -> String {
    let said = source.to_string();
    if said.contains(&*folder.to_string_lossy()) {
        said
    } else {
        format!("{}: {said}", folder.display())
    }
}

/// Where a window's settings are saved: a file in a folder that was checked to be this user's
/// and private when it was opened, and is checked again before each save.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    /// The folder, checked again before a save: it may have been removed, or opened, meanwhile.
    folder: PathBuf,
    /// `folder`/[`FILE_NAME`].
    path: PathBuf,
}

impl SettingsFile {
    /// The settings kept in `folder` (made 0700 if missing, closed to others if they may read
    /// it) and what the last run saved there (`None`: nothing yet).
    ///
    /// # Errors
    /// The folder or the file may not be used (see [`SettingsFileError`]): then nothing is
    /// read, and there is nowhere to save this run.
    pub fn open(folder: &Path) -> Result<(Self, Option<Vec<u8>>), SettingsFileError> {
        let file = Self {
            folder: folder.to_owned(),
            path: folder.join(FILE_NAME),
        };
        file.check_folder()?;
        let contents = read(&file.path)?;
        Ok((file, contents))
    }

    /// The settings file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves `contents` as the settings: into a new file (0600) renamed over the old one, so
    /// that a reader never sees half of it and whatever is at the name (a link made since) is
    /// replaced, never written through.
    ///
    /// # Errors
    /// The folder is no longer private, or the file cannot be written.
    pub fn save(&self, contents: &[u8]) -> Result<(), SettingsFileError> {
        self.check_folder()?;
        write_private_file(&self.path, contents).map_err(|source| SettingsFileError::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn check_folder(&self) -> Result<(), SettingsFileError> {
        ensure_closed_private_folder(&self.folder).map_err(|source| SettingsFileError::Folder {
            folder: self.folder.clone(),
            source,
        })
    }
}

/// Reads the settings file at `path` in a checked folder: `None` if there is none.
fn read(path: &Path) -> Result<Option<Vec<u8>>, SettingsFileError> {
    let io_error = |source| SettingsFileError::Io {
        path: path.to_owned(),
        source,
    };
    // A look at the name first, which does not follow a link: a device is refused before it
    // is even opened (opening one can do something).
    let named = match fs::symlink_metadata(path) {
        Ok(named) => named,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(error)),
    };
    if named.is_symlink() {
        return Err(SettingsFileError::Symlink {
            path: path.to_owned(),
        });
    }
    not_a_file(path, &named)?;
    // Opened without following a link and without waiting for a FIFO's writer, then what was
    // opened is looked at, never the name again, which may have changed meanwhile.
    let mut options = crate::private_files::private_options();
    options.read(true);
    let file = options.open(path).map_err(|error| {
        if fs::symlink_metadata(path).is_ok_and(|now| now.is_symlink()) {
            SettingsFileError::Symlink {
                path: path.to_owned(),
            }
        } else {
            io_error(error)
        }
    })?;
    let opened = file.metadata().map_err(io_error)?;
    not_a_file(path, &opened)?;
    #[cfg(unix)]
    if !crate::private_files::owned_by_me(&opened) {
        use std::os::unix::fs::MetadataExt as _;
        return Err(SettingsFileError::NotMine {
            path: path.to_owned(),
            uid: opened.uid(),
        });
    }
    // Earlier versions left it 0644: it is ours, so it is made 0600 before anything more.
    crate::private_files::keep_private(&file).map_err(io_error)?;
    let too_large = |bytes| SettingsFileError::TooLarge {
        path: path.to_owned(),
        bytes,
    };
    if opened.len() > MAX_BYTES {
        return Err(too_large(opened.len()));
    }
    let mut contents = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut contents)
        .map_err(io_error)?;
    if contents.len() as u64 > MAX_BYTES {
        return Err(too_large(contents.len() as u64));
    }
    Ok(Some(contents))
}

/// Refuses what is not a regular file, naming what it is.
fn not_a_file(path: &Path, metadata: &fs::Metadata) -> Result<(), SettingsFileError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(SettingsFileError::NotAFile {
        path: path.to_owned(),
        kind: crate::bounded_file::kind_of(metadata.file_type()),
    })
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// A folder of the test's own in the temp folder, empty.
    fn scratch(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!(
            "serversocket-settings-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&folder);
        fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// What earlier versions left (a 0755 folder, a 0644 file) is read and made private; a
    /// save is 0600 and read back by the next run.
    #[test]
    fn an_earlier_install_is_read_and_closed_to_others_and_a_save_is_private() {
        let root = scratch("earlier");
        let folder = root.join("serversocketclient");
        fs::create_dir(&folder).unwrap();
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
        let path = folder.join(FILE_NAME);
        fs::write(&path, b"{\"app\": \"()\"}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let (file, contents) = SettingsFile::open(&folder).expect("ours");
        assert_eq!(contents.as_deref(), Some(&b"{\"app\": \"()\"}"[..]));
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&path), 0o600);
        file.save(b"saved").unwrap();
        assert_eq!(mode(&path), 0o600);
        let (_, again) = SettingsFile::open(&folder).unwrap();
        assert_eq!(again.as_deref(), Some(&b"saved"[..]));
        fs::remove_dir_all(&root).unwrap();
    }

    /// A folder that does not exist yet is made 0700, and there is nothing to read.
    #[test]
    fn a_first_run_makes_a_private_folder() {
        let root = scratch("first");
        let folder = root.join("data").join("serversocketserver");
        let (file, contents) = SettingsFile::open(&folder).expect("made");
        assert!(contents.is_none());
        assert_eq!(mode(&folder), 0o700);
        file.save(b"x").unwrap();
        assert_eq!(mode(&file.path), 0o600);
        fs::remove_dir_all(&root).unwrap();
    }

    /// A folder others may write into (as `mkdir -m777` makes one): nothing in it is read, and
    /// the folder is left as it is.
    #[test]
    fn a_folder_others_may_write_into_is_not_used() {
        let root = scratch("open");
        let folder = root.join("serversocketclient");
        fs::create_dir(&folder).unwrap();
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o777)).unwrap();
        fs::write(folder.join(FILE_NAME), b"planted").unwrap();
        let refused = SettingsFile::open(&folder).unwrap_err();
        assert!(
            matches!(refused, SettingsFileError::Folder { .. }),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("chmod 700"), "{refused}");
        assert_eq!(mode(&folder), 0o777);
        fs::remove_dir_all(&root).unwrap();
    }

    /// A symlink at the settings' name is neither followed to read nor written through: what
    /// it points at is untouched.
    #[test]
    fn a_symlink_is_not_read() {
        let root = scratch("link");
        let folder = root.join("serversocketserver");
        fs::create_dir(&folder).unwrap();
        let canary = root.join("canary");
        fs::write(&canary, b"{\"app\": \"planted\"}").unwrap();
        std::os::unix::fs::symlink(&canary, folder.join(FILE_NAME)).unwrap();
        let refused = SettingsFile::open(&folder).unwrap_err();
        assert!(
            matches!(refused, SettingsFileError::Symlink { .. }),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("symlink"), "{refused}");
        assert_eq!(fs::read(&canary).unwrap(), b"{\"app\": \"planted\"}");
        fs::remove_dir_all(&root).unwrap();
    }

    /// A FIFO at the settings' name is refused at once, though nobody writes to it (opening it
    /// to read used to wait for ever, before the window showed); a folder is refused too.
    #[test]
    fn a_fifo_or_a_folder_is_refused_at_once() {
        let root = scratch("fifo");
        let folder = root.join("serversocketclient");
        fs::create_dir(&folder).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            folder.join(FILE_NAME),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // Bounded: without the check the open never returns, and the test fails here.
        let opened = {
            let folder = folder.clone();
            let (done, outcome) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = done.send(SettingsFile::open(&folder).map(|(_, contents)| contents));
            });
            outcome
                .recv_timeout(std::time::Duration::from_secs(60))
                .expect("the open returned")
        };
        let refused = opened.unwrap_err();
        assert!(refused.to_string().contains("a FIFO"), "{refused}");
        fs::remove_file(folder.join(FILE_NAME)).unwrap();
        fs::create_dir(folder.join(FILE_NAME)).unwrap();
        let refused = SettingsFile::open(&folder).unwrap_err();
        assert!(refused.to_string().contains("a folder"), "{refused}");
        fs::remove_dir_all(&root).unwrap();
    }

    /// A file larger than settings ever are is not read; one at the bound is.
    #[test]
    fn a_file_over_the_bound_is_not_read() {
        let root = scratch("large");
        let folder = root.join("serversocketclient");
        fs::create_dir(&folder).unwrap();
        let path = folder.join(FILE_NAME);
        let file = fs::File::create(&path).unwrap();
        file.set_len(MAX_BYTES + 1).unwrap();
        let refused = SettingsFile::open(&folder).unwrap_err();
        assert!(
            matches!(refused, SettingsFileError::TooLarge { bytes, .. } if bytes == MAX_BYTES + 1),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("4 MiB"), "{refused}");
        file.set_len(MAX_BYTES).unwrap();
        let (_, contents) = SettingsFile::open(&folder).expect("at the bound");
        assert_eq!(
            contents.map(|contents| contents.len() as u64),
            Some(MAX_BYTES)
        );
        fs::remove_dir_all(&root).unwrap();
    }

    /// A save replaces a symlink made at the name since the file was opened, and writes
    /// nothing through it.
    #[test]
    fn a_save_never_writes_through_a_link() {
        let root = scratch("save-link");
        let folder = root.join("serversocketserver");
        let (file, _) = SettingsFile::open(&folder).unwrap();
        let canary = root.join("canary");
        fs::write(&canary, b"keep me").unwrap();
        std::os::unix::fs::symlink(&canary, file.path()).unwrap();
        file.save(b"settings").unwrap();
        assert_eq!(fs::read(&canary).unwrap(), b"keep me");
        assert!(!fs::symlink_metadata(file.path()).unwrap().is_symlink());
        assert_eq!(fs::read(file.path()).unwrap(), b"settings");
        fs::remove_dir_all(&root).unwrap();
    }
}

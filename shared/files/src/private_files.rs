//! Folders and files only this user can touch: where a private key, a log or a lesson's shared
//! state is kept on a machine other people use too (a school lab, a terminal server).
//!
//! A file at a fixed name in the shared temporary folder belongs to whoever made it first: a
//! second user can make the folder first, plant files in it, or put a symlink where we are about
//! to write. So a folder is used only if it is ours and nobody else may write into it
//! ([`ensure_private_folder`]), files are made new and never through a symlink
//! ([`write_private_file`]), and what we find there is read only if it is ours and private.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// This user's own folder for what they save (an export, a log file, a lesson's report):
/// `$HOME` (`%USERPROFILE%` on Windows), else [`own_temp_folder`]. Never the shared temp
/// folder, where a name can be taken, or linked elsewhere, by another user first.
#[must_use]
pub fn user_folder() -> PathBuf {
    home_folder()
        .or_else(|| folder_from_env("USERPROFILE"))
        .unwrap_or_else(own_temp_folder)
}

/// The folder the environment variable `name` gives, if it is set, not empty, and absolute:
/// a relative one would be taken from wherever the program was started (the XDG base
/// directory rules say to ignore it).
#[must_use]
pub fn folder_from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|folder| folder.is_absolute())
}

/// This user's home (`$HOME`), if it names a folder that exists: a service account's home is
/// often `/nonexistent`, which is not to be made.
#[must_use]
pub fn home_folder() -> Option<PathBuf> {
    folder_from_env("HOME").filter(|home| home.is_dir())
}

/// The folder for this user's files that live only while they are logged in (the two windows'
/// shared lesson state): `$XDG_RUNTIME_DIR` (made per user, 0700, by the login manager), else
/// `serversocket-UID` in the temp folder. Check it with [`ensure_private_folder`] before use.
#[must_use]
pub fn runtime_folder() -> PathBuf {
    folder_from_env("XDG_RUNTIME_DIR").unwrap_or_else(own_temp_folder)
}

/// This user's runtime folder, checked and ready ([`ensure_private_folder`]), and when it is
/// not [`runtime_folder`], why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeFolder {
    /// The folder to use.
    pub path: PathBuf,
    /// Why the usual folder was not used (it was taken by another user), said in the window
    /// and on stderr; `None` when it was.
    pub fell_back: Option<String>,
}

/// [`runtime_folder`] when it is ours and private (made if missing); else, when another user
/// took `serversocket-UID` in the temp folder first (possible only without
/// `XDG_RUNTIME_DIR`), `serversocket-run` in the user's cache folder (`$XDG_CACHE_HOME`, else
/// `~/.cache`), which both apps of the user find the same way and nobody else can take.
///
/// # Errors
/// Neither folder can be used: the error says why for both.
pub fn private_runtime_folder() -> io::Result<RuntimeFolder> {
    let usual = runtime_folder();
    let refused = match ensure_private_folder(&usual) {
        Ok(()) => {
            return Ok(RuntimeFolder {
                path: usual,
                fell_back: None,
            });
        }
        Err(refused) => refused,
    };
    let cache =
        folder_from_env("XDG_CACHE_HOME").or_else(|| home_folder().map(|home| home.join(".cache")));
    let Some(cache) = cache else {
        return Err(io::Error::new(
            refused.kind(),
            format!(
                "{refused}; and with neither XDG_CACHE_HOME nor HOME there is no other place \
                 (set XDG_RUNTIME_DIR to a folder of your own)"
            ),
        ));
    };
    let fallback = cache.join("serversocket-run");
    ensure_private_folder(&fallback).map_err(|also| {
        io::Error::new(
            refused.kind(),
            format!(
                "{refused}; and {}: {also} (set XDG_RUNTIME_DIR to a folder of your own)",
                fallback.display()
            ),
        )
    })?;
    Ok(RuntimeFolder {
        fell_back: Some(format!(
            "{refused}. Using {} instead: the other window finds it there too",
            fallback.display()
        )),
        path: fallback,
    })
}

/// `serversocket-UID` in the temp folder: a name no other user can take first for us, since it
/// carries our user id (and [`ensure_private_folder`] refuses it if someone made it anyway).
#[must_use]
pub fn own_temp_folder() -> PathBuf {
    #[cfg(unix)]
    let name = format!("serversocket-{}", rustix::process::geteuid().as_raw());
    #[cfg(not(unix))]
    let name = "serversocket".to_owned();
    // A relative TMPDIR names a folder under wherever the program was started: not a temp
    // folder at all.
    let temp = Some(std::env::temp_dir())
        .filter(|temp| temp.is_absolute())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    temp.join(name)
}

/// Makes `folder` (and its parents) if missing, owner-only (0700), and checks that it is a real
/// folder (not a symlink), owned by this user, that nobody else may write into, in folders
/// nobody else could move it out of: each folder that holds it must be this user's or root's,
/// and not writable by every user unless sticky (as the temp folder is).
///
/// # Errors
/// The folder cannot be made, or it is not private: the error says why and how to fix it.
pub fn ensure_private_folder(folder: &Path) -> io::Result<()> {
    // The folders that hold it first, as far as they exist: nothing is made inside one that
    // is not safe to use. Then again if missing ones were made, through their real path.
    check_ancestors(folder)?;
    if let Some(parent) = folder.parent()
        && !parent.exists()
    {
        fs::create_dir_all(parent)?;
        check_ancestors(folder)?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(folder) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(error),
    }
    check_private(folder, Kind::Folder)
}

/// [`ensure_private_folder`], and then a folder of ours that others may still read or enter
/// (0755, as `mkdir` makes one and eframe made the windows' settings folders) closed to them
/// (0700): for a folder whose files are private for what they hold (a window's settings keep
/// what was typed into it), not only for their own mode.
///
/// # Errors
/// As [`ensure_private_folder`], or the folder's mode cannot be changed.
pub fn ensure_closed_private_folder(folder: &Path) -> io::Result<()> {
    ensure_private_folder(folder)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Checked above to be a folder of ours, not a symlink.
        if fs::symlink_metadata(folder)?.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(folder, fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Checks the folders that hold `folder`, as written and as they really are (symlinks
/// resolved), up to the user's home folder or else the root: each must be this user's or the
/// system's (root's), none may let every user replace what is in it (writable by all without
/// the sticky bit, which the shared temp folder has), and one the group may write into must be
/// this user's (many systems give each user a group of their own and a home made with
/// `umask 002`). Whoever may rename an entry of a folder can move our private folder away and
/// put one of theirs in its place: the temp folder's `serversocket-UID`, made first by another
/// user, is refused here, not only when it is the folder itself. Above the home folder the
/// walk stops, as OpenSSH's does: a lab's `/home/students`, owned by an administrator's
/// account, is the system's choice, and refusing it would leave nothing to use. Folders not
/// made yet are skipped (they will be ours).
#[cfg(unix)]
fn check_ancestors(folder: &Path) -> io::Result<()> {
    check_ancestors_saying(folder, NOT_USED)
}

/// What a refusal of a folder another user owns says to do.
const NOT_USED: &str = "it is not used; use a folder of your own";

/// Why another user of this machine could replace `path` (a file a person named: a key, a
/// certificate, a lesson) through a folder that holds it: the folder is theirs, or others may
/// write into it (without the sticky bit `/tmp` has). `None` when no folder up to the home
/// folder lets them. A warning, as for the file itself ([`exposure`]): the person chose it.
#[must_use]
pub fn holder_others_can_change(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        let refused = check_ancestors_saying(path, "use a copy in a folder of your own").err()?;
        // Only the words made here: a folder that cannot be looked at says nothing (reading
        // the file says why).
        refused.get_ref().map(ToString::to_string)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// [`check_ancestors`], saying `advice` of a folder another user owns.
#[cfg(unix)]
fn check_ancestors_saying(folder: &Path, advice: &str) -> io::Result<()> {
    let absolute = std::path::absolute(folder)?;
    let home = home_folder().and_then(|home| fs::canonicalize(home).ok());
    check_holders(
        folder,
        absolute.ancestors().skip(1),
        home.as_deref(),
        advice,
    )?;
    // Through its real path too: a symlink on the way can lead through a folder anyone may
    // write into, and `..` names a folder that does not hold it.
    let Some(parent) = absolute.parent() else {
        return Ok(());
    };
    match fs::canonicalize(parent) {
        Ok(real) => check_holders(folder, real.ancestors(), home.as_deref(), advice),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// [`check_ancestors`] over `holders`, nearest first, stopping at `home`.
#[cfg(unix)]
fn check_holders<'a>(
    folder: &Path,
    holders: impl Iterator<Item = &'a Path>,
    home: Option<&Path>,
    advice: &str,
) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;

    let shown = folder.display();
    let refuse = |why: String| Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
    for holder in holders {
        let metadata = match fs::symlink_metadata(holder) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        let at_home = home.is_some_and(|home| fs::canonicalize(holder).is_ok_and(|h| h == home));
        let name = holder.display();
        let mine = owned_by_me(&metadata);
        if !mine && metadata.uid() != 0 && !at_home {
            return refuse(format!(
                "{name}, which holds {shown}, belongs to another user (uid {}), who could \
                 replace what is in it: {advice}",
                metadata.uid()
            ));
        }
        let mode = metadata.mode();
        let sticky = mode & 0o1000 != 0;
        let open_to = if mode & 0o002 != 0 {
            Some(("every user", "o-w"))
        } else if mode & 0o020 != 0 && !mine && !at_home {
            Some(("its group", "g-w"))
        } else {
            None
        };
        if let Some((who, fix)) = open_to.filter(|_| metadata.is_dir() && !sticky) {
            return refuse(format!(
                "{name}, which holds {shown}, can be written by {who} (mode {:o}), who could \
                 replace what is in it: run `chmod {fix} {}`",
                mode & 0o7777,
                crate::shell_word::shell_word(holder)
            ));
        }
        if at_home {
            break;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_ancestors(_folder: &Path) -> io::Result<()> {
    // Elsewhere the user's profile folder, where these live, is private by default.
    Ok(())
}

/// Writes `contents` to `path` (in a folder checked by [`ensure_private_folder`]), readable by
/// this user only (0600): into a new file beside it, made with `create_new` (which neither
/// follows nor replaces a symlink someone put there), then renamed over `path`.
///
/// # Errors
/// The file cannot be made or written.
pub fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace_private_file(path, |file| file.write_all(contents))
}

/// As [`write_private_file`], with what goes into the file written by `fill` (a long export
/// streamed rather than held whole); returns what `fill` returns.
///
/// # Errors
/// The file cannot be made, `fill` fails, or the rename does.
pub fn replace_private_file<T>(
    path: &Path,
    fill: impl FnOnce(&mut fs::File) -> io::Result<T>,
) -> io::Result<T> {
    let fresh = beside(path);
    let filled = create_new_private(&fresh).and_then(|mut file| {
        let value = fill(&mut file)?;
        file.sync_all()?;
        Ok(value)
    });
    let value = match filled {
        Ok(value) => value,
        Err(error) => {
            let _ = fs::remove_file(&fresh);
            return Err(error);
        }
    };
    fs::rename(&fresh, path).inspect_err(|_| {
        let _ = fs::remove_file(&fresh);
    })?;
    Ok(value)
}

/// Opens `path` to append to it (a log), made readable by this user only (0600) when it is
/// new, and never through a symlink or a hard link: one at `path` makes the open fail, so a
/// link another user planted cannot make us write into a file of their choice.
///
/// # Errors
/// The file cannot be opened (a symlink is refused as the OS refuses it: "too many levels of
/// symbolic links"; so is a hard link, a file with other names, which writing would change
/// under them all).
pub fn open_private_append(path: &Path) -> io::Result<fs::File> {
    let mut options = private_options();
    options.append(true).create(true);
    let file = only_name(regular_only(options.open(path), path)?)?;
    keep_private(&file)?;
    Ok(file)
}

/// Opens `path` to write it from its start (a capture written as it happens, too long to
/// make whole beside it first): made 0600 when new, never through a symlink or a hard link,
/// and emptied only once it is known to be this user's own file, so a link or a file another
/// user planted at the name (in a shared folder such as /tmp) is refused, not written into.
///
/// # Errors
/// A symlink, a file with other names (a hard link) or another user's file at `path`, or the
/// file cannot be opened or emptied.
pub fn open_private_from_start(path: &Path) -> io::Result<fs::File> {
    let mut options = private_options();
    options.write(true).create(true);
    let file = only_name(regular_only(options.open(path), path)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if file.metadata()?.uid() != rustix::process::geteuid().as_raw() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to another user: not written (choose another name)",
                    path.display()
                ),
            ));
        }
    }
    keep_private(&file)?;
    file.set_len(0)?;
    Ok(file)
}

/// An existing file of this user's that others may read (made by another program, or by
/// `chmod 644`) is made 0600 before anything private is written into it: the mode a new file
/// is made with only applies to a new one. Another user's file is left as it is.
///
/// # Errors
/// Its mode cannot be read or changed.
pub(crate) fn keep_private(file: &fs::File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = file.metadata()?;
        if owned_by_me(&metadata) && metadata.permissions().mode() & 0o077 != 0 {
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// How every private file opens: made readable by this user only (0600) when new, never
/// through a symlink (one at the name makes the open fail: "too many levels of symbolic links"),
/// and without waiting: a FIFO at the name would otherwise hold the open until some program
/// reads it, deaf to Ctrl-C (see [`regular_only`]).
pub(crate) fn private_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
        options.custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits().cast_signed());
    }
    options
}

/// The file `opened` at `path` by [`private_options`], if it is a regular file, made blocking
/// again; anything else (a FIFO, a device, a folder) is refused in words: a log or a capture
/// is rotated, emptied and written at its own pace, which only a file allows.
///
/// # Errors
/// The open failed, or `path` is not a regular file.
fn regular_only(opened: io::Result<fs::File>, path: &Path) -> io::Result<fs::File> {
    let refused = |kind| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            // The callers' messages name the path already.
            format!(
                "it is {}, not a regular file: give the name of a file",
                crate::bounded_file::kind_of(kind)
            ),
        )
    };
    let file = match opened {
        Ok(file) => file,
        // "No such device or address": a FIFO nobody reads, opened without waiting (or a
        // device without its driver). Said as what is at the name.
        Err(error) if error.raw_os_error() == Some(ENXIO) => {
            return Err(match fs::metadata(path) {
                Ok(metadata) if !metadata.is_file() => refused(metadata.file_type()),
                _ => error,
            });
        }
        // "Too many levels of symbolic links": O_NOFOLLOW met a symlink at the name.
        Err(error) if fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_symlink()) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "it is a symlink, which is not followed, since it could point anywhere \
                     (give the file itself; the open said: {error})"
                ),
            ));
        }
        Err(error) => return Err(error),
    };
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(refused(kind));
    }
    // F_SETFL sets every status flag at once: O_APPEND is kept.
    #[cfg(unix)]
    rustix::fs::fcntl_setfl(
        &file,
        rustix::fs::fcntl_getfl(&file)? - rustix::fs::OFlags::NONBLOCK,
    )?;
    Ok(file)
}

/// The file opened at a name, if that name is its only one: a regular file with other names
/// (`ln victim.txt capture.pcapng`) is refused, since emptying it, writing it or making it
/// 0600 would do so to the file under every name, the victim's included; the hard link made
/// in a shared folder (by us, or by another user to a file of ours) looks like any file.
///
/// # Errors
/// The file has more than one name, or its metadata cannot be read.
fn only_name(file: fs::File) -> io::Result<fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let links = file.metadata()?.nlink();
        if links > 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                // The callers' messages name the path already.
                format!(
                    "it is a hard link, one of {links} names of the same file, which writing \
                     would change under every name: not written (give a name of its own, or \
                     remove this one first)"
                ),
            ));
        }
    }
    Ok(file)
}

/// "No such device or address": its number on Linux, macOS and the BSDs alike.
const ENXIO: i32 = 6;

/// Makes `path` as a new file readable by this user only (0600); fails if anything, a symlink
/// included, is there already.
///
/// # Errors
/// Something is at `path`, or the file cannot be made.
pub fn create_new_private(path: &Path) -> io::Result<fs::File> {
    // create_new refuses anything at the name, a symlink included.
    let mut options = private_options();
    options.write(true).create_new(true);
    regular_only(options.open(path), path)
}

/// Checks that an existing `path` is a file of this user's that nobody else can read (a private
/// key), as ssh does for its keys.
///
/// # Errors
/// It is not: a symlink, someone else's, or readable by others (the error gives the `chmod`
/// that fixes it).
pub fn check_private_file(path: &Path) -> io::Result<()> {
    check_private(path, Kind::SecretFile)
}

/// Who besides this user has a hand on a file or folder a person named (a key, a CA file, a
/// lessons folder): the one classification the warnings about them are written from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// It belongs to another user (not root), who can do anything with it.
    OtherUsers {
        /// The owner's uid.
        owner: u32,
        /// Its permission bits.
        mode: u32,
    },
    /// Its mode lets others write it, or (asked about a secret) read it; it is this user's
    /// (`mine`) or root's, and only its owner can change its mode.
    Mode {
        /// Its permission bits.
        mode: u32,
        /// Others (its group or everyone) may read it; said of secrets only.
        read: bool,
        /// Everyone may write it (`Some(true)`), its group only (`Some(false)`), nobody else.
        write: Option<bool>,
        /// This user owns it (else root does).
        mine: bool,
    },
}

/// Who besides this user could change what `metadata` describes (or, for a `secret`, read
/// it); `None` when only this user, or root whose files are the system's, can.
#[cfg(unix)]
#[must_use]
pub fn exposure(metadata: &fs::Metadata, secret: bool) -> Option<Exposure> {
    use std::os::unix::fs::MetadataExt;
    let mode = metadata.mode() & 0o7777;
    let mine = owned_by_me(metadata);
    if !mine && metadata.uid() != 0 {
        return Some(Exposure::OtherUsers {
            owner: metadata.uid(),
            mode,
        });
    }
    let read = secret && mode & 0o044 != 0;
    let write = if mode & 0o002 != 0 {
        Some(true)
    } else if mode & 0o020 != 0 {
        Some(false)
    } else {
        None
    };
    (read || write.is_some()).then_some(Exposure::Mode {
        mode,
        read,
        write,
        mine,
    })
}

/// Whether what `metadata` describes belongs to this user (its owner is our effective user).
#[cfg(unix)]
#[must_use]
pub fn owned_by_me(metadata: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    metadata.uid() == rustix::process::geteuid().as_raw()
}

/// The name a new file is written under before it is renamed to `path`.
fn beside(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".new-{}", std::process::id()));
    path.with_file_name(name)
}

/// What a checked path must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A folder nobody else may write into.
    Folder,
    /// A file nobody else may read or write.
    SecretFile,
}

#[cfg(unix)]
fn check_private(path: &Path, kind: Kind) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;

    let refuse = |why: String| Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
    let metadata = fs::symlink_metadata(path)?;
    let shown = path.display();
    if metadata.file_type().is_symlink() {
        return refuse(format!(
            "{shown} is a symlink: it is not used, since it could point anywhere"
        ));
    }
    // What it is comes before whose it is and its mode: a FIFO in a key's place was told to
    // `chmod 600`, and then that it is no file.
    match kind {
        Kind::Folder if !metadata.is_dir() => return refuse(format!("{shown} is not a folder")),
        Kind::SecretFile if !metadata.is_file() => {
            return refuse(format!(
                "{shown} is not a regular file ({}): remove it",
                crate::bounded_file::kind_of(metadata.file_type())
            ));
        }
        _ => {}
    }
    let me = rustix::process::geteuid().as_raw();
    if metadata.uid() != me {
        return refuse(format!(
            "{shown} belongs to another user (uid {}): it is not used; remove it, or use a \
             folder of your own",
            metadata.uid()
        ));
    }
    let mode = metadata.mode() & 0o777;
    match kind {
        Kind::Folder if mode & 0o022 != 0 => refuse(format!(
            "{shown} can be written by other users (mode {mode:o}): run `chmod 700 {}`",
            crate::shell_word::shell_word(path)
        )),
        Kind::SecretFile if mode & 0o077 != 0 => refuse(format!(
            "{shown} can be read by other users (mode {mode:o}): run `chmod 600 {}`",
            crate::shell_word::shell_word(path)
        )),
        _ => Ok(()),
    }
}

#[cfg(not(unix))]
fn check_private(path: &Path, kind: Kind) -> io::Result<()> {
    // Elsewhere the folder and file are only checked to be what they should be: the user's
    // profile folder is private by default.
    let metadata = fs::symlink_metadata(path)?;
    if metadata.is_dir() == (kind == Kind::Folder) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not what it should be", path.display()),
        ))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt};

    use super::*;

    /// A file written from its start is emptied and private when it is ours; a symlink at its
    /// name is refused and its target left as it was.
    #[test]
    fn a_file_written_from_its_start_is_ours_and_never_a_link() {
        let folder = scratch("from-start");
        fs::create_dir_all(&folder).expect("folder");
        let path = folder.join("capture.pcapng");
        fs::write(&path, b"old contents").expect("written");
        let file = open_private_from_start(&path).expect("our own file");
        drop(file);
        assert_eq!(fs::read(&path).expect("read"), b"");
        let victim = folder.join("victim");
        fs::write(&victim, b"keep me").expect("written");
        let link = folder.join("link.pcapng");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let refused = open_private_from_start(&link).expect_err("a link is refused");
        assert!(refused.to_string().contains("it is a symlink"), "{refused}");
        assert_eq!(fs::read(&victim).expect("read"), b"keep me");
        let new = folder.join("new.pcapng");
        drop(open_private_from_start(&new).expect("made"));
        let mode = fs::metadata(&new).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::remove_dir_all(&folder).expect("clean up");
    }

    /// A hard link at a capture's or a log's name is refused and the file it names left as it
    /// was: `ln victim.txt cap.pcapng` then `--capture-file cap.pcapng` emptied the victim,
    /// wrote pcapng into it and made it 0600.
    #[test]
    fn a_hard_link_is_refused_and_the_file_it_names_left_as_it_was() {
        let folder = scratch("hard-link");
        fs::create_dir_all(&folder).expect("folder");
        let victim = folder.join("victim.txt");
        fs::write(&victim, b"keep me").expect("written");
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).expect("chmod");
        for (name, open) in [
            (
                "cap.pcapng",
                open_private_from_start as fn(&Path) -> io::Result<fs::File>,
            ),
            ("server.log", open_private_append),
        ] {
            let link = folder.join(name);
            fs::hard_link(&victim, &link).expect("ln");
            let refused = open(&link).expect_err("a hard link is refused");
            assert!(
                refused.to_string().contains("it is a hard link"),
                "{refused}"
            );
            assert_eq!(fs::read(&victim).expect("read"), b"keep me", "{name}");
            let mode = fs::metadata(&victim)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o644, "{name}");
            fs::remove_file(&link).expect("unlinked");
        }
        fs::remove_dir_all(&folder).expect("clean up");
    }

    /// A file of ours that others could read (0644, 0666) is made private before a capture or
    /// a log is written into it: the mode a file is made with applies only to a new one.
    #[test]
    fn an_existing_file_of_ours_others_could_read_is_made_private() {
        let folder = scratch("loose");
        fs::create_dir_all(&folder).expect("folder");
        for (name, open) in [
            (
                "capture.pcapng",
                open_private_from_start as fn(&Path) -> io::Result<fs::File>,
            ),
            ("server.log", open_private_append),
        ] {
            let path = folder.join(name);
            fs::write(&path, b"x").expect("written");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).expect("chmod");
            drop(open(&path).expect("our own file"));
            let mode = fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
        fs::remove_dir_all(&folder).expect("clean up");
    }

    /// A FIFO at a log's or a capture's name is refused at once, in words, whether or not a
    /// program reads it: the open used to wait for a reader, deaf to Ctrl-C. A device is
    /// refused too; a regular file opens blocking, and a log keeps appending.
    #[test]
    fn a_fifo_or_a_device_is_refused_at_once_and_a_file_opens_blocking() {
        use rustix::fs::{Mode, OFlags};
        let folder = scratch("fifo");
        fs::create_dir_all(&folder).expect("folder");
        let fifo = folder.join("capture.pcapng");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            Mode::RUSR | Mode::WUSR,
            0,
        )
        .expect("mkfifo");
        // Bounded: without the fix the open never returns, and the test fails here.
        let opened = {
            let fifo = fifo.clone();
            let (done, outcome) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = done.send((
                    open_private_from_start(&fifo).map(drop),
                    open_private_append(&fifo).map(drop),
                ));
            });
            outcome
                .recv_timeout(std::time::Duration::from_secs(60))
                .expect("the opens returned")
        };
        for refused in [opened.0, opened.1] {
            let refused = refused.expect_err("a FIFO without a reader").to_string();
            assert!(
                refused.contains("it is a FIFO, not a regular file"),
                "{refused}"
            );
        }
        // With a reader (as `wireshark -k -i FIFO` would be) it is refused as well.
        let reader = fs::OpenOptions::new()
            .read(true)
            .custom_flags(OFlags::NONBLOCK.bits().cast_signed())
            .open(&fifo)
            .expect("reader");
        let refused = open_private_append(&fifo).expect_err("a FIFO with a reader");
        assert!(refused.to_string().contains("a FIFO"), "{refused}");
        drop(reader);
        let device = open_private_append(Path::new("/dev/null")).expect_err("a device");
        assert!(device.to_string().contains("it is a device"), "{device}");
        let log = folder.join("log.txt");
        for line in ["one\n", "two\n"] {
            let mut file = open_private_append(&log).expect("a file");
            let flags = rustix::fs::fcntl_getfl(&file).expect("flags");
            assert!(!flags.contains(OFlags::NONBLOCK), "{flags:?}");
            assert!(flags.contains(OFlags::APPEND), "{flags:?}");
            file.write_all(line.as_bytes()).expect("written");
        }
        assert_eq!(fs::read_to_string(&log).expect("read"), "one\ntwo\n");
        fs::remove_dir_all(&folder).expect("clean up");
    }

    fn scratch(name: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!(
            "serversocket-private-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&folder);
        folder
    }

    /// Fails the test unless `ensure_private_folder` refuses `folder` with a message that
    /// says `why`.
    fn assert_refused(folder: &Path, why: &str) {
        let Err(refused) = ensure_private_folder(folder) else {
            panic!("{} was taken as private", folder.display());
        };
        assert!(refused.to_string().contains(why), "{refused}");
    }

    #[test]
    fn a_new_folder_is_owner_only_and_a_shared_one_is_refused() {
        let root = scratch("folders");
        let mine = root.join("mine");
        ensure_private_folder(&mine).expect("made");
        let mode = fs::metadata(&mine).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let shared = root.join("shared");
        fs::create_dir_all(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
        assert_refused(&shared, "chmod 700");
        let link = root.join("link");
        std::os::unix::fs::symlink(&mine, &link).unwrap();
        assert_refused(&link, "symlink");
        fs::remove_dir_all(&root).unwrap();
    }

    /// A folder of ours that others may read (as `mkdir` and eframe made the settings folders)
    /// is closed to them; one they may write into is refused, not tightened, since what is in
    /// it may be theirs already.
    #[test]
    fn a_folder_others_may_read_is_closed_and_one_they_may_write_is_refused() {
        let root = scratch("closed");
        let mine = root.join("mine");
        fs::create_dir_all(&mine).unwrap();
        fs::set_permissions(&mine, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_closed_private_folder(&mine).expect("ours");
        let mode = fs::metadata(&mine).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        fs::set_permissions(&mine, fs::Permissions::from_mode(0o777)).unwrap();
        let refused = ensure_closed_private_folder(&mine).unwrap_err().to_string();
        assert!(refused.contains("chmod 700"), "{refused}");
        let mode = fs::metadata(&mine).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o777, "left for its owner to look at");
        fs::remove_dir_all(&root).unwrap();
    }

    /// A folder of ours is refused inside one every user may write into (they could move it
    /// away and put theirs in its place), unless that one is sticky as the temp folder is;
    /// one only the group may write into is allowed.
    #[test]
    fn a_folder_inside_one_open_to_every_user_is_refused_unless_that_one_is_sticky() {
        let root = scratch("holders");
        let holder = root.join("holder");
        fs::create_dir_all(&holder).unwrap();
        let mine = holder.join("mine");
        for (mode, allowed) in [(0o755, true), (0o775, true), (0o1777, true), (0o777, false)] {
            fs::set_permissions(&holder, fs::Permissions::from_mode(mode)).unwrap();
            let checked = ensure_private_folder(&mine);
            assert_eq!(checked.is_ok(), allowed, "holder {mode:o}: {checked:?}");
            if let Err(refused) = checked {
                let refused = refused.to_string();
                assert!(
                    refused.contains("which holds") && refused.contains("chmod o-w"),
                    "{refused}"
                );
            }
        }
        fs::remove_dir_all(&root).unwrap();
    }

    /// A symlink on the way is followed for the check: one that leads through a folder every
    /// user may write into is refused, though the link itself is ours.
    #[test]
    fn a_folder_reached_through_a_link_into_an_open_folder_is_refused() {
        let root = scratch("linked-holder");
        let open = root.join("open");
        fs::create_dir_all(open.join("real")).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let link = root.join("link");
        std::os::unix::fs::symlink(open.join("real"), &link).unwrap();
        assert_refused(&link.join("mine"), "chmod o-w");
        assert!(
            fs::symlink_metadata(open.join("real").join("mine")).is_err(),
            "nothing made there"
        );
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_folder_of_another_user_is_refused() {
        let root = scratch("owner");
        ensure_private_folder(&root).expect("made");
        // Only root can give a folder away; as anyone else there is no other user's folder
        // to make, and the check is what the owner test above already covers.
        if std::os::unix::fs::chown(&root, Some(65_534), None).is_err() {
            crate::say!("skipped: only root can make a folder of another user");
            fs::remove_dir_all(&root).unwrap();
            return;
        }
        assert_refused(&root, "another user");
        // A folder of ours inside theirs: they could move it away.
        assert_refused(&root.join("inside"), "which holds");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_private_file_is_0600_and_never_written_through_a_symlink() {
        let root = scratch("files");
        ensure_private_folder(&root).unwrap();
        let victim = root.join("victim.txt");
        fs::write(&victim, "precious").unwrap();
        let key = root.join("key.pem");
        std::os::unix::fs::symlink(&victim, &key).unwrap();
        write_private_file(&key, b"secret").unwrap();
        // The symlink was replaced by a file of our own; what it pointed to is untouched.
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!fs::symlink_metadata(&key).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&key).unwrap(), "secret");
        let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        check_private_file(&key).expect("private");
        // A log is never opened through a link either, and a new one is private.
        let log = root.join("log.txt");
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        assert!(open_private_append(&log).is_err(), "a link is refused");
        fs::remove_file(&log).unwrap();
        open_private_append(&log).unwrap();
        let mode = fs::metadata(&log).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(
            create_new_private(&log).is_err(),
            "something is there already"
        );
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let refused = check_private_file(&key).unwrap_err().to_string();
        assert!(refused.contains("chmod 600"), "{refused}");
        fs::remove_dir_all(&root).unwrap();
    }
}

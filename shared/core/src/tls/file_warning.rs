//! A key, certificate or CA file the user named that other users of the machine could
//! replace (or, a key, read): used, since the user chose it, with one warning that says who
//! could and what fixes it.
//!
//! Whoever can replace a CA file decides whom a client trusts, and whoever can replace a
//! certificate or key decides who the server is: the same rule for all three (a key, being a
//! secret, also for who can read it). Root's files (Debian's `/etc/ssl`) are the system's:
//! only their mode is said.

use std::path::Path;

/// Which TLS file a warning is about: what it is called, and what others may not do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFile {
    /// A server's private key (`--key`): a secret, so others' reads count too.
    Key,
    /// A server's certificate chain (`--cert`).
    Certificate,
    /// The certificates a client trusts (`--ca`, the client window's CA file).
    Ca,
}

impl TlsFile {
    /// What the warning calls it.
    fn named(self) -> &'static str {
        match self {
            Self::Key => "the key",
            Self::Certificate => "the certificate",
            Self::Ca => "the CA file",
        }
    }

    /// Whether others reading it is to be said (only a key is a secret).
    fn secret(self) -> bool {
        self == Self::Key
    }

    /// The `chmod` mode, and the `install` of a copy of one's own, that fix it.
    fn fixes(self) -> (&'static str, &'static str) {
        match self {
            Self::Key => ("600", "install -m 600 {} NEW-KEY.pem"),
            Self::Certificate => ("go-w", "install -m 644 {} NEW-CERT.pem"),
            Self::Ca => ("go-w", "install -m 644 {} NEW-CA.pem"),
        }
    }
}

/// Says (once, on stderr, for `--key`, `--cert` and `--ca`) when a file given by the user is
/// not theirs alone: others can change it (or, a key, read it), or it belongs to another user;
/// and how to fix it. Only a warning, unlike the self-signed key we keep ourselves: the user
/// chose this file. Nothing is said of what is not a regular file (a FIFO, a device, a
/// folder): loading it fails and says why, and a `chmod` of `/dev/zero` is no advice to give.
///
/// Returns the warning, if any, so a window can show it too.
#[must_use]
pub fn file_warning(path: &Path, file: TlsFile) -> Option<String> {
    #[cfg(unix)]
    {
        use serversocket_files::private_files::{Exposure, exposure};

        let metadata = std::fs::metadata(path).ok()?;
        if !metadata.is_file() {
            return None;
        }
        let shown = path.display();
        let named = file.named();
        let (chmod, install) = file.fixes();
        let word = super::shell_word(path);
        let copy = install.replace("{}", &word);
        let Some(exposed) = exposure(&metadata, file.secret()) else {
            // The file is closed to others, but a folder that holds it may not be: whoever
            // can write there can put another file in its place.
            let why = serversocket_files::private_files::holder_others_can_change(path)?;
            return Some(format!(
                "warning: {named} {shown} can be replaced by another user: {why}"
            ));
        };
        match exposed {
            Exposure::OtherUsers { owner, mode } => {
                let can = if file.secret() {
                    "read it and replace it"
                } else {
                    "replace it"
                };
                Some(format!(
                    "warning: {named} {shown} belongs to another user (uid {owner}), who can {can} \
                     (mode {mode:o}): use a copy of your own, `{copy}`"
                ))
            }
            Exposure::Mode {
                mode,
                read,
                write,
                mine,
            } => {
                let can = if read && write.is_some() {
                    "read and changed"
                } else if read {
                    "read"
                } else {
                    "changed"
                };
                // Only its owner can change its mode: root's file, used by another user, is
                // theirs to copy.
                let fix = if mine {
                    format!("run `chmod {chmod} {word}`")
                } else {
                    format!(
                        "it is root's, so ask root to run `chmod {chmod} {word}`, or use a copy of \
                         your own, `{copy}`"
                    )
                };
                Some(format!(
                    "warning: {named} {shown} can be {can} by other users of this machine \
                     (mode {mode:o}): {fix}"
                ))
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    use super::*;

    /// A fresh folder of this test's own, with a file `name` in it.
    fn file_in(folder: &str, name: &str) -> (PathBuf, PathBuf) {
        let folder = test_support::empty_folder(&format!("tls-file-warning-{folder}"));
        let file = folder.join(name);
        fs::write(&file, "-----BEGIN CERTIFICATE-----\n").unwrap_or_else(|e| panic!("{e}"));
        (folder, file)
    }

    /// The warning for a key of the user's choosing says what others can do with it, and
    /// nothing of what is no file (whose loading fails and says why).
    #[test]
    fn a_key_others_can_read_or_change_is_warned_of_and_a_device_is_not() {
        let (folder, key) = file_in("key", "key.pem");
        for (mode, said) in [
            (0o600, None),
            (0o644, Some("can be read by other users")),
            (0o620, Some("can be changed by other users")),
            (0o666, Some("can be read and changed by other users")),
        ] {
            fs::set_permissions(&key, fs::Permissions::from_mode(mode)).expect("mode");
            let warning = file_warning(&key, TlsFile::Key);
            match said {
                None => assert_eq!(warning, None, "mode {mode:o}"),
                Some(said) => {
                    let warning = warning.expect("warned");
                    assert!(warning.contains(said), "{warning}");
                    assert!(warning.contains(&format!("chmod 600 {}", key.display())));
                }
            }
        }
        let fifo = folder.join("fifo.pem");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .expect("mkfifo")
                .success()
        );
        for no_file in [Path::new("/dev/zero"), folder.as_path(), fifo.as_path()] {
            for file in [TlsFile::Key, TlsFile::Certificate, TlsFile::Ca] {
                assert_eq!(file_warning(no_file, file), None, "{}", no_file.display());
            }
        }
        let _ = fs::remove_dir_all(folder);
    }

    /// The command in a warning can be pasted as it is: a name with a space or a quote is one
    /// shell word (and one that begins with `-` no option: `shell_word`'s own test).
    #[test]
    fn the_command_in_a_warning_names_the_file_as_one_shell_word() {
        let (folder, key) = file_in("quoted", "my key's.pem");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("mode");
        let warning = file_warning(&key, TlsFile::Key).expect("warned");
        let quoted = key.display().to_string().replace('\'', r"'\''");
        assert!(
            warning.contains(&format!("run `chmod 600 '{quoted}'`")),
            "{warning}"
        );
        let _ = fs::remove_dir_all(folder);
    }

    /// A key closed to others (0600) in a folder anyone may write into (0777, without the
    /// sticky bit /tmp has) can be replaced by anyone: said, with the folder's fix.
    #[test]
    fn a_private_key_in_a_folder_anyone_may_write_is_warned_of() {
        let (folder, key) = file_in("open-folder", "key.pem");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("mode");
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).expect("mode");
        assert_eq!(file_warning(&key, TlsFile::Key), None);
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o777)).expect("mode");
        let warning = file_warning(&key, TlsFile::Key).expect("warned");
        assert!(
            warning.starts_with(&format!(
                "warning: the key {} can be replaced by another user: {}, which holds",
                key.display(),
                folder.display()
            )) && warning.contains("can be written by every user (mode 777)")
                && warning.ends_with(&format!("run `chmod o-w {}`", folder.display())),
            "{warning}"
        );
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o1777)).expect("mode");
        assert_eq!(file_warning(&key, TlsFile::Key), None, "sticky, as /tmp is");
        let _ = fs::remove_dir_all(folder);
    }

    /// A certificate or CA file others can change (666) is warned of as a key is; one they
    /// can only read (644, as certificates are) is not: it is no secret.
    #[test]
    fn a_certificate_or_ca_file_others_can_change_is_warned_of_as_a_key_is() {
        for (file, named) in [
            (TlsFile::Certificate, "the certificate"),
            (TlsFile::Ca, "the CA file"),
        ] {
            let (folder, path) = file_in("public", "cert.pem");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("mode");
            assert_eq!(file_warning(&path, file), None, "{named}: 644");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).expect("mode");
            let warning = file_warning(&path, file).expect("warned");
            assert!(
                warning.starts_with(&format!("warning: {named} {}", path.display()))
                    && warning.contains("can be changed by other users of this machine")
                    && warning.contains(&format!("chmod go-w {}", path.display())),
                "{warning}"
            );
            let _ = fs::remove_dir_all(folder);
        }
    }

    /// A key, certificate or CA file of another user (a real one; made as root, which CI is)
    /// is said to be theirs, who can replace it, with the copy of one's own that fixes it: a
    /// CA file of theirs was trusted without a word.
    #[test]
    fn a_file_of_another_user_is_said_to_be_theirs_whatever_it_holds() {
        let Some((uid, gid)) = test_support::other_user::other_user() else {
            return;
        };
        for (file, named, can) in [
            (TlsFile::Key, "the key", "who can read it and replace it"),
            (
                TlsFile::Certificate,
                "the certificate",
                "who can replace it",
            ),
            (TlsFile::Ca, "the CA file", "who can replace it"),
        ] {
            let (folder, path) = file_in("theirs", "file.pem");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("mode");
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown as root");
            let warning = file_warning(&path, file).expect("warned");
            assert!(
                warning.starts_with(&format!("warning: {named} {}", path.display()))
                    && warning.contains(&format!("belongs to another user (uid {uid}), {can}"))
                    && warning.contains("use a copy of your own, `install -m"),
                "{warning}"
            );
            let _ = fs::remove_dir_all(folder);
        }
    }
}

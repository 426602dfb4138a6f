//! A path as one word of a shell command, so a command a message suggests (`chmod 600 KEY`,
//! `cp FILE MY-COPY`) can be pasted as it is.

use std::fmt::Write as _;
use std::path::Path;

/// `path` as one word of a shell command: as it is when it holds nothing a shell reads, else in
/// single quotes. A relative path that begins with `-` gets `./` before it, or the command
/// would take it for an option (`chmod go-w -ca x.pem`: "invalid mode").
#[must_use]
pub fn shell_word(path: &Path) -> String {
    let Some(text) = path.to_str() else {
        return bytes_word(path);
    };
    let text = if text.starts_with('-') {
        format!("./{text}")
    } else {
        text.to_owned()
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    // zsh reads a word that begins with `=` as a command's path (`=eq.pem`: "not found").
    if !text.is_empty() && !text.starts_with('=') && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// A path that is no UTF-8 text as one word: `$'…'` with its other bytes as `\xNN`, which
/// bash, zsh and ksh read back as those bytes (shown lossily, `'\u{fffd}.pem'` named no file).
fn bytes_word(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    let mut word = String::from("$'");
    if bytes.first() == Some(&b'-') {
        word.push_str("./");
    }
    for byte in bytes {
        match byte {
            b'\'' | b'\\' => {
                word.push('\\');
                word.push(char::from(byte));
            }
            b' '..=b'~' => word.push(char::from(byte)),
            _ => {
                let _ = write!(word, "\\x{byte:02x}");
            }
        }
    }
    word.push('\'');
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_one_shell_word_that_is_no_option() {
        let word = |text: &str| shell_word(Path::new(text));
        assert_eq!(word("/usr/bin/server-app"), "/usr/bin/server-app");
        assert_eq!(word("/home/a b/server-app"), "'/home/a b/server-app'");
        assert_eq!(word("/tmp/it's/x"), r"'/tmp/it'\''s/x'");
        assert_eq!(word("my key's.pem"), r"'my key'\''s.pem'");
        assert_eq!(word("-ca x.pem"), "'./-ca x.pem'");
        assert_eq!(word("-key.pem"), "./-key.pem");
        assert_eq!(word(""), "''");
        assert_eq!(word("=eq.pem"), "'=eq.pem'");
        assert_eq!(word("a=b.pem"), "a=b.pem");
    }

    /// A name that is no UTF-8 is written with its bytes, as bash reads them back.
    #[cfg(unix)]
    #[test]
    fn a_name_that_is_no_text_keeps_its_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"\xffk'ey.pem"));
        let word = shell_word(path);
        assert_eq!(word, r"$'\xffk\'ey.pem'");
        // bash gives back the very bytes.
        if let Ok(out) = std::process::Command::new("bash")
            .args(["-c", &format!("printf %s {word}")])
            .output()
        {
            assert_eq!(out.stdout, b"\xffk'ey.pem");
        }
    }
}

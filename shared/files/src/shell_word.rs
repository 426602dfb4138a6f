//! A path as one word of a shell command, so a command a message suggests (`chmod 600 KEY`,
//! `cp FILE MY-COPY`) can be pasted as it is.

use std::path::Path;

/// `path` as one word of a shell command: as it is when it holds nothing a shell reads, else in
/// single quotes. A relative path that begins with `-` gets `./` before it, or the command
/// would take it for an option (`chmod go-w -ca x.pem`: "invalid mode").
#[must_use]
pub fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = if text.starts_with('-') {
        format!("./{text}")
    } else {
        text.into_owned()
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
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
    }
}

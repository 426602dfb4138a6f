//! Bytes typed as text: the escapes a test tool's user writes (`\r\n`, `\xFF`) and hex input.
//!
//! A terminal argument or a text field cannot hold a carriage return or a NUL, yet protocols are
//! full of them, so every text a user gives to be sent (a greeting, a reply, a client's hello, a
//! rule's template) goes through [`unescape`]. Mistakes are errors, never silently sent as typed:
//! a stray `\q` would otherwise reach the wire and the user would debug the wrong side.

use thiserror::Error;

/// What is wrong with a text's escapes or hex digits; `at` is the character position (from 0),
/// said counted from 1, as a person counts (`ok\\q`: the backslash is character 3).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EscapeError {
    /// A backslash followed by something that is not `r n t \ xNN`.
    #[error("unknown escape \\{found} at character {} (use \\r \\n \\t \\\\ or \\xNN)", .at + 1)]
    Unknown {
        /// Where the backslash is.
        at: usize,
        /// The character after it.
        found: char,
    },
    /// `\x` not followed by two hex digits.
    #[error("\\x at character {} needs two hex digits (\\x0d)", .at + 1)]
    BadHexEscape {
        /// Where the backslash is.
        at: usize,
    },
    /// The text ends with a lone backslash.
    #[error("the text ends with a lone \\ (write \\\\ for a backslash)")]
    TrailingBackslash,
    /// Hex input with something other than hex digits and spaces.
    #[error("{found:?} at character {} is not a hex digit", .at + 1)]
    NotHex {
        /// Where it is.
        at: usize,
        /// What it is.
        found: char,
    },
    /// Hex input with an odd number of digits: the last byte is half there.
    #[error("an odd number of hex digits: each byte needs two")]
    OddHexDigits,
}

/// Turns `\r \n \t \\ \xNN` into their bytes; every other character is its UTF-8.
///
/// # Errors
/// Any other escape, a short `\x`, or a trailing backslash (see [`EscapeError`]).
pub fn unescape(text: &str) -> Result<Vec<u8>, EscapeError> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars().enumerate();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            let mut utf8 = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            continue;
        }
        match chars.next() {
            None => return Err(EscapeError::TrailingBackslash),
            Some((_, 'r')) => out.push(b'\r'),
            Some((_, 'n')) => out.push(b'\n'),
            Some((_, 't')) => out.push(b'\t'),
            Some((_, '\\')) => out.push(b'\\'),
            Some((_, 'x')) => {
                let high = chars.next().and_then(|(_, c)| c.to_digit(16));
                let low = chars.next().and_then(|(_, c)| c.to_digit(16));
                match (high, low) {
                    // Two hex digits are below 256.
                    (Some(high), Some(low)) => out.push(u8::try_from(high * 16 + low).unwrap_or(0)),
                    _ => return Err(EscapeError::BadHexEscape { at }),
                }
            }
            Some((_, found)) => return Err(EscapeError::Unknown { at, found }),
        }
    }
    Ok(out)
}

/// Writes `bytes` the way [`unescape`] reads them back, byte for byte: text as it is, `\r`
/// `\n` `\t` and `\\` escaped, and every other control byte or byte that is not UTF-8 as
/// `\xNN`. What a send box keeps of a send, whatever mode it was typed in.
#[must_use]
pub fn escape(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut utf8 = [0; 4];
                    for byte in c.encode_utf8(&mut utf8).bytes() {
                        let _ = write!(out, "\\x{byte:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Reads hex input such as `48 65 6c 6c 6f 0d 0a` (spaces, tabs and newlines between bytes are
/// ignored, `0x` prefixes too).
///
/// # Errors
/// A character that is not a hex digit, or an odd number of digits.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, EscapeError> {
    let cleaned = text.replace("0x", " ").replace("0X", " ");
    let mut digits = Vec::with_capacity(cleaned.len());
    for (at, c) in cleaned.chars().enumerate() {
        if c.is_whitespace() || c == ',' {
            continue;
        }
        let digit = c.to_digit(16).ok_or(EscapeError::NotHex { at, found: c })?;
        // A hex digit is below 16.
        digits.push(u8::try_from(digit).unwrap_or(0));
    }
    if digits.len() % 2 == 1 {
        return Err(EscapeError::OddHexDigits);
    }
    Ok(digits
        .chunks(2)
        .map(|pair| pair[0] * 16 + pair[1])
        .collect())
}

/// A client's hello: text with escapes in which `{n}` stands for the socket's index. Checked
/// once, when given, so a mistake is reported before any socket connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedText {
    /// The bytes between the `{n}`s, already unescaped.
    parts: Vec<Vec<u8>>,
}

impl IndexedText {
    /// Parses `text`: escapes as in [`unescape`], `{n}` for the index.
    ///
    /// # Errors
    /// A bad escape (see [`EscapeError`]).
    pub fn parse(text: &str) -> Result<Self, EscapeError> {
        let parts = text
            .split("{n}")
            .map(unescape)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { parts })
    }

    /// The bytes for socket `index`.
    #[must_use]
    pub fn for_index(&self, index: u64) -> Vec<u8> {
        let index = index.to_string();
        let mut out = Vec::new();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(index.as_bytes());
            }
            out.extend_from_slice(part);
        }
        out
    }

    /// True when it writes nothing for any index (`--hello ''` turns the hello off).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.parts.len() == 1 && self.parts[0].is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_bytes_read_back_as_themselves() {
        let bytes = b"GET /\r\n\t\\\x00\xff\x7f \xc3\xa9 AB\n";
        let text = escape(bytes);
        assert_eq!(text, r"GET /\r\n\t\\\x00\xff\x7f é AB\n");
        assert_eq!(unescape(&text).unwrap_or_default(), bytes);
    }

    #[test]
    fn escapes_become_their_bytes() {
        assert_eq!(
            unescape(r"GET /\r\n\t\\\x00\xff é").unwrap_or_default(),
            b"GET /\r\n\t\\\x00\xff \xc3\xa9"
        );
    }

    /// The position is said as a person counts, from 1: `ok\q`'s backslash is its third
    /// character ("at position 2" read as the wrong one).
    #[test]
    fn positions_are_said_counted_from_one() {
        let said = |text: &str| unescape(text).expect_err("a mistake").to_string();
        assert!(
            said(r"ok\q").contains("at character 3"),
            "{}",
            said(r"ok\q")
        );
        assert!(
            said(r"é\x4").contains("at character 2"),
            "{}",
            said(r"é\x4")
        );
    }

    #[test]
    fn bad_escapes_are_errors_with_their_position() {
        assert_eq!(
            unescape(r"ab\q"),
            Err(EscapeError::Unknown { at: 2, found: 'q' })
        );
        assert_eq!(unescape(r"\x4"), Err(EscapeError::BadHexEscape { at: 0 }));
        assert_eq!(unescape(r"\xzz"), Err(EscapeError::BadHexEscape { at: 0 }));
        assert_eq!(unescape("a\\"), Err(EscapeError::TrailingBackslash));
    }

    #[test]
    fn hex_input_ignores_spacing_and_prefixes() {
        assert_eq!(parse_hex("48 65\n0x6c 6C6f").unwrap_or_default(), b"Hello");
        assert_eq!(parse_hex("4"), Err(EscapeError::OddHexDigits));
        assert_eq!(
            parse_hex("4g"),
            Err(EscapeError::NotHex { at: 1, found: 'g' })
        );
    }

    #[test]
    fn indexed_text_puts_the_index_in_place_of_n() {
        let hello = IndexedText::parse(r"ping {n}/{n}\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hello.for_index(7), b"ping 7/7\n");
        assert!(IndexedText::parse("").is_ok_and(|t| t.is_empty()));
        assert!(IndexedText::parse(r"{n}\z").is_err());
    }
}

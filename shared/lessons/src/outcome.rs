//! What a lesson's expression evaluates to: a number, text, yes or no, or not known yet.

use std::fmt;

/// What an expression evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
    /// Yes or no.
    Bool(bool),
    /// A value this side has not seen yet (say `port` before Listen).
    Unknown,
}

impl Outcome {
    /// Yes when true, a non-zero number or non-empty text.
    #[must_use]
    pub fn holds(&self) -> bool {
        match self {
            Outcome::Bool(yes) => *yes,
            Outcome::Number(number) => *number != 0.0,
            Outcome::Text(text) => !text.is_empty(),
            Outcome::Unknown => false,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Number(number) => write!(f, "{number}"),
            Outcome::Text(text) => f.write_str(text),
            Outcome::Bool(true) => f.write_str("yes"),
            Outcome::Bool(false) => f.write_str("no"),
            Outcome::Unknown => f.write_str("not known yet"),
        }
    }
}

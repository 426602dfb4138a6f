//! Socket events written out, for people and for scripts: the seed's log lines and the JSON
//! lines, printed to a headless app's stdout or to a log file.
//!
//! Both apps print these in headless mode and the windows show and export the same, so the
//! wording and the schema live in one place. The JSON schema (one object per line, each with
//! `event` and `ts`) is a public contract: scripts parse it (see `docs/headless.md`).
//!
//! # Layout
//! - [`human`]: the seed's words for each event ([`human_line`]), received bytes as text.
//! - [`json`]: the JSON line of each event ([`json_record`]), the note about dropped lines.
//! - `json_line`: the everyday events' JSON lines written straight to the output, byte for byte
//!   what [`json_record`] prints, without its allocations; the stamps (`ts`).
//! - [`printer`]: [`Printer`], one line an event to a writer.
//! - [`output`]: [`Output`], stdout through a bounded queue, so a stalled reader never blocks.
//! - [`log_file`]: the log written to a file as it happens, rotated at a size.
//! - [`escapes`]: text with `\r \n \xNN` escapes and hex input, as users type bytes.

#![forbid(unsafe_code)]

pub mod escapes;
pub mod human;
pub mod json;
mod json_line;
pub mod log_file;
pub mod output;
pub mod printer;

pub use human::{PREVIEW_CHARS, Role, escape_text, human_line, preview_text};
pub use json::{JSON_TEXT_CHARS, dropped_line, json_record};
pub use json_line::stamp;
pub use output::Output;
pub use printer::Printer;

#[cfg(test)]
mod tests;

//! Socket events written out, for people and for scripts: the seed's log lines and the JSON
//! lines, printed to a headless app's stdout or to a log file.
//!
//! Both apps print these in headless mode and the windows show and export the same, so the
//! wording and the schema live in one place. The JSON schema (one object per line, each with
//! `event` and `ts`) is a public contract: scripts parse it (see `docs/headless.md`).
//!
//! # Layout
//! - [`human`]: the seed's words for each event ([`human_line`]), received bytes as text.
//! - [`record`]: the JSON lines' one schema: [`Record`] (what a line says happened, made from
//!   an event by [`Record::from_event`]) and [`Line`] (a record and its `ts`, written with
//!   `serde_json::to_writer` and read back by the lessons).
//! - `json_line`: the five everyday events' lines written by hand (serde costs twice as much
//!   there), byte for byte their records' lines; the stamps (`ts`), made once a second and
//!   completed to the microsecond.
//! - [`printer`]: [`Printer`], one line an event to a writer; the note about dropped lines.
//! - [`output`]: [`Output`], stdout through a bounded queue, so a stalled reader never blocks.
//! - [`log_file`]: the log written to a file as it happens, rotated at a size.
//! - [`side`]: [`Side`], whose events: the server's or the client's (the lessons' too).
//! - [`escapes`]: text with `\r \n \xNN` escapes and hex input, as users type bytes.

#![forbid(unsafe_code)]

pub mod escapes;
pub mod human;
mod json_line;
pub mod log_file;
pub mod output;
pub mod printer;
pub mod record;
pub mod side;

pub use human::{PREVIEW_CHARS, escape_text, human_line, preview_text};
pub use json_line::{Stamps, read_stamp, stamp};
pub use output::Output;
pub use printer::{Printer, dropped_line};
pub use record::{EVENT_NAMES, JSON_TEXT_CHARS, Line, Record};
pub use side::{Role, Side};

#[cfg(test)]
mod tests;

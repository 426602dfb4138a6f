//! The headless client's flags for what each socket sends (`--hello`, `--no-reply`, `--repeat`,
//! `--interval-ms`, `--send-file`), and turning them into the library's [`ClientScript`].

use std::path::PathBuf;
use std::time::Duration;

use serversocket_app::file_to_send::{FileToSendError, read_file_to_send};
use serversocket_app::script::ClientScript;
use serversocket_report::escapes::IndexedText;
use thiserror::Error;

/// The most times `--repeat` sends the hello, so a typo cannot flood a server for days.
pub const MAX_REPEAT: u64 = 1_000_000;
/// The longest `--interval-ms`: one hour.
pub const MAX_INTERVAL_MS: u64 = 3_600_000;
/// `--interval-ms` when not given.
pub const DEFAULT_INTERVAL_MS: u64 = 1000;

/// What each socket sends on its own.
#[derive(Debug, Clone, clap::Args)]
pub struct ScriptArgs {
    /// With --headless: what each socket writes once connected, instead of `Socket N connected!`
    /// (the help text is `hello_help`, where `{n}` stays `{n}`).
    #[arg(long, value_name = "TEXT", value_parser = IndexedText::parse, help = hello_help())]
    pub hello: Option<IndexedText>,
    /// With --headless: do not answer each message with ` I got something from you.` (against
    /// an echo server the seed's client would otherwise ping-pong for ever).
    #[arg(long)]
    pub no_reply: bool,
    /// With --headless: send the hello N times in all (at most 1000000).
    #[arg(long, value_name = "N", default_value_t = 1, allow_negative_numbers = true,
          value_parser = parse_repeat)]
    pub repeat: u64,
    /// With --repeat: the pause between two hellos (at most one hour).
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_INTERVAL_MS, allow_negative_numbers = true,
          value_parser = parse_interval_ms)]
    pub interval_ms: u64,
    /// With --headless: send this file's bytes once connected, after the hello; progress is
    /// printed as each tenth goes out (at most once a write, so a small file shows fewer).
    #[arg(long, value_name = "PATH")]
    pub send_file: Option<PathBuf>,
}

/// `--hello`'s help. clap turns every `{n}` of a help text into a line break, with no escape;
/// a style reset between `{` and `n` (an invisible escape code, and nothing at all once clap
/// strips styles for a pipe) keeps it the three characters the user types.
/// `--repeat`, in words ("0 times is less than 1"), as the other counts are refused.
fn parse_repeat(text: &str) -> Result<u64, String> {
    serversocket_app::typed::parse_whole(text, "times", 1..=MAX_REPEAT)
}

/// `--interval-ms`, in words.
fn parse_interval_ms(text: &str) -> Result<u64, String> {
    serversocket_app::typed::parse_whole(text, "milliseconds", 0..=MAX_INTERVAL_MS)
}

fn hello_help() -> clap::builder::StyledStr {
    use std::fmt::Write as _;
    let mut help = clap::builder::StyledStr::new();
    let _ = write!(
        help,
        "With --headless: what each socket writes once connected, instead of `Socket N connected!`; \
         escapes \\r \\n \\t \\\\ \\xNN, and {{{}n}} for the socket's index. Empty: no hello.",
        clap::builder::styling::Reset
    );
    help
}

impl ScriptArgs {
    /// The script these flags describe, with the file's bytes read in.
    ///
    /// # Errors
    /// A flag given where it does nothing (`--interval-ms` without `--repeat`, `--repeat`
    /// with no hello), or the file cannot be read.
    pub fn script(&self) -> Result<ClientScript, ScriptArgsError> {
        // Refused rather than quietly ignored, as the server refuses `--greeting` with
        // `--reply echo`: a script that asked for a pause or a repeat would get neither.
        let interval_given = self.interval_ms != DEFAULT_INTERVAL_MS
            || serversocket_app::program::typed("--interval-ms");
        if interval_given && self.repeat < 2 {
            return Err(ScriptArgsError::Combination(
                "--interval-ms works with --repeat N (N of 2 or more): it is the pause between \
                 two hellos, and one hello has none",
            ));
        }
        if self.repeat > 1 && self.hello.as_ref().is_some_and(IndexedText::is_empty) {
            return Err(ScriptArgsError::Combination(
                "--repeat sends the hello again, and --hello '' sends none: give --hello TEXT \
                 to repeat, or leave --repeat out",
            ));
        }
        let file = self
            .send_file
            .as_deref()
            .map(read_file_to_send)
            .transpose()
            .map_err(ScriptArgsError::SendFile)?;
        Ok(ClientScript {
            hello: self.hello.clone(),
            reply: !self.no_reply,
            file,
        })
    }

    /// The pause between two hellos.
    #[must_use]
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }
}

/// Why the script flags cannot be used: nothing was started.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ScriptArgsError {
    /// `--send-file` names a file that cannot be sent (not a regular file, too large,
    /// unreadable).
    #[error("--send-file {0}")]
    SendFile(FileToSendError),
    /// Flags given together of which one would do nothing.
    #[error("{0}")]
    Combination(&'static str),
}

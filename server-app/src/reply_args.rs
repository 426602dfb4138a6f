//! The server's `--reply` flags, and turning them into the library's [`ReplyMode`].
//!
//! Checked before anything starts: a bad rule, escape or combination exits 2 naming it, with no
//! listener opened half-way.

use bytes::Bytes;
use serversocket::seed::SERVER_GREETING;
use serversocket_app::reply::{ReplyMode, RuleError, Rules};
use serversocket_report::escapes::{EscapeError, unescape};
use thiserror::Error;

/// How each pooled socket answers (the flags of `server-app`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReplyArgs {
    /// How each pooled socket answers: `greeting` (the seed: greet, then take what arrives),
    /// `echo` (no greeting; every byte back), `silent` (no greeting, no reply; still logs what
    /// arrives), `fixed` (--greeting on connect and/or --fixed after each chunk), `rules`
    /// (each line matched against --rule; the first match replies).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = ReplyKind::Greeting)]
    pub reply: ReplyKind,
    /// The greeting written on connect, with escapes (\r \n \t \\ \xNN); default the seed's
    /// `From the server socket, I connected to you.`.
    #[arg(long, value_name = "TEXT")]
    pub greeting: Option<String>,
    /// With --reply fixed: the text written after each chunk received (escapes as --greeting).
    #[arg(long, value_name = "TEXT")]
    pub fixed: Option<String>,
    /// With --reply rules: `REGEX => TEMPLATE`, repeatable, tried in order on each line (line
    /// ending removed); the template may use $1, ${name}, $0 (the whole match), $$ and escapes.
    /// Example: `--rule '^GET (\S+) => you asked for $1\r\n'`.
    #[arg(long = "rule", value_name = "RULE")]
    pub rules: Vec<String>,
}

/// The `--reply` modes.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[non_exhaustive]
pub enum ReplyKind {
    /// The seed's greeting, then take what arrives.
    #[default]
    Greeting,
    /// Every byte received written back.
    Echo,
    /// Nothing written.
    Silent,
    /// A fixed text on connect and/or after each chunk.
    Fixed,
    /// Per line, the first matching rule's template.
    Rules,
}

/// A `--reply` combination that cannot work.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReplyArgsError {
    /// A text's escapes are wrong.
    #[error("--{flag}: {source}")]
    Escape {
        /// The flag, without dashes.
        flag: &'static str,
        /// What is wrong.
        source: EscapeError,
    },
    /// A rule does not compile.
    #[error("--rule: {0}")]
    Rule(#[from] RuleError),
    /// A flag that the chosen mode would ignore, or one it needs is missing.
    #[error("{0}")]
    Combination(&'static str),
}

impl ReplyArgs {
    /// The mode these flags ask for.
    ///
    /// # Errors
    /// A bad escape or rule, or flags the mode cannot use.
    pub fn mode(&self) -> Result<ReplyMode, ReplyArgsError> {
        let text = |flag: &'static str, text: &Option<String>| {
            text.as_deref()
                .map(|t| unescape(t).map(Bytes::from))
                .transpose()
                .map_err(|source| ReplyArgsError::Escape { flag, source })
        };
        let greeting = text("greeting", &self.greeting)?;
        let fixed = text("fixed", &self.fixed)?;
        if !self.rules.is_empty() && self.reply != ReplyKind::Rules {
            return Err(ReplyArgsError::Combination("--rule needs --reply rules"));
        }
        if fixed.is_some() && self.reply != ReplyKind::Fixed {
            return Err(ReplyArgsError::Combination("--fixed needs --reply fixed"));
        }
        if greeting.is_some() && !matches!(self.reply, ReplyKind::Greeting | ReplyKind::Fixed) {
            return Err(ReplyArgsError::Combination(
                "--greeting applies to --reply greeting or fixed",
            ));
        }
        Ok(match self.reply {
            ReplyKind::Greeting => ReplyMode::Greeting(
                greeting.unwrap_or_else(|| Bytes::from_static(SERVER_GREETING.as_bytes())),
            ),
            ReplyKind::Echo => ReplyMode::Echo,
            ReplyKind::Silent => ReplyMode::Silent,
            // An empty text counts as none: `--greeting ''` alone passed, and then the server
            // sent nothing at all.
            ReplyKind::Fixed
                if greeting.as_ref().is_none_or(Bytes::is_empty)
                    && fixed.as_ref().is_none_or(Bytes::is_empty) =>
            {
                return Err(ReplyArgsError::Combination(
                    "--reply fixed needs --fixed TEXT (after each chunk) and/or --greeting TEXT (on connect), not empty (a server that sends nothing is --reply silent)",
                ));
            }
            ReplyKind::Fixed => ReplyMode::Fixed {
                on_connect: greeting,
                after_data: fixed,
            },
            ReplyKind::Rules if self.rules.is_empty() => {
                return Err(ReplyArgsError::Combination(
                    "--reply rules needs at least one --rule 'REGEX => TEMPLATE'",
                ));
            }
            ReplyKind::Rules => ReplyMode::Rules(Rules::parse(&self.rules)?),
        })
    }
}

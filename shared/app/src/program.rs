//! How both programs begin and end, window or headless: the open-files limit raised before
//! the arguments are read, the diagnostics installed, and an error said on stderr at the end;
//! or, for `man` and `completions SHELL`, only the page or the script printed.

use std::fmt::Display;
use std::io::Write as _;
use std::process::ExitCode;

use crate::diagnostics::{self, LevelSwitch};
use crate::manual::{self, Print};

/// What every program does first: raises the open-files limit (before the arguments, which
/// are checked against it: a Max of 10,000 needs 10,000 descriptors, and many systems start
/// programs at 1,024 of a far higher hard limit), reads the arguments, and sends the library's
/// diagnostics to stderr.
#[must_use]
pub fn start<A: clap::Parser>() -> (A, LevelSwitch) {
    let _ = serversocket_files::open_files::raise_to_hard();
    let command = manual::command::<A>();
    let program = command.get_name().to_owned();
    let matches = command
        .try_get_matches()
        .unwrap_or_else(|error| leave(&program, &default_named(error)));
    let args = A::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    (args, diagnostics::install())
}

/// Ends the program as clap would for `error`, except that `--help` or `--version` that
/// could not be written (`> /dev/full`) is said on stderr and exits 1, as `man` does: clap's
/// own exit ignores the failed write and exits 0. A reader that left (`| head`) is no failure.
fn leave(program: &str, error: &clap::Error) -> ! {
    use clap::error::ErrorKind;
    let what = match error.kind() {
        ErrorKind::DisplayHelp => "help",
        ErrorKind::DisplayVersion => "version",
        _ => error.exit(),
    };
    match error.print().and_then(|()| std::io::stdout().flush()) {
        Err(failure) if failure.kind() != std::io::ErrorKind::BrokenPipe => {
            crate::say!("{program}: the {what} could not be written ({failure})");
            std::process::exit(1)
        }
        _ => std::process::exit(0),
    }
}

/// A refused value the user never typed is a default this machine cannot take (`--max`'s 10
/// against an open-files limit of 30): clap says "invalid value '10' for '--max <N>'", which
/// reads as if it had been typed, so the error gets a tip that says where it came from.
fn default_named(mut error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::ValueValidation {
        return error;
    }
    let (Some(ContextValue::String(arg)), Some(ContextValue::String(value))) = (
        error.get(ContextKind::InvalidArg),
        error.get(ContextKind::InvalidValue),
    ) else {
        return error;
    };
    // "--max <N>": the flag is its first word.
    let flag = arg.split_whitespace().next().unwrap_or(arg).to_owned();
    if !typed(&flag) {
        let tip = format!(
            "{value} is {flag}'s default (it was not given): give {flag} a value this machine allows"
        );
        error.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![tip.into()]),
        );
    }
    error
}

/// Whether `flag` (`--min`) was typed on the program's command line, as `--min 2` or
/// `--min=2`, rather than left at its default: clap's parsed values do not tell the two apart.
#[must_use]
pub fn typed(flag: &str) -> bool {
    std::env::args_os().skip(1).any(|given| {
        let given = given.to_string_lossy();
        given == flag || given.starts_with(&format!("{flag}="))
    })
}

/// The program's exit code: `result`'s, or 1 after saying on stderr why it failed (with its
/// causes, `{:#}`).
#[must_use]
pub fn exit<E: Display>(program: &str, result: Result<ExitCode, E>) -> ExitCode {
    result.unwrap_or_else(|error| {
        crate::say!("{program}: {error:#}");
        ExitCode::FAILURE
    })
}

/// Prints what a `man` or `completions SHELL` subcommand asks for about the program `A` on
/// stdout; 1 when stdout cannot take it. A reader that took what it wanted and left
/// (`| head`) is no failure, as in headless mode.
#[must_use]
pub fn print<A: clap::CommandFactory>(print: &Print) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match manual::write::<A>(print, &mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            let what = match print {
                Print::Man => "the manual page",
                Print::Completions { .. } => "the completion script",
            };
            crate::say!("{}: cannot write {what}: {error}", A::command().get_name());
            ExitCode::FAILURE
        }
    }
}

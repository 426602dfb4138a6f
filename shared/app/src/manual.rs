//! What a program says about itself besides running: its manual page (`man`) and its shell
//! completions (`completions SHELL`), both made from its clap definition, so they list exactly
//! the options it takes. The Debian package (`.ci/package`) installs what these print.

use std::io::{self, Write};

use clap::CommandFactory;

/// The subcommands both programs take; with one, the program prints and exits without opening
/// a window or a socket.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Print {
    /// Print the completion script for SHELL (bash, zsh, fish, elvish, powershell), e.g.
    /// `source <(server-app completions bash)`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `server-app man | man -l -`.
    Man,
}

/// Writes what `print` asks for about the program `A` to `out`.
///
/// # Errors
/// When `out` cannot be written (a closed pipe).
pub fn write<A: CommandFactory>(print: &Print, out: &mut dyn Write) -> io::Result<()> {
    let mut command = A::command();
    match print {
        Print::Completions { shell } => {
            let name = command.get_name().to_owned();
            // Made in memory first: clap_complete panics when its writer fails, and a reader
            // that stops early (`| head`) closes the pipe; this way that is an error to say.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, name, &mut script);
            out.write_all(&script)
        }
        Print::Man => clap_mangen::Man::new(command).render(out),
    }
}

#[cfg(test)]
// The helpers below run only in tests, where a failed step should stop the test.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    /// A program like the apps: flags and the subcommands.
    #[derive(Debug, clap::Parser)]
    #[command(
        name = "demo-app",
        version = "1.2.3 (commit abcdef0)",
        about = "A demo."
    )]
    struct Demo {
        /// Run on the terminal.
        #[arg(long)]
        headless: bool,
        #[command(subcommand)]
        print: Option<Print>,
    }

    fn printed(print: &Print) -> String {
        let mut out = Vec::new();
        write::<Demo>(print, &mut out).expect("written to memory");
        String::from_utf8(out).expect("text")
    }

    #[test]
    fn the_manual_page_lists_the_options_and_the_version() {
        let page = printed(&Print::Man);
        assert!(page.starts_with(".ie \\n(.g .ds Aq"), "roff: {page}");
        assert!(page.contains(".TH demo-app 1"), "{page}");
        assert!(page.contains("headless"), "{page}");
        assert!(page.contains("1.2.3 (commit abcdef0)"), "{page}");
    }

    #[test]
    fn each_shell_gets_a_script_that_completes_the_options() {
        for (shell, mark) in [
            (clap_complete::Shell::Bash, "complete -F _demo__app"),
            (clap_complete::Shell::Zsh, "#compdef demo-app"),
            (clap_complete::Shell::Fish, "complete -c demo-app"),
        ] {
            let script = printed(&Print::Completions { shell });
            assert!(script.contains(mark), "{shell}: {script}");
            assert!(script.contains("headless"), "{shell}: {script}");
        }
    }

    #[test]
    fn a_closed_output_is_an_error_not_a_panic() {
        for print in [
            Print::Man,
            Print::Completions {
                shell: clap_complete::Shell::Bash,
            },
        ] {
            let error = write::<Demo>(&print, &mut test_support::ReaderGone)
                .expect_err("nothing can be written");
            assert_eq!(error.kind(), io::ErrorKind::BrokenPipe, "{print:?}");
        }
    }

    #[test]
    fn the_subcommands_parse_beside_the_flags() {
        use clap::Parser as _;
        let demo = Demo::parse_from(["demo-app", "completions", "fish"]);
        assert_eq!(
            demo.print,
            Some(Print::Completions {
                shell: clap_complete::Shell::Fish
            })
        );
        assert_eq!(
            Demo::parse_from(["demo-app", "man"]).print,
            Some(Print::Man)
        );
        assert!(Demo::parse_from(["demo-app", "--headless"]).print.is_none());
        assert!(Demo::try_parse_from(["demo-app", "completions", "tcsh"]).is_err());
    }
}

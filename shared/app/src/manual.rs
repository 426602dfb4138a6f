//! What a program says about itself besides running: its manual page (`man`) and its shell
//! completions (`completions SHELL`), both made from its clap definition, so they list exactly
//! the options it takes. The Debian package (`.ci/package`) installs what these print.

use std::io::{self, Write};

use clap::CommandFactory;

/// The subcommands both programs take; with one, the program prints and exits without opening
/// a window or a socket. Their help names the program ([`command`]).
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Print {
    /// Print the completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
}

/// The program `A`'s clap definition, its subcommands' help giving examples with its own name
/// (the same words serve both programs, so the name cannot be in the doc comments).
#[must_use]
pub fn command<A: CommandFactory>() -> clap::Command {
    let command = hinted(A::command());
    let name = command.get_name().to_owned();
    command
        .mut_subcommand("completions", |sub| {
            sub.about(format!(
                "Print the completion script for SHELL (bash, zsh, fish, elvish, powershell), \
                 e.g. `source <({name} completions bash)`"
            ))
        })
        .mut_subcommand("man", |sub| {
            sub.about(format!(
                "Print the manual page (roff), e.g. `{name} man | man -l -`"
            ))
        })
}

/// Each option's value as a shell should complete it: a path (a folder when its value is a
/// DIR) by the files there, anything else (a port, a lesson's name, a count) by nothing. Left
/// unsaid, clap's completions offered file names for `--port` and `--lesson`.
fn hinted(command: clap::Command) -> clap::Command {
    command.mut_args(|arg| {
        let hint = arg.get_value_hint();
        // clap's derive says AnyPath of a PathBuf: a folder's is narrowed below.
        if !matches!(hint, clap::ValueHint::Unknown | clap::ValueHint::AnyPath)
            || !arg.get_action().takes_values()
        {
            return arg;
        }
        let path = hint == clap::ValueHint::AnyPath
            || arg.get_value_parser().type_id() == std::any::TypeId::of::<std::path::PathBuf>();
        let folder = arg
            .get_value_names()
            .is_some_and(|names| names.iter().any(|name| name == "DIR"));
        arg.value_hint(match (path, folder) {
            (true, true) => clap::ValueHint::DirPath,
            (true, false) => clap::ValueHint::FilePath,
            (false, _) => clap::ValueHint::Other,
        })
    })
}

/// Writes what `print` asks for about the program `A` to `out`.
///
/// # Errors
/// When `out` cannot be written (a closed pipe).
pub fn write<A: CommandFactory>(print: &Print, out: &mut dyn Write) -> io::Result<()> {
    let mut command = command::<A>();
    let name = command.get_name().to_owned();
    match print {
        Print::Completions { shell } => {
            // Made in memory first: clap_complete panics when its writer fails, and a reader
            // that stops early (`| head`) closes the pipe; this way that is an error to say.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, &name, &mut script);
            if *shell == clap_complete::Shell::Bash {
                script = bash_subcommands_mended(&script, &name);
            }
            out.write_all(&script)
        }
        Print::Man => {
            // `help` is no page of its own; the other two are listed by name below.
            let command = command.disable_help_subcommand(true);
            let subcommands: Vec<String> = command
                .get_subcommands()
                .map(|sub| sub.get_name().to_owned())
                .collect();
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            let page = man_subcommands_named(&page, &name, &subcommands);
            out.write_all(&with_files_and_environment(&page, &name))
        }
    }
}

/// clap_complete 4.6's bash script for a program whose name has a hyphen completes nothing
/// after a subcommand (clap-rs/clap#6421, open): its loop names the state `server__app__subcmd__man`,
/// its case arms `server__subcmd__app__subcmd__man`. The arms are spelled as the loop spells them.
///
/// And a folder's option (`--lessons DIR`) completes folders alone: clap's script offers the
/// folders that match (`plusdirs`) but leaves bash's `-o default` on, which lists files when
/// no folder matches.
fn bash_subcommands_mended(script: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let wrong = format!("{}__subcmd__", name.replace('-', "__subcmd__"));
    let right = format!("{}__subcmd__", name.replace('-', "__"));
    text.replace(&wrong, &right)
        .replace(
            "compopt -o plusdirs\n",
            "compopt -o plusdirs\n                        compopt +o default\n",
        )
        .into_bytes()
}

/// clap_mangen lists each subcommand as a page of its own (`server-app-man(1)`), and we ship
/// one page: each is named as it is typed (`server-app man`) instead.
fn man_subcommands_named(page: &[u8], name: &str, subcommands: &[String]) -> Vec<u8> {
    let escape = |text: &str| text.replace('-', "\\-");
    let mut text = String::from_utf8_lossy(page).into_owned();
    for sub in subcommands {
        let page_name = format!("{}\\-{}(1)", escape(name), escape(sub));
        let typed = format!("\\fB{} {}\\fR", escape(name), escape(sub));
        text = text.replace(&page_name, &typed);
    }
    text.into_bytes()
}

/// The manual page's FILES and ENVIRONMENT sections (clap has no words for them), before its
/// VERSION: where the program keeps what it remembers, and what moves it (docs/reliability.md
/// says how each file is checked).
fn with_files_and_environment(page: &[u8], name: &str) -> Vec<u8> {
    let window = format!("serversocket{}", name.trim_end_matches("-app"));
    // The server makes a certificate of its own; a client is given one, or none.
    let certificate = if name == "server-app" {
        ".TP\n\\fI$XDG_DATA_HOME/serversocket/\\fR (else \\fI~/.local/share/serversocket/\\fR)\n\
         The self\\-signed TLS certificate and key made for \\fB\\-\\-tls\\fR without \\fB\\-\\-cert\\fR, \
         the key 0600.\n"
    } else {
        ""
    };
    let kept = if name == "server-app" {
        "the settings and the self\\-signed certificate are"
    } else {
        "the settings are"
    };
    let sections = format!(
        r".SH FILES
.TP
\fI$XDG_DATA_HOME/{window}/app.ron\fR (else \fI~/.local/share/{window}/app.ron\fR)
The window's settings, remembered between runs: read only from a folder of yours that others cannot write to, made 0700, the file 0600.
{certificate}.TP
\fI$XDG_RUNTIME_DIR/serversocket\-lessons/\fR (else \fIserversocket\-UID/serversocket\-lessons\fR in the temporary folder; if another user made that first, \fI$XDG_CACHE_HOME/serversocket\-run/serversocket\-lessons\fR, else under \fI~/.cache\fR)
The two windows' lesson position, which the other window follows.
.SH ENVIRONMENT
.TP
\fBXDG_DATA_HOME\fR, \fBHOME\fR
Where {kept} kept (a relative path is ignored).
.TP
\fBXDG_RUNTIME_DIR\fR, \fBXDG_CACHE_HOME\fR, \fBTMPDIR\fR
Where the lessons' shared folder is made.
.TP
\fBRUST_LOG\fR
Which diagnostics reach stderr (default: warn, without rustls's own warnings: a failed handshake is an error event already).
"
    );
    let text = String::from_utf8_lossy(page);
    match text.find(".SH VERSION") {
        Some(at) => format!("{}{sections}{}", &text[..at], &text[at..]),
        None => format!("{text}{sections}"),
    }
    .into_bytes()
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
        /// A port.
        #[arg(long, value_parser = crate::parse_port)]
        port: Option<u16>,
        /// A log to read.
        #[arg(long, value_name = "FILE")]
        events: Option<std::path::PathBuf>,
        /// A folder of lessons.
        #[arg(long, value_name = "DIR")]
        lessons: Option<std::path::PathBuf>,
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
        // Where it keeps what it remembers, before the version.
        let files = page.find(".SH FILES").expect("a FILES section");
        assert!(page[files..].contains("serversocketdemo/app.ron"), "{page}");
        assert!(files < page.find(".SH VERSION").expect("a VERSION section"));
        assert!(page.contains(".SH ENVIRONMENT"), "{page}");
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

    /// The bash script completes after a subcommand though the program's name has a hyphen
    /// (clap_complete's own script completed nothing there): bash itself runs it.
    #[test]
    fn bash_completes_a_subcommands_values_for_a_hyphenated_name() {
        let script = printed(&Print::Completions {
            shell: clap_complete::Shell::Bash,
        });
        let completed = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{script}\nCOMP_WORDS=(demo-app completions ''); COMP_CWORD=2; \
                 _demo__app demo-app '' completions; echo \"[${{COMPREPLY[*]}}]\""
            ))
            .output()
            .expect("bash runs");
        let said = String::from_utf8_lossy(&completed.stdout);
        assert!(said.contains("bash") && said.contains("fish"), "{said}");
    }

    /// The page names each subcommand as it is typed, with the program's own name in its
    /// examples, and points to no page that is not shipped (`demo-app-man(1)`).
    #[test]
    fn the_manual_page_names_its_subcommands_as_typed() {
        let page = printed(&Print::Man);
        assert!(page.contains("\\fBdemo\\-app completions\\fR"), "{page}");
        assert!(page.contains("`demo\\-app man | man \\-l \\-`"), "{page}");
        assert!(!page.contains("(1)"), "{page}");
        assert!(!page.contains("server\\-app"), "{page}");
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

    /// A shell completes a file or folder where the option takes one, and nothing else: the
    /// completions offered file names for `--port`.
    #[test]
    fn options_complete_files_only_where_they_take_a_path() {
        let command = command::<Demo>();
        let hint = |name: &str| {
            command
                .get_arguments()
                .find(|arg| arg.get_id() == name)
                .map(clap::Arg::get_value_hint)
        };
        assert_eq!(hint("port"), Some(clap::ValueHint::Other));
        assert_eq!(hint("events"), Some(clap::ValueHint::FilePath));
        assert_eq!(hint("lessons"), Some(clap::ValueHint::DirPath));
        let script = printed(&Print::Completions {
            shell: clap_complete::Shell::Bash,
        });
        let case_of = |option: &str| {
            let at = script
                .find(&format!("{option})"))
                .expect("the option is completed");
            &script[at..at + script[at..].find(";;").expect("its end")]
        };
        assert!(!case_of("--port").contains("compgen -f"), "{script}");
        // A folder's option lists no files when no folder matches (bash's `-o default` did).
        assert!(
            case_of("--lessons").contains("compopt +o default"),
            "{script}"
        );
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

//! The open-files limit (`ulimit -n`): every connected socket holds one file descriptor, so
//! this limit caps how many connections a process can hold at once.
//!
//! The OS gives each process two numbers: the *soft* limit, which it enforces, and the *hard*
//! limit, the most the process may raise its soft limit to on its own. Many systems start
//! programs at a soft limit of 1,024 with a hard limit far higher, so both apps raise the soft
//! limit to the hard one at start ([`raise_to_hard`]); past the hard limit only an
//! administrator can help, and [`too_low`] says how, in plain words.

/// A process's open-files limits; `None` is "unlimited".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    /// What the OS enforces now: one more open file fails with "too many open files".
    pub soft: Option<u64>,
    /// The most the process may raise `soft` to without privileges.
    pub hard: Option<u64>,
}

/// Descriptors a server holds besides its connections (listener, the runtime's epoll and
/// wakers, the standard streams, the kernel watch): what the suggested limit adds to a count.
const OWN_DESCRIPTORS: u64 = 64;

/// Descriptors our programs hold besides their connections, which a count checked against the
/// limit must leave room for: a headless server listening holds 18 (the standard streams, the
/// runtime's epoll and wakers, the listener, the kernel view's sockets, the output's pipe
/// ends), and a few more come and go (a certificate read, a capture). Without it a `--max`
/// just under the limit passed the check and could never be reached.
pub const HELD_BESIDES_CONNECTIONS: u64 = 24;

/// This process's limits now, or `None` where the OS has no such limit (not Unix) or it
/// cannot be read.
#[cfg(unix)]
#[must_use]
pub fn current() -> Option<OpenFiles> {
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).ok()?;
    let finite = |limit: u64| (limit != rlimit::INFINITY).then_some(limit);
    Some(OpenFiles {
        soft: finite(soft),
        hard: finite(hard),
    })
}

/// This process's limits now: none on this OS.
#[cfg(not(unix))]
#[must_use]
pub fn current() -> Option<OpenFiles> {
    None
}

/// Raises this process's soft open-files limit to its hard limit, which needs no privileges,
/// and returns the limits as they are afterwards (`None`: no such limit on this OS).
///
/// Called first thing by both apps, before their arguments are checked against the limit.
/// A refusal leaves the limit as it was; the counts checked against it then say what to do.
#[must_use]
pub fn raise_to_hard() -> Option<OpenFiles> {
    #[cfg(unix)]
    {
        // On a refusal the limit stays where it was and `current` reports it: nothing to add.
        let _ = rlimit::increase_nofile_limit(u64::MAX);
    }
    current()
}

/// Why `connections` connections, and the [`HELD_BESIDES_CONNECTIONS`] descriptors the
/// program holds besides them, cannot be open at once under `limits`, and the command that
/// fixes it, in plain words; `None` when they can.
#[must_use]
pub fn too_low(connections: u64, limits: OpenFiles) -> Option<String> {
    let need = connections.saturating_add(HELD_BESIDES_CONNECTIONS);
    let soft = limits.soft.filter(|&soft| need > soft)?;
    let suggested = connections.saturating_add(OWN_DESCRIPTORS);
    let limit = match limits.hard {
        Some(hard) if need > hard => {
            format!("{soft} ({hard} is the most it may raise that to on its own)")
        }
        _ => soft.to_string(),
    };
    // Said as a count set aside, which stays true when the whole limit is no larger.
    let why = format!(
        "{connections} is more than this process may have open at once: its open-files limit \
         is {limit}; each connection needs one besides the {HELD_BESIDES_CONNECTIONS} counted \
         for the program's own files (standard streams, the runtime's, a server's listener …), \
         which leaves room for {}",
        room_for_connections(soft)
    );
    Some(match limits.hard {
        Some(hard) if need > hard => format!(
            "{why}. An administrator can raise it, e.g. `sudo prlimit --pid $$ \
             --nofile={suggested}:{suggested}` in the shell that starts it (or a `nofile` line \
             in /etc/security/limits.conf), then start it again"
        ),
        _ => format!("{why}. `ulimit -n {suggested}` in the shell that starts it raises it"),
    })
}

/// How many connections a limit of `soft` open files leaves room for, in words.
fn room_for_connections(soft: u64) -> String {
    match soft.saturating_sub(HELD_BESIDES_CONNECTIONS) {
        0 => "none".to_owned(),
        1 => "1 connection".to_owned(),
        room => format!("{room} connections"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_name_the_limit_and_the_command_that_raises_it() {
        let low_hard = OpenFiles {
            soft: Some(64),
            hard: Some(64),
        };
        // The program's own descriptors count too: 40 connections fit in 64, 41 do not.
        assert_eq!(too_low(64 - HELD_BESIDES_CONNECTIONS, low_hard), None);
        let words = too_low(65 - HELD_BESIDES_CONNECTIONS, low_hard).expect("over with its own");
        assert!(words.contains("besides the 24 counted"), "{words}");
        assert!(words.contains("room for 40 connections"), "{words}");
        // A limit no larger than what is counted for the program's own files leaves room for
        // none, in words that stay true (not "keeps 24 for itself" out of 24).
        let tiny = OpenFiles {
            soft: Some(24),
            hard: Some(24),
        };
        let words = too_low(1, tiny).expect("no room at all");
        assert!(
            words.contains("open-files limit is 24 (24 is the most"),
            "{words}"
        );
        assert!(words.contains("which leaves room for none"), "{words}");
        let words = too_low(12_000, low_hard).expect("over both limits");
        assert!(words.contains("open-files limit is 64"), "{words}");
        assert!(words.contains("--nofile=12064:12064"), "{words}");

        let low_soft = OpenFiles {
            soft: Some(1024),
            hard: Some(524_288),
        };
        let words = too_low(5000, low_soft).expect("over the soft limit");
        assert!(words.contains("`ulimit -n 5064`"), "{words}");
        let unlimited = OpenFiles {
            soft: None,
            hard: None,
        };
        assert_eq!(too_low(u64::MAX - OWN_DESCRIPTORS, unlimited), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn raising_reaches_the_hard_limit() {
        let raised = raise_to_hard().expect("Unix has an open-files limit");
        assert_eq!(raised.soft, raised.hard.or(raised.soft));
    }
}

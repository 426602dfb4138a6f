//! What both headless programs set up before their first socket, written once: the socket
//! runtime, the event channel (no waker: the program waits on it), the printer on stdout, and
//! the stop signal, caught before anything says the program is up.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

use serversocket::{EventReceiver, EventSender, Runtime, SocketError, event_channel};
use serversocket_report::output::Output;
use serversocket_report::{Printer, Side};

use crate::shutdown::{HeldStopSignals, stop_requested};

/// Why a headless program could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The socket runtime's threads could not start.
    // The cause is the source, not in the words: a chain printed whole (`{:#}`) would say it
    // twice.
    #[error("the socket runtime cannot start")]
    Runtime(#[from] SocketError),
    /// Standard output cannot be set up to write through (its descriptor duplicated, the
    /// writer's thread started).
    #[error("standard output cannot be set up")]
    Stdout(#[from] std::io::Error),
}

/// A headless program's parts, ready for its sockets.
pub struct Headless {
    /// The background threads the sockets run on.
    pub runtime: Runtime,
    /// Cloned into every socket or server the program starts.
    pub events: EventSender,
    /// What the sockets report, one line each.
    pub receiver: EventReceiver,
    /// Prints the events as the seed's words or JSON lines.
    pub printer: Printer<Output>,
    /// Resolves on Ctrl-C, SIGTERM, or once whoever read our output is gone (say `| head`):
    /// the program then shuts its sockets down.
    pub stop: Pin<Box<dyn Future<Output = ()>>>,
}

impl Headless {
    /// Starts the runtime and the printer for `side`; signals are caught from here on, so a
    /// script that sends SIGTERM as soon as it reads the first line stops the program cleanly.
    pub fn start(side: Side, json: bool) -> Result<Self, StartError> {
        // Held back until tokio listens for them: one sent in between was lost.
        let held = HeldStopSignals::now();
        let runtime = Runtime::new()?;
        let (events, receiver) = event_channel(None);
        let printer = Printer::stdout(side, json)?;
        let stop = {
            let _entered = runtime.handle().enter();
            Box::pin(stop_requested(printer.out().reader_gone()))
        };
        drop(held);
        Ok(Self {
            runtime,
            events,
            receiver,
            printer,
            stop,
        })
    }
}

/// A flag's value that cannot be used, said on stderr before anything starts: exit code 2,
/// as for any other usage error.
#[must_use]
pub fn usage_error(program: &str, error: impl Display) -> ExitCode {
    crate::say!("{program}: {error}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// A start error's words leave its cause to the chain: printed whole (`{:#}`), the cause
    /// is said once ("standard output: Too many open files …: Too many open files …" before).
    #[test]
    fn a_start_error_says_its_cause_once() {
        let error = StartError::Stdout(std::io::Error::from_raw_os_error(24));
        let cause = error.source().expect("the cause").to_string();
        assert!(!error.to_string().contains(&cause), "{error}");
    }
}

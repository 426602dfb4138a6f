//! When a headless program should stop: Ctrl-C, SIGTERM, SIGHUP, or its output's reader gone.
//!
//! Signals belong to the program, not to the socket library (a library that caught SIGTERM would
//! take it from whatever embeds it), so both apps take them from here.

use std::process::ExitCode;

use serversocket_report::output::{Output, ReaderGone};

use crate::capture::CaptureFailed;

/// How a headless program exits once it stopped as asked: 0, or 1 when its output could not
/// be written (a full disk; the output says why on stderr) or its capture did not do all it
/// was asked (its file not written whole; said on stderr too). A reader that left (`| head`)
/// is a normal end.
#[must_use]
pub fn exit_code(output: &Output, captured: Result<(), CaptureFailed>) -> ExitCode {
    if output.failure().is_some() || captured.is_err() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or, on Unix, SIGTERM or SIGHUP
/// (the terminal it ran in closed).
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(mut terminate), Ok(mut hangup)) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                    _ = hangup.recv() => {}
                }
            }
            // Without those handlers Ctrl-C still stops the program cleanly.
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The stop signals (SIGINT, SIGTERM, SIGHUP) held back from this thread, and from every
/// thread it starts, until dropped; then this thread takes them. tokio puts its handler in
/// place before it listens for what the handler reports, and a signal that comes between the
/// two is reported to no one and lost (the program went on serving after a SIGTERM sent in
/// its first milliseconds): held back, it waits in the kernel until both are in place. The
/// threads started meanwhile (the runtime's, the output's) keep them held back for good, so
/// they reach this thread alone.
#[must_use = "the signals are taken again when this is dropped"]
pub struct HeldStopSignals {
    #[cfg(unix)]
    held: Option<nix::sys::signal::SigSet>,
}

impl HeldStopSignals {
    /// Holds the stop signals back from this thread; call it before any thread is started.
    pub fn now() -> Self {
        #[cfg(unix)]
        {
            use nix::sys::signal::{SigSet, Signal};
            let mut set = SigSet::empty();
            for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
                set.add(signal);
            }
            // Failing, the signals are not held: the program works as before, the window open.
            Self {
                held: set.thread_block().ok().map(|()| set),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }
}

impl Drop for HeldStopSignals {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(set) = self.held.take() {
            let _ = set.thread_unblock();
        }
    }
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP, or once the reader of the program's output is gone (a closed
/// pipe): when a headless program should shut its sockets down and exit.
///
/// The signals are listened for from the moment this is called, not from the first await: a
/// program calls it before it says it is listening, so a script that sends SIGTERM as soon as
/// it reads that line stops it cleanly rather than killing it. Call it inside the runtime
/// (`runtime.handle().enter()`).
pub fn stop_requested(reader_gone: ReaderGone) -> impl Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate, hangup) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
            // The terminal closed (an ssh session dropped): a stop like the others, with its
            // `stopped` line, rather than death by the default action (status 129).
            signal(SignalKind::hangup()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            if interrupt.is_none() && terminate.is_none() && hangup.is_none() {
                // Without handlers of our own, tokio's Ctrl-C still stops the program cleanly.
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    () = reader_gone.wait() => {}
                }
                return;
            }
            tokio::select! {
                () = received(interrupt) => {}
                () = received(terminate) => {}
                () = received(hangup) => {}
                () = reader_gone.wait() => {}
            }
        }
        #[cfg(not(unix))]
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = reader_gone.wait() => {}
            }
        }
    }
}

/// Resolves when `signal` arrives; never without a handler.
#[cfg(unix)]
async fn received(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Makes a window's stop signals (Ctrl-C in the terminal that started it, SIGTERM, SIGHUP)
/// close it as its close button does, which saves its settings and the lesson under way: their
/// default action killed the process at once, losing both. The first calls `close`; a second
/// ends the program at once (128 + the signal's number, as the default action would), for a
/// window too stuck to close. Handlers, not a blocked signal mask: a mask is inherited by
/// every program the window starts (the other window, the file dialog), which then could not
/// be stopped, while handlers go back to the default in a started program. Taken on a thread
/// of their own; the handlers are in place when this returns. Where they cannot be put in
/// place, the signals keep their default action.
pub fn close_window_on_stop_signal(close: impl Fn() + Send + 'static) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
        else {
            return;
        };
        let signals = {
            let _entered = runtime.enter();
            (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            )
        };
        let (Ok(mut interrupt), Ok(mut terminate), Ok(mut hangup)) = signals else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("stop-signals".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut closing = false;
                    loop {
                        let number = tokio::select! {
                            _ = interrupt.recv() => 2,
                            _ = terminate.recv() => 15,
                            _ = hangup.recv() => 1,
                        };
                        if closing {
                            std::process::exit(128 + number);
                        }
                        closing = true;
                        close();
                    }
                });
            });
    }
    #[cfg(not(unix))]
    let _ = close;
}

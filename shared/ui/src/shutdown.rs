//! When a headless program should stop: Ctrl-C, SIGTERM, or its output's reader gone.
//!
//! Signals belong to the program, not to the socket library (a library that caught SIGTERM would
//! take it from whatever embeds it), so both apps take them from here.

use serversocket::output::ReaderGone;

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or, on Unix, SIGTERM.
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            // Without a SIGTERM handler Ctrl-C still stops the program cleanly.
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Resolves on Ctrl-C or SIGTERM, or once the reader of the program's output is gone (a closed
/// pipe): when a headless program should shut its sockets down and exit.
pub async fn stop_requested(reader_gone: ReaderGone) {
    tokio::select! {
        () = termination_signal() => {}
        () = reader_gone.wait() => {}
    }
}

//! A stand-in for a window, for the test of its stop signals (`tests/stop_signals.rs`): holds
//! them as a window does, says `ready`, says `closing` when the first one asks it to close, and
//! goes on (a window stuck in its close) until a second one ends it.

#![forbid(unsafe_code)]

use std::io::Write as _;

fn main() {
    let signals = serversocket_app::shutdown::WindowStopSignals::hold();
    // A thread started after the hold, as a window's are: it must not take them either.
    let _busy = std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_secs(60)));
    signals.close_with(|| {
        println!("closing");
        let _ = std::io::stdout().flush();
    });
    println!("ready");
    let _ = std::io::stdout().flush();
    // Bounded: a test that never sends its signals still ends.
    std::thread::sleep(std::time::Duration::from_secs(60));
}

//! A stand-in for a window, for the test of its stop signals (`tests/stop_signals.rs`): takes
//! them as a window does, starts a program and stops it with SIGTERM (as a file dialog is
//! stopped), says how it ended, says `ready`, says `closing` when the first signal asks it
//! to close, and goes on (a window stuck in its close) until a second one ends it.

#![forbid(unsafe_code)]
// A stand-in for the tests: a step that fails should stop it, as in a test.
#![allow(clippy::expect_used)]

use std::io::Write as _;
use std::os::unix::process::ExitStatusExt as _;

fn main() {
    serversocket_app::shutdown::close_window_on_stop_signal(|| {
        println!("closing");
        let _ = std::io::stdout().flush();
    });
    // A program this one starts keeps the default action of the stop signals (`sleep` does not
    // unblock a signal it inherited blocked, as a shell does).
    let mut child = std::process::Command::new("sleep")
        .arg("5")
        .spawn()
        .expect("sleep runs");
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("a signal sent");
    let child = child.wait().expect("sleep ends");
    match child.signal() {
        Some(signal) => println!("child ended by signal {signal}"),
        None => println!("child survived its SIGTERM"),
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    // Bounded: a test that never sends its signals still ends.
    std::thread::sleep(std::time::Duration::from_secs(60));
}

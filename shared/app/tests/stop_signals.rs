//! A window's stop signals (SIGTERM, Ctrl-C, SIGHUP) close it as its close button does, which
//! saves its settings and lesson; they killed it, and a learner who pressed Ctrl-C in the
//! terminal lost both. A second signal ends a window too stuck to close, and the programs a
//! window starts keep the signals' default action.

#![cfg(unix)]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

#[test]
fn the_first_stop_signal_closes_and_a_second_ends_the_program() {
    for (first, second) in [
        (Signal::SIGTERM, Signal::SIGTERM),
        (Signal::SIGINT, Signal::SIGINT),
        (Signal::SIGHUP, Signal::SIGTERM),
    ] {
        let mut probe = Command::new(env!("CARGO_BIN_EXE_stop-signals-probe"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(i32::try_from(probe.id()).unwrap());
        let mut said = BufReader::new(probe.stdout.take().unwrap()).lines();
        // A program the window starts (the other window, a file dialog) can still be stopped:
        // a blocked signal mask, which it would inherit, left a dialog that SIGTERM could not end.
        assert_eq!(said.next().unwrap().unwrap(), "child ended by signal 15");
        assert_eq!(said.next().unwrap().unwrap(), "ready");
        kill(pid, first).unwrap();
        assert_eq!(
            said.next().unwrap().unwrap(),
            "closing",
            "{first} asked the window to close, and did not kill it"
        );
        kill(pid, second).unwrap();
        let status = test_support::exited(&mut probe, "the second signal did not end it");
        assert_eq!(
            status.code(),
            Some(128 + second as i32),
            "{second}: {status}"
        );
    }
}

//! `client-app`: an array of TCPSockets that connect to a ServerSocket. Opens the window, or
//! with `--headless` runs the seed's client on the terminal.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use client_app::{Args, headless, window};

fn main() -> ExitCode {
    // Before the arguments, which are checked against it: a Max of 10,000 needs 10,000
    // descriptors, and many systems start programs at 1,024 of a far higher hard limit.
    let _ = serversocket::open_files::raise_to_hard();
    let args = Args::parse();
    let trace_level = serversocket_ui::diagnostics::install();
    let result = if args.headless {
        headless::run(&args)
    } else {
        window::run(&args, trace_level).map(|()| ExitCode::SUCCESS)
    };
    result.unwrap_or_else(|error| {
        eprintln!("client-app: {error:#}");
        ExitCode::FAILURE
    })
}

//! `client-app`: an array of TCPSockets that connect to a ServerSocket. Opens the window, or
//! with `--headless` runs the seed's client on the terminal.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use client_app::{Args, headless, window};
use serversocket_app::program;

fn main() -> ExitCode {
    let (args, trace_level) = program::start::<Args>();
    if let Some(print) = &args.print {
        return program::print::<Args>(print);
    }
    let result = if args.headless {
        headless::run(&args)
    } else {
        window::run(&args, trace_level).map(|()| ExitCode::SUCCESS)
    };
    program::exit("client-app", result)
}

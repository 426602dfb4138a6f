//! `server-app`: a ServerSocket you can watch. Opens the window, or with `--headless` runs the
//! seed's server on the terminal (one line per event, or JSON lines with `--json`).

#![forbid(unsafe_code)]

use std::process::ExitCode;

use server_app::{Args, headless, lesson_check, window};
use serversocket_app::program;

fn main() -> ExitCode {
    let (args, trace_level) = program::start::<Args>();
    if let Some(print) = &args.print {
        return program::print::<Args>(print);
    }
    if args.check {
        return lesson_check::run(&lesson_check::CheckArgs {
            lesson: args.lesson.clone().unwrap_or_default(),
            lessons_dir: args.lessons.clone(),
            events: args.events.clone(),
            client_events: args.client_events.clone(),
        });
    }
    if args.headless && args.lesson.is_some() {
        serversocket_app::say!(
            "server-app: --lesson opens the window on a lesson; with --headless, use --lesson NAME --check to replay a log"
        );
        return ExitCode::from(2);
    }
    let result = if args.headless {
        headless::run(&args)
    } else {
        window::run(&args, trace_level).map(|()| ExitCode::SUCCESS)
    };
    program::exit("server-app", result)
}

//! Every test that runs both apps, in one place: the client against the real server.
//!
//! # Layout
//! - `first_run`: a newcomer's first minute, both windows in kittest harnesses.
//! - `lab`, `lessons`: every shipped lesson done end to end in both windows; `used_session`:
//!   lessons reset midway and started right after another.
//! - `headless`, `tls`: each app's headless binary talking to the other's over loopback.
//! - `capture`: both headless apps' `--capture` lines, each side of the same connections.
//!
//! Tests of one app against a plain socket stay with that app. The server's binary is found
//! beside the client's: `cargo test --workspace` (or `cargo nextest run --workspace`) builds
//! both before any test runs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod capture;
mod first_run;
mod headless;
mod lab;
mod lessons;
mod tls;
mod used_session;

use std::path::PathBuf;

fn client_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_client-app"))
}

fn server_binary() -> PathBuf {
    test_support::app::beside(env!("CARGO_BIN_EXE_client-app"), "server-app")
}

//! `server-app`: a ServerSocket you can watch. Opens the window, or with `--headless` runs the
//! seed's server on the terminal (one line per event, or JSON lines with `--json`).

#![forbid(unsafe_code)]

use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;
use serversocket::server_socket::{
    DEFAULT_MAXIMUM_SOCKETS_CONNECTED, DEFAULT_MINIMUM_SOCKETS_AVAILABLE,
    DEFAULT_NETWORK_INTERFACE, DEFAULT_PORT,
};

mod headless;
mod window;

/// A ServerSocket: one listener and a pool of sockets that take its connections.
#[derive(Debug, Clone, Parser)]
#[command(version, about, long_about = None)]
pub struct Args {
    /// Run on the terminal without a window: the seed's server, one line per event.
    #[arg(long)]
    pub headless: bool,
    /// NetworkInterface: the local address to listen on (127.0.0.1, ::1, 0.0.0.0, ::, or one of
    /// this machine's addresses).
    #[arg(long, value_name = "ADDR", default_value_t = DEFAULT_NETWORK_INTERFACE)]
    pub bind: IpAddr,
    /// Port to listen on (0 = any free port; below 1024 needs privileges).
    #[arg(long, default_value_t = DEFAULT_PORT, allow_hyphen_values = true, value_parser = serversocket::parse_port)]
    pub port: u16,
    /// MinimumSocketsAvailable: idle sockets the pool keeps ready.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MINIMUM_SOCKETS_AVAILABLE)]
    pub min: usize,
    /// MaximumSocketsConnected: most connections at once; more clients wait.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAXIMUM_SOCKETS_CONNECTED)]
    pub max: usize,
    /// With --headless: print one JSON object per line instead of the seed's words.
    #[arg(long)]
    pub json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let result = if args.headless {
        headless::run(&args)
    } else {
        window::run(&args).map(|()| ExitCode::SUCCESS)
    };
    result.unwrap_or_else(|error| {
        eprintln!("server-app: {error:#}");
        ExitCode::FAILURE
    })
}

//! `client-app` as a library: its window and its headless mode, so tests and benchmarks can
//! drive them; `main.rs` only parses the arguments and picks one.

#![forbid(unsafe_code)]

use clap::Parser;
use serversocket::bounds::DEFAULT_IN_FLIGHT;
use serversocket::server_socket::DEFAULT_PORT;

pub mod headless;
pub mod script_args;
pub mod tls_args;
pub mod window;

/// The seed's client: an array of TCP sockets that connect to a ServerSocket.
#[derive(Debug, Clone, Parser)]
#[command(version = serversocket_app::version::VERSION, about, long_about = None)]
pub struct Args {
    /// Run on the terminal without a window: the seed's client, one line per event.
    #[arg(long)]
    pub headless: bool,
    /// The server's host name or IP address (IPv4, or IPv6 bare or in brackets: `::1`, `[::1]`).
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1", value_parser = serversocket_app::parse_host)]
    pub address: String,
    /// The server's port (1 to 65535).
    #[arg(long, default_value_t = DEFAULT_PORT, allow_hyphen_values = true, value_parser = serversocket_app::parse_remote_port)]
    pub port: u16,
    /// With --headless: how many sockets to open (ids 0 to N-1; 1 to 10000, and no more than
    /// the open-files limit, `ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = 1, allow_negative_numbers = true, value_parser = serversocket_app::typed::parse_connect)]
    pub connect: u64,
    /// With --headless: how many connects may be under way at once (1 to 1000); the others
    /// start as these connect or fail.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_IN_FLIGHT, allow_negative_numbers = true, value_parser = serversocket_app::typed::parse_in_flight)]
    pub in_flight: usize,
    /// With --headless: print one JSON object per line instead of the seed's words.
    #[arg(long, requires = "headless")]
    pub json: bool,
    /// What each socket sends (--hello, --no-reply, --repeat, --interval-ms, --send-file).
    #[command(flatten)]
    pub script: script_args::ScriptArgs,
    /// Open the window on this lesson (e.g. `listening`); the server window follows it.
    #[arg(long, value_name = "NAME", conflicts_with = "headless")]
    pub lesson: Option<String>,
    /// A folder of your own lesson files (*.toml), besides the shipped ones.
    #[arg(long, value_name = "DIR", conflicts_with = "headless")]
    pub lessons: Option<std::path::PathBuf>,
    /// Whether the sockets connect with TLS (--tls, --ca, --pin, --tls-insecure).
    #[command(flatten)]
    pub tls: tls_args::TlsArgs,
    /// The TCP segments of the connections (--capture, --capture-file).
    #[command(flatten)]
    pub capture: serversocket_app::capture::CaptureArgs,
    /// `man` or `completions SHELL`: print the manual page or a completion script and exit.
    #[command(subcommand)]
    pub print: Option<serversocket_app::manual::Print>,
}

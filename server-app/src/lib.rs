//! `server-app` as a library: its window and its headless mode, so tests and benchmarks can
//! drive them; `main.rs` only parses the arguments and picks one.

#![forbid(unsafe_code)]

use clap::Parser;
use serversocket::server_socket::{
    DEFAULT_BACKLOG, DEFAULT_MAXIMUM_SOCKETS_CONNECTED, DEFAULT_MINIMUM_SOCKETS_AVAILABLE,
    DEFAULT_NETWORK_INTERFACE, DEFAULT_PORT,
};
use serversocket_app::BindAddress;

pub mod headless;
pub mod lesson_check;
pub mod reply_args;
pub mod tls_args;
pub mod window;

/// The longest `--relisten-delay-ms`: one hour (a typo of a few digits more would leave the
/// naive server closed for ever, without a word).
pub const MAX_RELISTEN_DELAY_MS: u64 = 3_600_000;

/// A ServerSocket: one listener and a pool of sockets that take its connections.
#[derive(Debug, Clone, Parser)]
#[command(version = serversocket_app::version::VERSION, about, long_about = None)]
pub struct Args {
    /// Run on the terminal without a window: the seed's server, one line per event.
    #[arg(long)]
    pub headless: bool,
    /// NetworkInterface: the local address to listen on (127.0.0.1, ::1 or [::1], 0.0.0.0, ::
    /// for IPv6 and IPv4 together, a link-local fe80::1%IFACE, or one of this machine's
    /// addresses).
    // The text is also `--help`'s, where "[::1]" is an address, not a link to a doc item.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long, value_name = "ADDR", default_value_t = BindAddress { ip: DEFAULT_NETWORK_INTERFACE, scope_id: 0 }, value_parser = serversocket_app::parse_bind_address)]
    pub bind: BindAddress,
    /// Port to listen on (0 = any free port; below 1024 needs privileges).
    #[arg(long, default_value_t = DEFAULT_PORT, allow_hyphen_values = true, value_parser = serversocket_app::parse_port)]
    pub port: u16,
    /// MinimumSocketsAvailable: idle sockets the pool keeps ready (0 to 1000).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MINIMUM_SOCKETS_AVAILABLE, allow_negative_numbers = true, value_parser = serversocket_app::typed::parse_minimum_sockets_available)]
    pub min: usize,
    /// MaximumSocketsConnected: most connections at once; more clients wait (1 to 50000, and
    /// no more than the open-files limit, `ulimit -n`, which starts raised to its hard limit).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAXIMUM_SOCKETS_CONNECTED, allow_negative_numbers = true, value_parser = serversocket_app::typed::parse_maximum_sockets_connected)]
    pub max: usize,
    /// Close a connection once nothing was sent or received on it for SECS seconds (pool mode),
    /// so silent clients cannot hold every slot; 0 = never, as in Xojo.
    #[arg(long, value_name = "SECS", default_value_t = 0, allow_negative_numbers = true, value_parser = parse_idle_timeout)]
    pub idle_timeout: u64,
    /// Backlog: how many connections the kernel may complete and hold while the pool takes
    /// none (the accept queue); the system may cap it (net.core.somaxconn on Linux).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BACKLOG, allow_negative_numbers = true, value_parser = parse_backlog)]
    pub backlog: u32,
    /// Pause accepting from the start (pool mode): the listener is open and the kernel
    /// completes handshakes into the accept queue (see the `accept_queue` lines), but no
    /// socket takes them, so the queue fills and then overflows. For watching the backlog.
    #[arg(long)]
    pub paused: bool,
    /// With --headless: print one JSON object per line instead of the seed's words.
    #[arg(long, requires = "headless")]
    pub json: bool,
    /// `pool`, a ServerSocket; or `naive`, one listening socket that closes on each connection
    /// and listens again after --relisten-delay-ms (connections arriving in between are
    /// refused: the problem a ServerSocket solves). --min and --max apply to pool.
    #[arg(long, value_enum, default_value_t = Mode::Pool)]
    pub mode: Mode,
    /// With --mode naive: how long the single socket stays closed after each connection (at
    /// most one hour).
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_RELISTEN_DELAY_MS, allow_negative_numbers = true,
          value_parser = parse_relisten_delay)]
    pub relisten_delay_ms: u64,
    /// How each socket answers (--reply, --greeting, --fixed, --rule).
    #[command(flatten)]
    pub reply: reply_args::ReplyArgs,
    /// Open the window on this lesson (e.g. `listening`, `the-pool`); with --check, replay a
    /// recorded log against it instead.
    #[arg(long, value_name = "NAME")]
    pub lesson: Option<String>,
    /// With --lesson: replay the server's `--headless --json` log (from --events FILE, or
    /// standard input) and say which steps it completes; exit 0 when all.
    #[arg(long, requires = "lesson")]
    pub check: bool,
    /// With --check: the server's NDJSON log (default, or `-`: standard input).
    #[arg(long, value_name = "FILE", requires = "check")]
    pub events: Option<std::path::PathBuf>,
    /// With --check: the client's NDJSON log (`client-app --headless --json`), for lessons with
    /// client steps (`-`: standard input, when --events names a file).
    #[arg(long, value_name = "FILE", requires = "check")]
    pub client_events: Option<std::path::PathBuf>,
    /// A folder of your own lesson files (*.toml), besides the shipped ones (the window's and
    /// --check's; headless mode has no lessons).
    #[arg(long, value_name = "DIR", conflicts_with = "headless")]
    pub lessons: Option<std::path::PathBuf>,
    /// Whether connections are secured with TLS (--tls, --cert, --key).
    #[command(flatten)]
    pub tls: tls_args::TlsArgs,
    /// The TCP segments of the connections (--capture, --capture-file).
    #[command(flatten)]
    pub capture: serversocket_app::capture::CaptureArgs,
    /// `man` or `completions SHELL`: print the manual page or a completion script and exit.
    #[command(subcommand)]
    pub print: Option<serversocket_app::manual::Print>,
}

impl Args {
    /// A Min above Max, said as a usage error before anything starts (the pool would hold
    /// idle sockets that could never connect); `--max 1` alone meets the default Min of 2, so
    /// the words say when Min is the default.
    #[must_use]
    pub fn min_above_max(&self) -> Option<String> {
        (self.mode == Mode::Pool && self.min > self.max).then(|| {
            let default = if serversocket_app::program::typed("--min") {
                ""
            } else {
                ", --min's default"
            };
            format!(
                "--min {} (MinimumSocketsAvailable{default}) is more than --max {} \
                 (MaximumSocketsConnected): the pool would hold idle sockets that could never \
                 connect; give --min {} or less",
                self.min, self.max, self.max
            )
        })
    }

    /// The flags given that the chosen `--mode` has no use for, said as a usage error; `None`
    /// when all apply.
    #[must_use]
    pub fn flags_of_the_other_mode(&self) -> Option<String> {
        // Given: not at its default, or typed even at its default (`--mode naive --min 2`).
        let given = |flags: &[(&'static str, bool)]| -> Vec<&'static str> {
            flags
                .iter()
                .filter(|(flag, changed)| *changed || serversocket_app::program::typed(flag))
                .map(|(flag, _)| *flag)
                .collect()
        };
        match self.mode {
            Mode::Naive => {
                let pool_only = given(&[
                    ("--min", self.min != DEFAULT_MINIMUM_SOCKETS_AVAILABLE),
                    ("--max", self.max != DEFAULT_MAXIMUM_SOCKETS_CONNECTED),
                    ("--idle-timeout", self.idle_timeout != 0),
                    ("--paused", self.paused),
                    ("--backlog", self.backlog != DEFAULT_BACKLOG),
                ]);
                let verb = if pool_only.len() == 1 {
                    "works"
                } else {
                    "work"
                };
                (!pool_only.is_empty()).then(|| {
                    format!(
                        "{} {verb} with --mode pool only (the naive server is one socket, with \
                         no pool to size or pause, and a backlog of 1)",
                        pool_only.join(" and ")
                    )
                })
            }
            Mode::Pool => given(&[(
                "--relisten-delay-ms",
                self.relisten_delay_ms != DEFAULT_RELISTEN_DELAY_MS,
            )])
            .first()
            .map(|_| {
                "--relisten-delay-ms works with --mode naive only (the pool's listener never \
                 closes)"
                    .to_owned()
            }),
        }
    }
}

/// `--idle-timeout`: whole seconds up to a day.
fn parse_idle_timeout(text: &str) -> Result<u64, String> {
    serversocket_app::typed::parse_whole(text, "seconds", 0..=MAX_IDLE_TIMEOUT_SECONDS)
}

/// `--relisten-delay-ms`: whole milliseconds up to an hour.
fn parse_relisten_delay(text: &str) -> Result<u64, String> {
    serversocket_app::typed::parse_whole(text, "milliseconds", 0..=MAX_RELISTEN_DELAY_MS)
}

/// `--backlog`: a whole number of connections (the system may cap it further).
fn parse_backlog(text: &str) -> Result<u32, String> {
    let value = serversocket_app::typed::parse_whole(text, "connections", 0..=u64::from(u32::MAX))?;
    u32::try_from(value).map_err(|error| error.to_string())
}

/// The longest idle timeout `--idle-timeout` and the window offer (a day).
pub const MAX_IDLE_TIMEOUT_SECONDS: u64 = 86_400;

/// The naive server's pause before it listens again, in milliseconds (the library's default).
pub const DEFAULT_RELISTEN_DELAY_MS: u64 =
    serversocket::naive::DEFAULT_RELISTEN_DELAY.as_millis() as u64;

/// How the server listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A ServerSocket: one permanent listener and a pool of sockets.
    Pool,
    /// One listening socket that re-listens after each connection.
    Naive,
}

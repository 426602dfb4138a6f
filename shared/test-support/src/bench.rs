//! What the benchmarks share (feature `bench`, no egui): a [`Measure`] of ours beside a
//! reference with its ratio, median round and spread; the `RATIO …` lines and the markdown
//! table they print; their arguments (`--quick`, flags, named measures); the two-worker tokio
//! runtime that drives their clients (and the plain servers they are measured against); and the
//! greeting client and plain greeting server both socket benches measure with.
//!
//! Loopback figures on a small machine swing from run to run, so a measure runs in rounds, ours
//! and the reference in turn ([`in_turn`]), and reports the round with the median ratio and the
//! spread of all the rounds ([`Measure::median`]).

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serversocket::seed::SERVER_GREETING;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

/// Clients at a time in the connect–greet–close measures.
pub const CONCURRENCY: usize = 32;

/// One measure: ours beside the reference, in one unit.
#[derive(Debug, Clone)]
pub struct Measure {
    /// The measure's name, the second word of its `RATIO` line (scripts read it).
    pub name: &'static str,
    /// Our figure (of the median round, once [`Measure::median`] has chosen it).
    pub ours: f64,
    /// The reference's figure, measured just after ours.
    pub reference: f64,
    /// What the figures count (`conn/s`, `ms`, `MiB`, `frames` …).
    pub unit: &'static str,
    /// The lowest and highest ratio over the rounds.
    pub spread: (f64, f64),
    /// How many rounds the median was taken over.
    pub rounds: usize,
}

impl Measure {
    /// A measure of one round.
    #[must_use]
    pub fn once(name: &'static str, ours: f64, reference: f64, unit: &'static str) -> Self {
        let mut this = Self {
            name,
            ours,
            reference,
            unit,
            spread: (0.0, 0.0),
            rounds: 1,
        };
        this.spread = (this.ratio(), this.ratio());
        this
    }

    /// The round with the median ratio, with the spread of all the rounds. Each round measures
    /// ours and then the reference, so a slow minute of the machine weighs on both alike.
    ///
    /// # Panics
    /// When there are no rounds.
    #[must_use]
    pub fn median(rounds: impl IntoIterator<Item = Self>) -> Self {
        let mut rounds: Vec<Self> = rounds.into_iter().collect();
        assert!(!rounds.is_empty(), "a measure needs at least one round");
        rounds.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
        let spread = (rounds[0].ratio(), rounds[rounds.len() - 1].ratio());
        let count = rounds.len();
        let mut middle = rounds.swap_remove(count / 2);
        middle.spread = spread;
        middle.rounds = count;
        middle
    }

    /// [`Measure::median`] of rounds given as (ours, reference) figures, as [`in_turn`] gives.
    #[must_use]
    pub fn of_rounds(
        name: &'static str,
        unit: &'static str,
        rounds: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        Self::median(
            rounds
                .into_iter()
                .map(|(ours, reference)| Self::once(name, ours, reference, unit)),
        )
    }

    /// Ours over the reference; 1 when both are zero (nothing against nothing).
    #[must_use]
    pub fn ratio(&self) -> f64 {
        if self.reference == 0.0 {
            if self.ours == 0.0 { 1.0 } else { f64::INFINITY }
        } else {
            self.ours / self.reference
        }
    }

    /// `RATIO <name> <median ratio> (spread <lowest>–<highest> over <n> rounds; ours …,
    /// reference …, the median round)`, the figures with `decimals` decimals. Scripts read the
    /// first three words.
    #[must_use]
    pub fn ratio_line(&self, decimals: usize) -> String {
        format!(
            "RATIO {} {:.2} (spread {:.2}–{:.2} over {} rounds; ours {:.decimals$} {unit}, reference {:.decimals$} {unit}, the median round)",
            self.name,
            self.ratio(),
            self.spread.0,
            self.spread.1,
            self.rounds,
            self.ours,
            self.reference,
            unit = self.unit,
        )
    }
}

/// Prints each measure's `RATIO` line, then a markdown table of them for docs/benchmarks.md.
pub fn print_report(measures: &[Measure], decimals: usize) {
    print_ratio_lines(measures, decimals);
    print_table(measures, decimals);
}

/// Prints each measure's `RATIO` line.
pub fn print_ratio_lines(measures: &[Measure], decimals: usize) {
    for m in measures {
        println!("{}", m.ratio_line(decimals));
    }
}

/// Prints a blank line and a markdown table of the measures, for docs/benchmarks.md.
pub fn print_table(measures: &[Measure], decimals: usize) {
    println!();
    println!("| measure | ours | reference | ours/reference |");
    println!("|---|---|---|---|");
    for m in measures {
        println!(
            "| {} | {:.decimals$} {unit} | {:.decimals$} {unit} | {:.2} |",
            m.name,
            m.ours,
            m.reference,
            m.ratio(),
            unit = m.unit,
        );
    }
}

/// `rounds` times `measure(true)` (ours), then `measure(false)` (the reference): the rounds
/// as (ours, reference) pairs.
pub fn in_turn<T>(rounds: usize, mut measure: impl FnMut(bool) -> T) -> Vec<(T, T)> {
    (0..rounds)
        .map(|_| {
            let ours = measure(true);
            (ours, measure(false))
        })
        .collect()
}

/// What switching something on costs a rate: `rate(true)` (on) against `rate(false)` (off),
/// `rounds` times, the order swapped each round so neither always runs second. The rounds as
/// measures named `name`, sorted by their ratio, and their ratios as text ("0.91 0.97 …").
pub fn on_against_off(
    name: &'static str,
    rounds: usize,
    unit: &'static str,
    mut rate: impl FnMut(bool) -> f64,
) -> (Vec<Measure>, String) {
    let mut measures: Vec<Measure> = (0..rounds)
        .map(|round| {
            let (on, off) = if round % 2 == 0 {
                let on = rate(true);
                (on, rate(false))
            } else {
                let off = rate(false);
                (rate(true), off)
            };
            Measure::once(name, on, off, unit)
        })
        .collect();
    measures.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
    let ratios: Vec<String> = measures
        .iter()
        .map(|m| format!("{:.2}", m.ratio()))
        .collect();
    (measures, ratios.join(" "))
}

/// The median of `values` (the mean of the middle two when there are evenly many); NaN when
/// there are none.
#[must_use]
pub fn median_of(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut sorted: Vec<f64> = values.into_iter().collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

/// A bench's arguments: `--quick` for a smaller run, other `--` flags, and the names of the
/// measures to run (none named: all). `cargo bench` adds `--bench`, which no bench reads.
#[derive(Debug, Clone)]
pub struct Args {
    /// `--quick`: fewer rounds and smaller loads, to see that the bench runs.
    pub quick: bool,
    flags: Vec<String>,
    only: Vec<String>,
}

impl Args {
    /// This process's arguments.
    #[must_use]
    pub fn from_env() -> Self {
        Self::parse(std::env::args().skip(1))
    }

    /// `args`, the program's name left out.
    #[must_use]
    pub fn parse(args: impl IntoIterator<Item = String>) -> Self {
        let (flags, only): (Vec<String>, Vec<String>) =
            args.into_iter().partition(|arg| arg.starts_with("--"));
        Self {
            quick: flags.iter().any(|flag| flag == "--quick"),
            flags,
            only,
        }
    }

    /// Whether `flag` (`--eager`, say) was given.
    #[must_use]
    pub fn flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|given| given == flag)
    }

    /// The value of a `--name=VALUE` flag, if given (`name` with its dashes).
    #[must_use]
    pub fn value(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find_map(|given| given.strip_prefix(name)?.strip_prefix('='))
    }

    /// Whether the measure `name` runs: it was named, or none was.
    #[must_use]
    pub fn wanted(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|given| given == name)
    }

    /// Rounds of a measure: 5 in a full run, 1 with `--quick`.
    #[must_use]
    pub fn rounds(&self) -> usize {
        if self.quick { 1 } else { 5 }
    }
}

/// A multi-thread tokio runtime with two workers, as our server's runtime has: the clients'
/// driver, and the plain servers', so neither side has more threads than ours.
///
/// # Panics
/// When the runtime cannot be built.
#[must_use]
pub fn two_workers() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime with two workers")
}

/// The plain servers' listener on `runtime`: loopback, an ephemeral port, `SO_REUSEADDR`,
/// `backlog`.
///
/// # Panics
/// When loopback cannot be bound.
#[must_use]
pub fn plain_listener(runtime: &Runtime, backlog: u32) -> TcpListener {
    let _entered = runtime.enter();
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("a loopback port");
    socket.listen(backlog).expect("listening")
}

/// The plain server's greeting job: greet, then wait for the client to leave.
pub async fn greet(mut stream: TcpStream) {
    let _ = stream.write_all(SERVER_GREETING.as_bytes()).await;
    let mut buffer = [0_u8; 4096];
    while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
}

/// One client: connect, read the greeting, each within `patience`. `Err` if refused or cut
/// short.
///
/// # Errors
/// When the connect or the greeting failed or took longer than `patience`.
pub async fn greeted(address: SocketAddr, patience: Duration) -> std::io::Result<TcpStream> {
    let mut stream = tokio::time::timeout(patience, TcpStream::connect(address)).await??;
    let mut greeting = vec![0; SERVER_GREETING.len()];
    tokio::time::timeout(patience, stream.read_exact(&mut greeting)).await??;
    Ok(stream)
}

/// `total` cycles of `connect` (a client that comes, is greeted and is dropped), [`CONCURRENCY`]
/// at a time on `clients`; returns cycles a second.
///
/// # Panics
/// When a client was not served.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn cycles_per_second<F, Fut, S>(clients: &Runtime, total: usize, connect: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = std::io::Result<S>> + Send,
    S: Send,
{
    let start = Instant::now();
    clients.block_on(async {
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|worker| {
                let connect = connect.clone();
                tokio::spawn(async move {
                    for _ in (worker..total).step_by(CONCURRENCY) {
                        drop(connect().await.expect("served"));
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a client task");
        }
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// Resident memory of a process (`"self"` or a process id), in MiB, from `/proc/<it>/statm`.
///
/// # Panics
/// When `/proc` cannot be read (not Linux, or the process is gone).
#[must_use]
pub fn resident_mib(process: &str) -> f64 {
    let statm = std::fs::read_to_string(format!("/proc/{process}/statm")).expect("/proc statm");
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse().ok())
        .expect("resident pages in statm");
    pages * 4096.0 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::{Args, Measure, median_of};

    #[test]
    fn the_median_round_and_the_spread() {
        let measure = Measure::of_rounds("m", "ms", [(3.0, 1.0), (1.0, 1.0), (2.0, 1.0)]);
        assert_eq!(
            (measure.ratio(), measure.spread, measure.rounds),
            (2.0, (1.0, 3.0), 3)
        );
        assert!(
            measure
                .ratio_line(1)
                .starts_with("RATIO m 2.00 (spread 1.00–3.00 over 3")
        );
    }

    #[test]
    fn nothing_against_nothing_is_one() {
        for (ours, reference, expected) in [(0.0, 0.0, 1.0), (2.0, 0.0, f64::INFINITY)] {
            let ratio = Measure::once("m", ours, reference, "frames").ratio();
            assert_eq!(ratio, expected, "{ours} against {reference}");
        }
        assert_eq!(median_of([4.0, 1.0, 2.0, 3.0]), 2.5, "evenly many");
    }

    #[test]
    fn arguments_name_measures_and_flags() {
        let args = Args::parse(["--bench", "--quick", "accept_rate"].map(String::from));
        assert!(args.quick && !args.flag("--eager") && args.flag("--bench"));
        assert!(args.wanted("accept_rate") && !args.wanted("throughput"));
        assert!(Args::parse([]).wanted("anything"));
        let args = Args::parse(["--drain-every=16", "--drain-everything"].map(String::from));
        assert_eq!(args.value("--drain-every"), Some("16"));
        assert_eq!(args.value("--quick"), None);
    }
}

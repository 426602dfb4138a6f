//! Socket measures of the ServerSocket pool, each beside a plain tokio server doing the same job
//! with the same client driver, printed as
//! `RATIO <name> <median ours/reference> (spread <lowest>–<highest> over <n> rounds; …)` lines and a
//! table for docs/benchmarks.md (the harness is `test_support::bench`). Run from the workspace
//! root: `cargo bench --bench pool` (`-- --quick` for a smaller run, `-- accept_rate` for one
//! measure, `-- --eager` for the other event consumer, below, `-- --drain-every=16` for a
//! consumer at a window's pace). Loopback only; every loop is bounded.
//!
//! - `accept_rate`: connections a second accepted, handed to a pooled socket and greeted (the
//!   client reads the greeting, then closes), 32 clients at a time. Goal >= 0.9.
//! - `burst_1000`: 1,000 simultaneous connects with Max >= 1,000: time until all are greeted,
//!   and how many were refused (goal 0; printed separately).
//! - `throughput`: bytes a second of a 256 MiB upload through a pooled socket's
//!   DataAvailable/ReadAll path, against tokio `read` into a buffer, over 11 rounds in a full
//!   run (each takes a tenth of a second, and they swing most). Goal >= 0.9.
//! - `memory_1000`: resident memory added by 1,000 idle connections (goal <= 32 MiB for ours).
//! - `relisten_200`: 200 StopListening/Listen cycles on one port with nobody draining events;
//!   prints the slowest Listen and StopListening call (neither should wait on anything).
//! - `sampling_cost`: `accept_rate` of ours with the kernel's accept queue sampled (the
//!   default) against ours without it, in turn over 9 rounds (5 with `--quick`) with the order
//!   swapped each round; prints each round's ratio, the median and whether the middle half of
//!   the rounds holds 1.0. Goal: no measurable difference.
//! - `wake_cost_accept` and `wake_cost_throughput`: what a thread that does nothing but wake
//!   every millisecond, as our event consumer does, costs the plain loop's `accept_rate` and
//!   `throughput`: the reference with such a thread against the reference alone, in turn over 9
//!   rounds (5 with `--quick`). The part of the two measures' gap that is the consumer's own
//!   wake-ups on this machine, not the pool.
//! - `accept_rate_tls` and `throughput_tls` (in `pool/tls.rs`): the same two measures with
//!   TLS, against a plain tokio-rustls accept loop with the same certificate and client
//!   driver. Goal >= 0.9.
//!
//! Our server's events are drained by a thread the way the window drains them, woken by news
//! and taking a batch at a time, but every millisecond rather than every frame; `--eager`
//! takes each event as it comes instead, as the headless printer does. A full run
//! measures each five times, ours and the reference in turn, and reports the medians: loopback
//! figures on a small virtual machine swing by a third from run to run.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serversocket::seed::Greeter;
use serversocket::{Runtime, ServerSocket, Socket, SocketHandler, event_channel};
use test_support::bench::{
    self, Args, CONCURRENCY, Measure, greet, greeted, resident_mib, two_workers,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "pool/tls.rs"]
mod tls;

/// How often our server's event consumer takes what arrived (unless `--eager`), and the
/// `wake_cost` measures' thread wakes: a millisecond, the pace the goals were set with, unless
/// `--drain-every=MS` says otherwise (16 is a window's frame at 60 Hz).
static DRAIN_EVERY_MS: AtomicU64 = AtomicU64::new(1);

/// See [`DRAIN_EVERY_MS`].
fn drain_every() -> Duration {
    Duration::from_millis(DRAIN_EVERY_MS.load(Ordering::Relaxed))
}
/// Set by `--eager`: the consumer takes each event as it comes, as the headless printer does.
static EAGER: AtomicBool = AtomicBool::new(false);
/// Rounds of `throughput` in a full run (the other measures take five).
const THROUGHPUT_ROUNDS: usize = 11;
/// No single client operation may take longer; the bench fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

fn main() {
    // `burst_1000` and `memory_1000` hold 1,100 sockets: more than a 1,024 soft limit allows.
    let _ = serversocket_files::open_files::raise_to_hard();
    // `cargo bench --bench pool -- accept_rate` runs only the named measures (for profiling).
    let args = Args::from_env();
    let quick = args.quick;
    EAGER.store(args.flag("--eager"), Ordering::Relaxed);
    if args.flag("--drain-every") {
        eprintln!("--drain-every takes its value after an equals sign: --drain-every=16");
        std::process::exit(2);
    }
    if let Some(ms) = args.value("--drain-every") {
        let Ok(ms @ 1..=1000) = ms.parse::<u64>() else {
            eprintln!("--drain-every=MS takes a whole number of milliseconds from 1 to 1000");
            std::process::exit(2);
        };
        DRAIN_EVERY_MS.store(ms, Ordering::Relaxed);
        println!("the event consumer drains every {ms} ms (the goals are set at 1 ms)");
    }
    let clients = two_workers();
    // Loopback figures on a small machine swing from run to run: a full run measures each
    // five times, ours and the reference in turn, and reports the medians.
    let runs = args.rounds();
    let mut measures = Vec::new();
    if args.wanted("accept_rate") {
        let total = if quick { 500 } else { 5_000 };
        measures.push(Measure::median(
            (0..runs).map(|_| accept_rate(&clients, total)),
        ));
    }
    let mut refused = None;
    if args.wanted("burst_1000") {
        let mut most = (0, 0);
        measures.push(Measure::median((0..runs).map(|_| {
            let (measure, seen) = burst_1000(&clients);
            most = (most.0.max(seen.0), most.1.max(seen.1));
            measure
        })));
        refused = Some(most);
    }
    if args.wanted("throughput") {
        let mib = if quick { 32 } else { 256 };
        // A round takes a tenth of a second and swings most (one side's threads sharing a core
        // or not): eleven rounds' median, not five, says where it sits.
        let rounds = if quick { 1 } else { THROUGHPUT_ROUNDS };
        measures.push(Measure::median(
            (0..rounds).map(|_| throughput(&clients, mib)),
        ));
    }
    if args.wanted("memory_1000") {
        measures.push(Measure::median((0..runs).map(|_| memory_1000(&clients))));
    }
    if args.wanted("relisten_200") {
        relisten_200();
    }
    if args.wanted("wake_cost_accept") {
        let (total, rounds) = if quick { (500, 5) } else { (5_000, 9) };
        measures.push(wake_cost("wake_cost_accept", rounds, "conn/s", || {
            plain_accept_rate(&clients, total)
        }));
    }
    if args.wanted("wake_cost_throughput") {
        let (mib, rounds) = if quick { (32, 5) } else { (256, 9) };
        measures.push(wake_cost("wake_cost_throughput", rounds, "MiB/s", || {
            plain_throughput(&clients, mib)
        }));
    }
    if args.wanted("accept_rate_tls") {
        let total = if quick { 300 } else { 2_000 };
        measures.push(Measure::median(
            (0..runs).map(|_| tls::accept_rate_tls(&clients, total)),
        ));
    }
    if args.wanted("throughput_tls") {
        let mib = if quick { 32 } else { 256 };
        measures.push(Measure::median(
            (0..runs).map(|_| tls::throughput_tls(&clients, mib)),
        ));
    }
    if args.wanted("sampling_cost") {
        // A difference of a few percent hides in run-to-run noise unless the two are measured
        // in turn, many times, the order swapped every round so a drifting machine favours
        // neither; at least five rounds even with --quick.
        let (total, rounds) = if quick { (500, 5) } else { (5_000, 9) };
        measures.push(sampling_cost(&clients, total, rounds));
    }
    bench::print_ratio_lines(&measures, 1);
    if let Some((ours, reference)) = refused {
        println!("burst_1000 refused: ours {ours}, reference {reference}");
    }
    bench::print_table(&measures, 1);
}

/// Our server: the pool with the seed's greeter (or `handler`), events drained by a thread.
struct Ours {
    server: ServerSocket,
    address: SocketAddr,
    _runtime: Runtime,
}

impl Ours {
    fn start<H: SocketHandler>(
        max: usize,
        handler: impl FnMut(serversocket::SocketId) -> H + Send + 'static,
    ) -> Self {
        Self::start_sampling(max, handler, true)
    }

    /// [`Self::start`], with the kernel's accept queue sampled or not.
    fn start_sampling<H: SocketHandler>(
        max: usize,
        handler: impl FnMut(serversocket::SocketId) -> H + Send + 'static,
        kernel_sampling: bool,
    ) -> Self {
        let runtime = Runtime::new().unwrap();
        let (events, mut receiver) = event_channel(None);
        // The consumer drains like the window does, only more often: it waits for news, lets
        // a millisecond's worth gather (a window's frame lets 16 gather), then takes it all.
        // With `--eager` it takes each event as it comes, as the headless printer does.
        let pause = if EAGER.load(Ordering::Relaxed) {
            Duration::ZERO
        } else {
            drain_every()
        };
        std::thread::spawn(move || {
            while receiver.recv_timeout(Duration::from_secs(3600)).is_some() {
                if !pause.is_zero() {
                    std::thread::sleep(pause);
                }
                while receiver.try_recv().is_some() {}
            }
        });
        let mut server = ServerSocket::new(&runtime, events, handler);
        server.set_port(0);
        server.set_limits(2, max).unwrap();
        server.set_kernel_sampling(kernel_sampling);
        let address = server.listen().unwrap();
        Self {
            server,
            address,
            _runtime: runtime,
        }
    }
}

/// The reference: a plain tokio accept loop, on a runtime of its own with two workers like
/// ours, so both servers have the same threads; each connection runs `serve`.
struct Plain {
    address: SocketAddr,
    /// Dropping it stops the server.
    _runtime: tokio::runtime::Runtime,
}

fn reference<F, Fut>(serve: F) -> Plain
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = two_workers();
    let listener = bench::plain_listener(&runtime, 1024);
    let address = listener.local_addr().unwrap();
    let serve = Arc::new(serve);
    runtime.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn((serve)(stream));
        }
    });
    Plain {
        address,
        _runtime: runtime,
    }
}

/// `total` connect–greet–close cycles, [`CONCURRENCY`] at a time; returns connections a second.
fn cycles_per_second(clients: &tokio::runtime::Runtime, address: SocketAddr, total: usize) -> f64 {
    bench::cycles_per_second(clients, total, move || greeted(address, PATIENCE))
}

fn accept_rate(clients: &tokio::runtime::Runtime, total: usize) -> Measure {
    let ours = Ours::start(CONCURRENCY * 2, |_| Greeter::default());
    let ours_rate = cycles_per_second(clients, ours.address, total);
    drop(ours);
    let reference_rate = plain_accept_rate(clients, total);
    Measure::once("accept_rate", ours_rate, reference_rate, "conn/s")
}

/// The reference's side of `accept_rate`: connections a second.
fn plain_accept_rate(clients: &tokio::runtime::Runtime, total: usize) -> f64 {
    let plain = reference(greet);
    let rate = cycles_per_second(clients, plain.address, total);
    drop(plain);
    rate
}

/// What a thread waking every [`drain_every`] for nothing costs the reference's `rate`: with
/// one against without, `rounds` times in turn. Prints every round's ratio; returns the round
/// with the median ratio.
fn wake_cost(
    name: &'static str,
    rounds: usize,
    unit: &'static str,
    mut rate: impl FnMut() -> f64,
) -> Measure {
    let (measures, ratios) = test_support::bench::on_against_off(name, rounds, unit, |on| {
        let _ticker = on.then(Ticker::start);
        rate()
    });
    println!(
        "{name}: {rounds} rounds, with/without a thread waking every {} ms, sorted: {ratios}",
        drain_every().as_millis()
    );
    Measure::median(measures)
}

/// A thread that wakes every [`drain_every`] and does nothing else, as our event consumer
/// wakes with nothing to take, until dropped.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    /// No round lasts longer than this many ticks (an hour's worth at a millisecond).
    const MOST_TICKS: u32 = 3_600_000;

    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for _ in 0..Self::MOST_TICKS {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(drain_every());
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What sampling the accept queue costs the accept rate: ours with it against ours without,
/// `rounds` times, the two in turn and the order swapped each round. Prints every round's
/// ratio and their spread; returns the round with the median ratio.
fn sampling_cost(clients: &tokio::runtime::Runtime, total: usize, rounds: usize) -> Measure {
    let rate = |sampling: bool| {
        let server = Ours::start_sampling(CONCURRENCY * 2, |_| Greeter::default(), sampling);
        let rate = cycles_per_second(clients, server.address, total);
        drop(server);
        rate
    };
    let (measures, ratios) =
        test_support::bench::on_against_off("sampling_cost", rounds, "conn/s", rate);
    // The middle half of the rounds: if it holds 1.0, sampling costs nothing this machine can
    // tell from noise.
    let (low, high) = (&measures[rounds / 4], &measures[rounds - 1 - rounds / 4]);
    let (low, high) = (low.ratio(), high.ratio());
    let verdict = if low <= 1.0 && 1.0 <= high {
        "no measurable cost"
    } else if high < 1.0 {
        "sampling is slower"
    } else {
        "sampling is faster (noise)"
    };
    println!(
        "sampling_cost: {rounds} rounds, sampled/unsampled sorted: {ratios}; middle half {low:.2}..{high:.2}: {verdict}"
    );
    Measure::median(measures)
}

/// 1,000 clients connect at once; returns (milliseconds until all greeted, refused count).
fn all_at_once(clients: &tokio::runtime::Runtime, address: SocketAddr) -> (f64, usize) {
    let start = Instant::now();
    let (streams, refused) = clients.block_on(async {
        let tasks: Vec<_> = (0..1_000)
            .map(|_| tokio::spawn(greeted(address, PATIENCE)))
            .collect();
        let mut streams = Vec::new();
        let mut refused = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(stream) => streams.push(stream),
                Err(_) => refused += 1,
            }
        }
        (streams, refused)
    });
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    drop(streams);
    (elapsed, refused)
}

fn burst_1000(clients: &tokio::runtime::Runtime) -> (Measure, (usize, usize)) {
    let ours = Ours::start(1_100, |_| Greeter::default());
    let (ours_ms, ours_refused) = all_at_once(clients, ours.address);
    drop(ours);
    let plain = reference(greet);
    let (reference_ms, reference_refused) = all_at_once(clients, plain.address);
    drop(plain);
    (
        Measure::once("burst_1000", ours_ms, reference_ms, "ms"),
        (ours_refused, reference_refused),
    )
}

/// Counts what arrives through DataAvailable and ReadAll.
struct Counting(Arc<AtomicU64>);

impl SocketHandler for Counting {
    fn data_available(&mut self, socket: &mut Socket) {
        let data = socket.read_all();
        self.0.fetch_add(data.len() as u64, Ordering::Relaxed);
    }
}

/// Uploads `mib` MiB and waits until the server has counted all of it; returns MiB a second.
fn upload(
    clients: &tokio::runtime::Runtime,
    address: SocketAddr,
    counted: &AtomicU64,
    mib: u64,
) -> f64 {
    let total = mib * 1024 * 1024;
    let start = Instant::now();
    clients.block_on(async {
        let mut stream = TcpStream::connect(address).await.unwrap();
        let block = vec![0x5a_u8; 1024 * 1024];
        for _ in 0..mib {
            stream.write_all(&block).await.unwrap();
        }
        for _ in 0..(PATIENCE.as_millis() as usize) {
            if counted.load(Ordering::Relaxed) >= total {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    assert_eq!(counted.load(Ordering::Relaxed), total, "every byte arrived");
    mib as f64 / start.elapsed().as_secs_f64()
}

fn throughput(clients: &tokio::runtime::Runtime, mib: u64) -> Measure {
    let counted = Arc::new(AtomicU64::new(0));
    let ours_counter = Arc::clone(&counted);
    let ours = Ours::start(10, move |_| Counting(Arc::clone(&ours_counter)));
    let ours_rate = upload(clients, ours.address, &counted, mib);
    drop(ours);
    let reference_rate = plain_throughput(clients, mib);
    Measure::once("throughput", ours_rate, reference_rate, "MiB/s")
}

/// The reference's side of `throughput`: MiB a second, read into a buffer.
fn plain_throughput(clients: &tokio::runtime::Runtime, mib: u64) -> f64 {
    let counted = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&counted);
    let plain = reference(move |mut stream: TcpStream| {
        let counter = Arc::clone(&counter);
        async move {
            let mut buffer = vec![0_u8; 64 * 1024];
            while let Ok(n @ 1..) = stream.read(&mut buffer).await {
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    });
    let rate = upload(clients, plain.address, &counted, mib);
    drop(plain);
    rate
}

/// Opens 1,000 greeted connections and returns the memory they added, in MiB.
fn thousand_idle(clients: &tokio::runtime::Runtime, address: SocketAddr) -> f64 {
    let before = resident_mib("self");
    let streams = clients.block_on(async {
        let mut streams = Vec::new();
        for _ in 0..1_000 {
            streams.push(greeted(address, PATIENCE).await.expect("served"));
        }
        streams
    });
    std::thread::sleep(Duration::from_millis(200));
    let grown = resident_mib("self") - before;
    drop(streams);
    grown
}

fn memory_1000(clients: &tokio::runtime::Runtime) -> Measure {
    let ours = Ours::start(1_100, |_| Greeter::default());
    let ours_mib = thousand_idle(clients, ours.address);
    drop(ours);
    let plain = reference(greet);
    let reference_mib = thousand_idle(clients, plain.address);
    drop(plain);
    Measure::once("memory_1000", ours_mib, reference_mib.max(0.1), "MiB")
}

/// 200 StopListening/Listen cycles on one port, events never drained (the channel fills up
/// midway): prints the slowest call of each kind. Both only bind, close and spawn.
fn relisten_200() {
    let runtime = Runtime::new().unwrap();
    let (events, _receiver) = event_channel(None);
    let mut server = ServerSocket::new(&runtime, events, |_| Greeter::default());
    server.set_port(0);
    server.set_limits(10, 10).unwrap();
    let address = server.listen().unwrap();
    // One port for every cycle: port 0 would ask for any free port each time.
    server.set_port(address.port());
    let (mut slowest_stop, mut slowest_listen) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..200 {
        let start = Instant::now();
        server.stop_listening();
        slowest_stop = slowest_stop.max(start.elapsed());
        let start = Instant::now();
        assert_eq!(server.listen().unwrap(), address);
        slowest_listen = slowest_listen.max(start.elapsed());
    }
    println!(
        "relisten_200: slowest Listen {slowest_listen:?}, slowest StopListening {slowest_stop:?}"
    );
}

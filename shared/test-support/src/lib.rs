//! What the tests of every crate share, written once: one patience, waits with a deadline,
//! free ports, bursts of clients released together, and kittest frames run until a window
//! shows what a test waits for. A dev-dependency only (`publish = false`).
//!
//! # Layout
//! - [`PATIENCE`], [`within_patience`], [`received_within_patience`], [`exited`]: how long a
//!   test waits for anything, the one bounded poll, the one bounded wait on a channel, and the
//!   wait for a child process to end; [`within`] for the rare wait bounded otherwise.
//! - [`free_port`]: a loopback port nothing listens on.
//! - [`empty_folder`]: a test's own folder, made new and empty.
//! - [`tshark_reads`]: a capture file as Wireshark's reader prints it.
//! - [`assert_whole_sentences`]: a window's explanation reads as whole sentences.
//! - [`ReaderGone`]: an output whose reader went away (a pipe into an ended `head`).
//! - [`at_once`]: many threads released by one barrier (a burst of clients).
//! - [`app`]: an app's binary run as a script would run it (its lines read with a deadline,
//!   `Command::output` with a deadline, the other app's binary found).
//! - [`other_user`]: a real second Unix user, and programs run as that user (`setpriv`).
//! - `kittest` (feature `kittest`): a window in a harness, and frames run until a condition
//!   holds.
//! - `sockets` (feature `sockets`): a greeting server on an ephemeral loopback port, a client
//!   of it, and `sockets::Watch`, a bounded wait for the event a test expects.
//! - `bench` (feature `bench`): the benchmarks' harness (a measure beside its reference, the
//!   `RATIO` lines and table, arguments, the clients' runtime, a greeting client and server).

#![forbid(unsafe_code)]
#![allow(clippy::expect_used)]

use std::net::TcpListener;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

pub mod app;
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(feature = "kittest")]
pub mod kittest;
pub mod other_user;
#[cfg(feature = "sockets")]
pub mod sockets;

/// A folder of this test's own in the temp folder, named `name` and the process id (nextest
/// runs each test in a process of its own), emptied of what an earlier run left and made anew,
/// private (0700) as the apps want the folders they keep state in.
///
/// # Panics
/// When the folder cannot be made.
#[must_use]
pub fn empty_folder(name: &str) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&folder)
        .expect("a folder of the test's own in the temp folder");
    folder
}

/// What `tshark -r file` prints of `file`, a capture file, with `more` arguments (which fields):
/// an export's proof that a program nobody here wrote reads it.
///
/// # Panics
/// When tshark is missing or fails to read the file.
#[must_use]
pub fn tshark_reads(file: &std::path::Path, more: &[&str]) -> String {
    let read = std::process::Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(more)
        .output()
        .expect("tshark runs (apt-get install tshark; .ci/setup installs it)");
    assert!(
        read.status.success(),
        "tshark read {}: {}",
        file.display(),
        String::from_utf8_lossy(&read.stderr)
    );
    String::from_utf8(read.stdout).expect("tshark prints text")
}

/// An output whose reader went away, as a pipe into a `head` that has ended: every write fails
/// with `BrokenPipe`.
#[derive(Debug)]
pub struct ReaderGone;

impl std::io::Write for ReaderGone {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How long any test waits for something that should happen (a connection, an event, a line,
/// a frame). Generous, because two cores are shared by parallel tests: it is a bound against
/// hanging, never a measure of speed.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How often [`within_patience`] and `kittest::run_until` look again.
pub const POLL: Duration = Duration::from_millis(10);

/// Asserts that an explanation a window shows (a concept, a tooltip) is whole sentences: it
/// ends with a full stop, and no parenthesis opens inside another (a reader loses which one
/// closes where). `what` names it in the failure.
pub fn assert_whole_sentences(what: &str, text: &str) {
    assert!(
        text.ends_with('.'),
        "{what} does not end with a full stop: {text}"
    );
    let mut depth = 0_u32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        assert!(
            depth <= 1,
            "{what} has a parenthesis inside another: {text}"
        );
    }
}

/// Polls `ready` every [`POLL`] until it gives a value, for at most [`PATIENCE`]: for states
/// that send no event to wait on (a kernel's TCP state, a buffer's fill). `None` when it never
/// did; the caller fails the test saying what it saw last.
pub fn within_patience<T>(ready: impl FnMut() -> Option<T>) -> Option<T> {
    within(PATIENCE, ready)
}

/// [`within_patience`] with another bound, for the rare wait that is rightly longer than one
/// patience (a whole program started on a virtual display while the other tests run).
pub fn within<T>(bound: Duration, mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(value) = ready() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Takes what `receive(time_left)` gives until `wanted` takes one, for at most [`PATIENCE`] in
/// all: for a channel of events or lines, where a test waits on the news itself rather than
/// polling. `None` when the patience ran out or `receive` gave nothing (its time was up, or
/// its channel closed); the caller fails the test saying what it saw.
pub fn received_within_patience<T, R>(
    mut receive: impl FnMut(Duration) -> Option<T>,
    mut wanted: impl FnMut(T) -> Option<R>,
) -> Option<R> {
    let deadline = Instant::now() + PATIENCE;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Some(done) = wanted(receive(left)?) {
            return Some(done);
        }
    }
    None
}

/// A wait for one item among interleaved ones (a socket's events, an app's lines): the first
/// item no earlier wait claimed that `wanted` takes, else what `receive` gives until `wanted`
/// takes one (at most [`PATIENCE`]). Everything received goes to `seen`, in order; what
/// `wanted` does not take stays in `unclaimed` for a later wait. `None` when the patience ran
/// out or `receive` gave nothing.
pub(crate) fn claim<T: Clone>(
    seen: &mut Vec<T>,
    unclaimed: &mut std::collections::VecDeque<T>,
    receive: impl FnMut(Duration) -> Option<T>,
    wanted: impl Fn(&T) -> bool,
) -> Option<T> {
    if let Some(index) = unclaimed.iter().position(&wanted) {
        return unclaimed.remove(index);
    }
    received_within_patience(receive, |item| {
        seen.push(item.clone());
        if wanted(&item) {
            return Some(item);
        }
        unclaimed.push_back(item);
        None
    })
}

/// Waits (at most [`PATIENCE`]) for `child` to exit and returns how it did; kills it and fails
/// the test with `failure` when it does not.
///
/// # Panics
/// When the child is still running after [`PATIENCE`].
pub fn exited(child: &mut std::process::Child, failure: &str) -> std::process::ExitStatus {
    within_patience(|| child.try_wait().expect("the child's status")).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("{failure}");
    })
}

/// A loopback port that nothing listens on now: the OS picks it, and the listener that took it
/// is closed again. For a test that must know the port before something listens (or must find
/// it refused).
#[must_use]
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("the OS gives a free loopback port")
        .port()
}

/// Runs `each(i)` for `i` in `0..count` on threads of their own, released together by one
/// barrier (a burst), and returns their results in order.
///
/// # Panics
/// When a thread panicked (its assertion fails the test).
pub fn at_once<T: Send + 'static>(
    count: usize,
    each: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let start = Arc::new(Barrier::new(count));
    let each = Arc::new(each);
    let threads: Vec<_> = (0..count)
        .map(|i| {
            let (start, each) = (Arc::clone(&start), Arc::clone(&each));
            std::thread::spawn(move || {
                start.wait();
                each(i)
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|thread| thread.join().expect("a burst thread panicked"))
        .collect()
}

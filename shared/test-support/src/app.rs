//! An app's binary run as a user's script would run it: its stdout lines read through a
//! channel (so every read has a deadline), its exit waited for within [`PATIENCE`], and the
//! other app's binary found beside this crate's own.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;

use serde_json::Value;

use crate::{PATIENCE, exited};

/// The other app's binary, beside `own` (this crate's binary, `env!("CARGO_BIN_EXE_…")`).
/// `cargo test --workspace` and `cargo nextest run --workspace` build both apps before any
/// test runs; a test of one crate alone does not build the other's binary.
///
/// # Panics
/// When the other binary is not there.
#[must_use]
pub fn beside(own: &str, other: &str) -> PathBuf {
    let path = Path::new(own).with_file_name(format!("{other}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// Runs `command` to its end, within [`PATIENCE`] (killed, and the test failed, if not), and
/// returns its status and what it wrote: `Command::output` with a deadline.
///
/// # Panics
/// When it cannot start, or does not exit within [`PATIENCE`].
pub fn output(command: &mut Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("a piped stdout")));
    let stderr = read_all(Box::new(child.stderr.take().expect("a piped stderr")));
    let status = exited(&mut child, &format!("{command:?} did not exit"));
    Output {
        status,
        stdout: stdout.join().expect("the stdout reader"),
        stderr: stderr.join().expect("the stderr reader"),
    }
}

/// Runs `command` to its end (see [`output`]) and returns its exit code, stdout and stderr as
/// text.
pub fn outcome(command: &mut Command) -> (Option<i32>, String, String) {
    let output = output(command);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The text a `--help` (or any run that must succeed) prints: runs `command` to its end (see
/// [`output`]) and fails the test unless it succeeded.
pub fn printed_by_success(command: &mut Command) -> String {
    let (code, stdout, stderr) = outcome(command);
    assert_eq!(code, Some(0), "{stderr}");
    stdout
}

/// Checks what `program --version` printed: the program's name, then `full` (the version with
/// the commit it was built from, or "unknown" outside a git clone), which begins with the
/// crate's version and "(commit ".
///
/// # Panics
/// When the line says anything else.
pub fn assert_names_its_version(program: &str, printed: &str, full: &str, crate_version: &str) {
    assert_eq!(printed.trim(), format!("{program} {full}"));
    assert!(
        printed
            .trim()
            .starts_with(&format!("{program} {crate_version} (commit ")),
        "{printed}"
    );
}

/// The server (`binary`, server-app) headless in naive mode on a free port, printing JSON: one
/// socket, which after each connection reopens the listener `relisten_delay_ms` later.
#[must_use]
pub fn naive_server(binary: PathBuf, relisten_delay_ms: &str) -> App {
    let args = ["--headless", "--port", "0", "--json", "--mode", "naive"];
    let delay = ["--relisten-delay-ms", relisten_delay_ms];
    App::start(binary, &[&args[..], &delay[..]].concat())
}

/// Starts `command` with its stdout a pipe the caller reads itself (no thread of [`App`]
/// between, for a test of the pipe or a bench timing its lines), and reads its first line,
/// which must be a JSON `listening` record. Returns the child, the reader (past that line) and
/// the address the line gives.
///
/// # Panics
/// When it cannot start, or its first line is not a `listening` record.
pub fn listening_on_a_pipe(
    command: &mut Command,
) -> (Child, BufReader<std::process::ChildStdout>, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("a piped stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("its output is text");
    let listening: Value = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("the first line is not JSON ({e}): {first}"));
    assert_eq!(listening["event"], "listening", "{first}");
    let address = listening["address"]
        .as_str()
        .expect("an address")
        .to_owned();
    (child, stdout, address)
}

/// A running app whose stdout lines arrive through a channel, so every read has a deadline.
/// Lines from different sockets interleave in any order, so a wait also matches lines that
/// arrived earlier and no wait has claimed yet. Killed when dropped.
pub struct App {
    /// The running binary (its id, to signal it or read its `/proc` entry).
    pub child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far, in order.
    pub seen: Vec<String>,
    /// Lines read that no wait has claimed.
    unclaimed: std::collections::VecDeque<String>,
    /// For a reader that stalls: lets it read on ([`App::resume`]).
    gate: Option<mpsc::Sender<()>>,
}

impl App {
    /// Runs `binary` with `args`.
    #[must_use]
    pub fn start(binary: PathBuf, args: &[&str]) -> Self {
        Self::start_stalling(binary, args, usize::MAX)
    }

    /// Like `app | (head -n N; sleep)`: reads `lines` lines, then stops reading until
    /// [`App::resume`] (or until the test's patience runs out three times over).
    #[must_use]
    pub fn start_stalling(binary: PathBuf, args: &[&str], lines: usize) -> Self {
        Self::start_with(binary, args, lines, None)
    }

    /// Like [`App::start`], with its data folder (`XDG_DATA_HOME`) in `data_home`.
    #[must_use]
    pub fn start_in(binary: PathBuf, args: &[&str], data_home: &Path) -> Self {
        Self::start_with(binary, args, usize::MAX, Some(data_home))
    }

    fn start_with(binary: PathBuf, args: &[&str], lines: usize, data_home: Option<&Path>) -> Self {
        let mut command = Command::new(binary);
        if let Some(data_home) = data_home {
            command.env("XDG_DATA_HOME", data_home);
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the app starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        let (sender, received) = mpsc::channel();
        let (gate, stalled) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout).lines().map_while(Result::ok);
            for line in reader.by_ref().take(lines) {
                if sender.send(line).is_err() {
                    return;
                }
            }
            // The stall a test asks for (a reader that stops reading), not a wait for
            // something: it ends when the test resumes the reader.
            let _ = stalled.recv_timeout(3 * PATIENCE);
            for line in reader {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines: received,
            seen: Vec::new(),
            unclaimed: std::collections::VecDeque::new(),
            gate: Some(gate),
        }
    }

    /// A stalled reader reads on.
    pub fn resume(&mut self) {
        if let Some(gate) = self.gate.take() {
            let _ = gate.send(());
        }
    }

    /// Waits for the exit without reading (the reader may be stalled); fails after [`PATIENCE`].
    pub fn exit_status(&mut self) -> ExitStatus {
        exited(
            &mut self.child,
            &format!("did not exit within {PATIENCE:?} while nobody read its output"),
        )
    }

    /// Reads lines until one matches; fails the test (showing what came) at end of output or time.
    pub fn until_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let lines = &self.lines;
        let found = crate::claim(
            &mut self.seen,
            &mut self.unclaimed,
            |left| lines.recv_timeout(left).ok(),
            |line: &String| wanted(line),
        );
        found.unwrap_or_else(|| panic!("no line for {what}; lines so far: {:#?}", self.seen))
    }

    /// Reads JSON lines until one matches; fails the test on a line that is not a JSON event
    /// (an object with `event` and `ts`).
    pub fn until_json(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let line = self.until_line(what, |line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
            assert!(
                value["event"].is_string() && value["ts"].is_string(),
                "{line}"
            );
            wanted(&value)
        });
        serde_json::from_str(&line).expect("a line already parsed")
    }

    /// Reads JSON lines until the event named `event` comes.
    pub fn until_event(&mut self, event: &str) -> Value {
        self.until_json(event, |v| is_event(v, event))
    }

    /// Reads JSON lines until the `listening` line; returns the address it names
    /// (`127.0.0.1:PORT`).
    pub fn listening_address(&mut self) -> String {
        self.until_event("listening")["address"]
            .as_str()
            .expect("the listening line names its address")
            .to_owned()
    }

    /// The program's process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the signal `name` (`TERM`, `INT` …) with `kill`.
    ///
    /// # Panics
    /// When `kill` fails.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the exit, reading the rest of the output; fails after [`PATIENCE`]. Returns
    /// the status, every line of the run (the ones already read included) and stderr.
    pub fn wait(&mut self) -> (ExitStatus, Vec<String>, String) {
        self.resume();
        let status = exited(
            &mut self.child,
            &format!("did not exit; output: {:#?}", self.seen),
        );
        // The reader thread ends at end of output, which disconnects the channel.
        let mut all = std::mem::take(&mut self.seen);
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            all.push(line);
        }
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .expect("a piped stderr")
            .read_to_string(&mut stderr)
            .expect("stderr is text");
        (status, all, stderr)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the JSON line `value` is the event named `event`.
#[must_use]
pub fn is_event(value: &Value, event: &str) -> bool {
    value["event"] == event
}

/// The port of an `address` as the apps print it (`127.0.0.1:2002`).
///
/// # Panics
/// When the address has no port.
#[must_use]
pub fn port_of(address: &str) -> String {
    address
        .rsplit(':')
        .next()
        .expect("an address with a port")
        .to_owned()
}

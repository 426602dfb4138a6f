//! The headless command-line contract, checked from outside as a user's script would: the two
//! real binaries run against each other on loopback and their output lines are read.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any wait for a line or an exit may take before the test fails.
use test_support::PATIENCE;

fn server_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_server-app"))
}

/// `cargo test --workspace` builds client-app beside server-app (client-app's own integration
/// tests make cargo build its binary before any test runs).
fn client_binary() -> PathBuf {
    let path =
        server_binary().with_file_name(format!("client-app{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// A running app whose stdout lines arrive through a channel, so every read has a deadline.
/// Lines from different sockets interleave in any order, so a wait also matches lines that
/// arrived earlier and no wait has claimed yet.
struct App {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far, in order.
    seen: Vec<String>,
    /// Lines read that no wait has claimed.
    unclaimed: Vec<String>,
    /// For a reader that stalls: lets it read on ([`App::resume`]).
    gate: Option<mpsc::Sender<()>>,
}

impl App {
    fn start(binary: PathBuf, args: &[&str]) -> Self {
        Self::start_stalling(binary, args, usize::MAX)
    }

    /// Like `app | (head -n N; sleep)`: reads `lines` lines, then stops reading until
    /// [`App::resume`] (or until the test's patience runs out three times over).
    fn start_stalling(binary: PathBuf, args: &[&str], lines: usize) -> Self {
        Self::start_with(binary, args, lines, None)
    }

    /// Like [`App::start`], with its data folder (`XDG_DATA_HOME`) in `data_home`.
    fn start_in(binary: PathBuf, args: &[&str], data_home: &std::path::Path) -> Self {
        Self::start_with(binary, args, usize::MAX, Some(data_home))
    }

    fn start_with(
        binary: PathBuf,
        args: &[&str],
        lines: usize,
        data_home: Option<&std::path::Path>,
    ) -> Self {
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
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, received) = mpsc::channel();
        let (gate, stalled) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout).lines().map_while(Result::ok);
            for line in reader.by_ref().take(lines) {
                if sender.send(line).is_err() {
                    return;
                }
            }
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
            unclaimed: Vec::new(),
            gate: Some(gate),
        }
    }

    /// A stalled reader reads on.
    fn resume(&mut self) {
        if let Some(gate) = self.gate.take() {
            let _ = gate.send(());
        }
    }

    /// Waits for the exit without reading (the reader may be stalled); fails after [`PATIENCE`].
    fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "did not exit within {PATIENCE:?} while nobody read its output"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Reads lines until one matches; fails the test (showing what came) at end of output or time.
    fn until_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        if let Some(index) = self.unclaimed.iter().position(|line| wanted(line)) {
            return self.unclaimed.remove(index);
        }
        let deadline = Instant::now() + PATIENCE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            self.seen.push(line.clone());
            if wanted(&line) {
                return line;
            }
            self.unclaimed.push(line);
        }
        panic!("no line for {what}; lines so far: {:#?}", self.seen);
    }

    /// Reads JSON lines until one matches.
    fn until_json(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let line = self.until_line(what, |line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
            assert!(
                value["event"].is_string() && value["ts"].is_string(),
                "{line}"
            );
            wanted(&value)
        });
        serde_json::from_str(&line).unwrap()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit, reading the rest of the output; fails after [`PATIENCE`].
    fn wait(&mut self) -> (ExitStatus, Vec<String>, String) {
        self.resume();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader thread ends at end of output, which disconnects the channel.
                let mut all = std::mem::take(&mut self.seen);
                while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
                    all.push(line);
                }
                let mut stderr = String::new();
                std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut stderr)
                    .unwrap();
                return (status, all, stderr);
            }
            assert!(
                Instant::now() < deadline,
                "did not exit; output: {:#?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_event(value: &Value, event: &str) -> bool {
    value["event"] == event
}

#[test]
fn the_seed_conversation_in_json_lines() {
    let mut server = App::start(server_binary(), &["--headless", "--port", "0", "--json"]);
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    assert_eq!(listening["min"], 2);
    assert_eq!(listening["max"], 10);
    let address = listening["address"].as_str().unwrap().to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    let port = address.rsplit(':').next().unwrap().to_owned();
    server.until_json("add_socket 0", |v| {
        is_event(v, "add_socket") && v["socket"] == 0
    });
    server.until_json("add_socket 1", |v| {
        is_event(v, "add_socket") && v["socket"] == 1
    });

    let mut client = App::start(
        client_binary(),
        &["--headless", "--port", &port, "--connect", "3", "--json"],
    );
    for socket in 0..3_u64 {
        client.until_json("connected", |v| {
            is_event(v, "connected") && v["socket"] == socket
        });
    }
    for socket in 0..3_u64 {
        let greeting =
            client.until_json("greeting", |v| is_event(v, "data") && v["socket"] == socket);
        assert_eq!(
            greeting["text"],
            "From the server socket, I connected to you."
        );
        assert_eq!(greeting["bytes"], 43);
    }
    // The server logs each client's hello and reply (in one chunk or two). Which client a
    // pooled socket gets depends on which connect arrives first, so compare them as a set.
    let mut conversations = std::collections::BTreeSet::new();
    for socket in 0..3_u64 {
        server.until_json("connected", |v| {
            is_event(v, "connected") && v["socket"] == socket
        });
        let mut text = String::new();
        for _chunk in 0..8 {
            if text.ends_with(" I got something from you.") {
                break;
            }
            let data = server.until_json("data", |v| is_event(v, "data") && v["socket"] == socket);
            text.push_str(data["text"].as_str().unwrap());
        }
        conversations.insert(text);
    }
    let expected: std::collections::BTreeSet<String> = (0..3)
        .map(|client| format!("Socket {client} connected! I got something from you."))
        .collect();
    assert_eq!(conversations, expected);
    assert!(
        server.seen.iter().any(|l| l.contains("\"send_complete\"")),
        "{:#?}",
        server.seen
    );

    // SIGTERM: the server closes every connection, prints stopped last and exits 0; the client
    // sees each socket lost (102) and closed, then exits 0.
    server.signal("TERM");
    let (status, lines, _) = server.wait();
    assert!(status.success(), "server exit {status:?}");
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["event"], "stopped", "{lines:#?}");
    assert_eq!(
        lines.iter().filter(|l| l.contains("\"closed\"")).count(),
        3,
        "{lines:#?}"
    );
    for socket in 0..3_u64 {
        let error = client.until_json("lost connection", |v| {
            is_event(v, "error") && v["socket"] == socket
        });
        assert_eq!(error["code"], 102);
    }
    let (status, lines, _) = client.wait();
    assert!(status.success(), "client exit {status:?}");
    assert_eq!(
        lines.iter().filter(|l| l.contains("\"closed\"")).count(),
        3,
        "{lines:#?}"
    );
}

#[test]
fn the_seed_conversation_in_the_seeds_words() {
    let mut server = App::start(
        server_binary(),
        &["--headless", "--port", "0", "--min", "1", "--max", "5"],
    );
    let listening = server.until_line("listening", |l| l.starts_with("Listening on 127.0.0.1:"));
    let port = listening
        .split(':')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        listening.contains("MinimumSocketsAvailable 1, MaximumSocketsConnected 5"),
        "{listening}"
    );
    server.until_line("Added Socket", |l| l == "Added Socket");

    let mut client = App::start(client_binary(), &["--headless", "--port", &port]);
    client.until_line("connected", |l| l == "Socket 0 connected.");
    client.until_line("greeting", |l| {
        l == "Socket 0: From the server socket, I connected to you."
    });
    client.until_line("send complete", |l| l == "Socket 0 send complete.");
    server.until_line("connected", |l| l == "Socket 0 connected.");
    server.until_line("got", |l| {
        l.starts_with("Socket 0 got: Socket 0 connected!")
    });
    server.until_line("send complete", |l| l == "Socket 0 send complete.");

    server.signal("INT");
    let (status, lines, _) = server.wait();
    assert!(status.success());
    assert_eq!(
        lines.last().map(String::as_str),
        Some("Stopped listening."),
        "{lines:#?}"
    );
    client.until_line("lost connection", |l| {
        l == "Socket 0: Error = 102 (lost connection)"
    });
    let (status, _, _) = client.wait();
    assert!(status.success());
}

#[test]
fn a_port_in_use_exits_1_naming_error_105() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut server = App::start(server_binary(), &["--headless", "--port", &port]);
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains(&format!("error 105: 127.0.0.1:{port} is already in use")),
        "{stderr}"
    );

    let mut server = App::start(server_binary(), &["--headless", "--port", &port, "--json"]);
    let error = server.until_json("error", |v| is_event(v, "error"));
    assert_eq!(error["code"], 105);
    let (status, _, _) = server.wait();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn bad_arguments_exit_non_zero_naming_the_port() {
    for port in ["70000", "abc", "-1"] {
        for binary in [server_binary(), client_binary()] {
            let output = Command::new(&binary)
                .args(["--headless", "--port", port])
                .output()
                .unwrap();
            assert!(
                !output.status.success(),
                "{} --port {port} succeeded",
                binary.display()
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("--port") && stderr.contains(port),
                "{stderr}"
            );
        }
    }
    let output = Command::new(server_binary())
        .args(["--headless", "--port", "0", "--min", "5", "--max", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("MinimumSocketsAvailable"));
}

/// The pause an accept error announces: "… tries again in N ms".
fn retry_in_ms(message: &str) -> u64 {
    let (_, after) = message
        .split_once("tries again in ")
        .unwrap_or_else(|| panic!("no retry pause in {message:?}"));
    after.trim_end_matches(" ms").parse().unwrap()
}

/// Without privileges, a port below 1024 is refused with 107, naming the port.
#[cfg(target_os = "linux")]
#[test]
fn a_privileged_port_without_privileges_is_error_107() {
    let unprivileged_ports_start =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
            .map_or(1024, |text| text.trim().parse().unwrap_or(1024));
    assert!(
        unprivileged_ports_start > 80,
        "this machine lets anyone bind port 80"
    );
    let is_root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"));
    let mut command = if is_root {
        // Drop to nobody, as an ordinary user would run it.
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(server_binary());
        command
    } else {
        Command::new(server_binary())
    };
    let output = command
        .args(["--headless", "--port", "80"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error 107: port 80 is below 1024"),
        "{stderr}"
    );
}

/// Counts past their bounds are refused before anything starts: exit 2, the flag and the limit
/// named, in the words the window uses (the library's).
#[test]
fn counts_past_their_bounds_exit_2_naming_the_flag_and_the_limit() {
    use serversocket::bounds::Count;
    for (flag, value, count) in [
        ("--max", 100_000_000, Count::MaximumSocketsConnected),
        ("--min", 200_000, Count::MinimumSocketsAvailable),
        ("--max", 0, Count::MaximumSocketsConnected),
    ] {
        let mut server = App::start(
            server_binary(),
            &["--headless", "--port", "0", flag, &value.to_string()],
        );
        let (status, lines, stderr) = server.wait();
        assert_eq!(status.code(), Some(2), "{flag} {value}: {lines:#?}");
        let words = count.check(value).unwrap_err().to_string();
        assert!(stderr.contains(flag), "{stderr}");
        assert!(stderr.contains(&words), "{stderr}");
    }
}

/// Max may not pass the open-files limit: so many connections could never be open at once.
#[cfg(target_os = "linux")]
#[test]
fn a_max_past_the_open_files_limit_exits_2_naming_it() {
    let mut server = App::start(
        PathBuf::from("prlimit"),
        &[
            "--nofile=64:64",
            "--",
            server_binary().to_str().unwrap(),
            "--headless",
            "--port",
            "0",
            "--max",
            "100",
        ],
    );
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--max"), "{stderr}");
    assert!(stderr.contains("open-files limit is 64"), "{stderr}");
    // The hard limit is 64 too: the words give the command that raises it.
    assert!(stderr.contains("--nofile=164:164"), "{stderr}");
}

/// Started at a soft open-files limit below the hard one (as many systems start programs), the
/// server raises its own limit first, so a Max past the soft limit is accepted.
#[cfg(target_os = "linux")]
#[test]
fn the_open_files_soft_limit_is_raised_to_the_hard_limit_at_start() {
    let mut server = App::start(
        PathBuf::from("prlimit"),
        &[
            "--nofile=256:4096",
            "--",
            server_binary().to_str().unwrap(),
            "--headless",
            "--port",
            "0",
            "--max",
            "3000",
            "--json",
        ],
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    assert_eq!(listening["max"], 3000, "{listening}");
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    assert_eq!(
        open_files
            .split_whitespace()
            .skip(3)
            .take(2)
            .collect::<Vec<_>>(),
        ["4096", "4096"],
        "{open_files}"
    );
    server.signal("TERM");
    assert!(server.wait().0.success());
}

/// A headless JSON server whose stdout is a pipe, and the address its `listening` line gives.
fn server_with_a_reader() -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    String,
) {
    let mut child = Command::new(server_binary())
        .args(["--headless", "--port", "0", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let listening: Value = serde_json::from_str(&first).unwrap();
    let address = listening["address"].as_str().unwrap().to_owned();
    (child, stdout, address)
}

/// Waits (at most [`PATIENCE`]) for a server whose reader left to end, and checks it ended well.
fn ends_without_its_reader(mut child: std::process::Child) {
    let status = test_support::exited(
        &mut child,
        "the server kept running with nobody reading its output",
    );
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_server_stops_when_its_reader_goes_away() {
    let (child, stdout, address) = server_with_a_reader();
    // Like `| head -n 1`: the reader leaves, and a client comes whose lines cannot be written.
    // The server may have heard the pipe close and stopped already: then it refuses.
    drop(stdout);
    let _client = std::net::TcpStream::connect(address);
    ends_without_its_reader(child);
}

/// `server-app --headless | head -2`: `head` leaves after the lines it wanted, and nothing
/// happens after. The server hears the pipe close; it does not wait for a next line to fail.
#[test]
fn the_server_stops_when_its_reader_leaves_while_nothing_happens() {
    let (child, stdout, _address) = server_with_a_reader();
    drop(stdout);
    ends_without_its_reader(child);
}

/// Connects, reads the greeting (within [`PATIENCE`]) and closes, `count` times in a row.
fn greet_one_after_another(address: &str, count: usize) {
    for n in 0..count {
        let mut client = std::net::TcpStream::connect(address).unwrap();
        client.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut greeting = vec![0; "From the server socket, I connected to you.".len()];
        std::io::Read::read_exact(&mut client, &mut greeting)
            .unwrap_or_else(|e| panic!("client {n} was not greeted: {e}"));
    }
}

/// Sends `bytes` to the server at `address` as fast as it takes them.
fn flood(address: &str, bytes: usize) -> std::net::TcpStream {
    let mut client = std::net::TcpStream::connect(address).unwrap();
    client.set_write_timeout(Some(PATIENCE)).unwrap();
    std::io::Write::write_all(&mut client, &vec![b'a'; bytes]).unwrap();
    client
}

/// `server-app --headless | sleep 45`: the reader stops reading. The server goes on greeting
/// (3,000 clients, more than its event channel holds), keeps its newest lines, and once the
/// reader reads again says how many it dropped.
#[test]
fn a_reader_that_stops_reading_costs_lines_not_service() {
    let mut server =
        App::start_stalling(server_binary(), &["--headless", "--port", "0", "--json"], 1);
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address = listening["address"].as_str().unwrap().to_owned();
    greet_one_after_another(&address, 3000);
    server.resume();
    let dropped = server.until_json("dropped", |v| is_event(v, "dropped"));
    assert!(dropped["count"].as_u64().unwrap() > 0, "{dropped}");
    greet_one_after_another(&address, 1);
    server.signal("TERM");
    let (status, lines, _) = server.wait();
    assert!(status.success(), "{status:?}");
    assert!(lines.last().is_some_and(|l| l.contains("\"stopped\"")));
}

/// SIGTERM and SIGINT stop the server although its output pipe is full and nobody reads it.
#[test]
fn a_signal_stops_the_server_whatever_its_output_does() {
    for signal in ["TERM", "INT"] {
        let mut server =
            App::start_stalling(server_binary(), &["--headless", "--port", "0", "--json"], 1);
        let listening = server.until_json("listening", |v| is_event(v, "listening"));
        let address = listening["address"].as_str().unwrap().to_owned();
        // Far more output than a pipe holds (64 KiB on Linux).
        let _client = flood(&address, 16 * 1024 * 1024);
        greet_one_after_another(&address, 1);
        server.signal(signal);
        let status = server.exit_status();
        assert!(status.success(), "SIG{signal}: {status:?}");
    }
}

/// `--idle-timeout 1`: a client that never sends is closed with 102 "idle timeout".
#[test]
fn a_silent_client_is_closed_after_the_idle_timeout() {
    let mut server = App::start(
        server_binary(),
        &["--headless", "--port", "0", "--idle-timeout", "1", "--json"],
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address = listening["address"].as_str().unwrap().to_owned();
    let mut silent = std::net::TcpStream::connect(&address).unwrap();
    silent.set_read_timeout(Some(PATIENCE)).unwrap();
    let error = server.until_json("the idle timeout", |v| is_event(v, "error"));
    assert_eq!(error["code"], 102, "{error}");
    assert_eq!(error["meaning"], "idle timeout", "{error}");
    let mut everything = Vec::new();
    std::io::Read::read_to_end(&mut silent, &mut everything).unwrap();
    assert_eq!(everything, b"From the server socket, I connected to you.");
    server.signal("TERM");
    let (status, _, _) = server.wait();
    assert!(status.success());
}

/// With few file descriptors, accepting fails (EMFILE): the server reports error 100, keeps
/// listening, and serves again as soon as clients leave. (Max may not pass the open-files
/// limit; the server's own descriptors make accepts fail before Max 64 is reached.)
#[cfg(target_os = "linux")]
#[test]
fn running_out_of_file_descriptors_is_reported_and_survived() {
    let mut server = App::start(
        PathBuf::from("prlimit"),
        &[
            "--nofile=64:64",
            "--",
            server_binary().to_str().unwrap(),
            "--headless",
            "--port",
            "0",
            "--max",
            "64",
            "--json",
        ],
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address = listening["address"].as_str().unwrap().to_owned();
    // More clients than the server has descriptors: the handshakes complete in the backlog.
    let crowd: Vec<_> = (0..100)
        .map(|_| std::net::TcpStream::connect(&address).unwrap())
        .collect();
    let error = server.until_json("accept error", |v| is_event(v, "error"));
    assert_eq!(error["code"], 100, "{error}");
    assert!(error.get("socket").is_none(), "{error}");
    let message = error["message"].as_str().unwrap().to_lowercase();
    assert!(message.contains("too many open files"), "{message}");
    assert!(message.contains("keeps listening"), "{message}");
    // It backs off rather than spinning: each failure in a row says how long the listener
    // waits before it tries again, and the pause doubles (nobody leaves meanwhile, so no close
    // wakes it early). A spinning loop would say nothing of the kind.
    let mut pauses = vec![retry_in_ms(&message)];
    for _ in 0..3 {
        let next = server.until_json("another accept error", |v| is_event(v, "error"));
        pauses.push(retry_in_ms(next["message"].as_str().unwrap()));
    }
    assert_eq!(
        pauses,
        [100, 200, 400, 800],
        "{lines:#?}",
        lines = server.seen
    );

    drop(crowd);
    let mut late = std::net::TcpStream::connect(&address).unwrap();
    late.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut greeting = vec![0; "From the server socket, I connected to you.".len()];
    std::io::Read::read_exact(&mut late, &mut greeting).unwrap();
    assert_eq!(greeting, b"From the server socket, I connected to you.");
    server.signal("TERM");
    let (status, lines, _) = server.wait();
    assert!(status.success(), "{lines:#?}");
}

/// SIGTERM with 500 clients connected: every connection is closed, `stopped` comes last, exit 0.
#[test]
fn sigterm_with_500_clients_connected_closes_them_all_and_exits_0() {
    const CLIENTS: usize = 500;
    let mut server = App::start(
        server_binary(),
        &["--headless", "--port", "0", "--max", "600", "--json"],
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address = listening["address"].as_str().unwrap().to_owned();
    let mut clients: Vec<std::net::TcpStream> = (0..CLIENTS)
        .map(|_| std::net::TcpStream::connect(&address).unwrap())
        .collect();
    for client in &mut clients {
        client.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut greeting = vec![0; "From the server socket, I connected to you.".len()];
        std::io::Read::read_exact(client, &mut greeting).unwrap();
    }
    server.signal("TERM");
    let (status, lines, _) = server.wait();
    assert!(status.success(), "{status:?}");
    let closed = lines.iter().filter(|l| l.contains("\"closed\"")).count();
    assert_eq!(closed, CLIENTS);
    assert!(lines.last().is_some_and(|l| l.contains("\"stopped\"")));
    for client in &mut clients {
        let mut rest = Vec::new();
        // Every client sees the end of its stream (or a reset), never a hang.
        let _ = std::io::Read::read_to_end(client, &mut rest);
    }
}

#[test]
fn help_names_every_flag_with_its_default_and_version_the_version() {
    let output = Command::new(server_binary())
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--headless",
        "--bind",
        "[default: 127.0.0.1]",
        "--port",
        "[default: 2002]",
        "--min",
        "[default: 2]",
        "--max",
        "[default: 10]",
        "--json",
        "--backlog",
        "[default: 1024]",
        "MinimumSocketsAvailable",
        "MaximumSocketsConnected",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}: {help}");
    }
    let output = Command::new(server_binary())
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("server-app {}", env!("CARGO_PKG_VERSION"))
    );
}

/// The burst a script would run: 50 client sockets at once, counted from the client's JSON.
/// Returns (greeted, refused).
fn burst_counts(port: &str) -> (usize, usize) {
    let mut client = App::start(
        client_binary(),
        &["--headless", "--port", port, "--connect", "50", "--json"],
    );
    // Each socket ends up greeted (its first data) or failed (its first error: refused, or
    // reset when a naive listener closed with it still waiting); then we stop the client.
    let mut decided = std::collections::BTreeMap::new();
    for _ in 0..1000 {
        if decided.len() == 50 {
            break;
        }
        let event = client.until_json("a greeting or an error", |v| {
            is_event(v, "data") || is_event(v, "error")
        });
        let socket = event["socket"].as_u64().unwrap();
        decided.entry(socket).or_insert(event);
    }
    let greeted = decided.values().filter(|v| is_event(v, "data")).count();
    let refused = decided
        .values()
        .filter(|v| v["meaning"] == "connection refused")
        .count();
    client.signal("TERM");
    let _ = client.wait();
    (greeted, refused)
}

#[test]
fn a_burst_against_naive_mode_is_partly_lost_and_against_pool_mode_is_served_in_full() {
    let mut naive = App::start(
        server_binary(),
        &[
            "--headless",
            "--port",
            "0",
            "--json",
            "--mode",
            "naive",
            "--relisten-delay-ms",
            "60000",
        ],
    );
    let listening = naive.until_json("listening", |v| is_event(v, "listening"));
    let port = listening["address"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    // The gap outlasts the test, so the count does not depend on timing: the single socket
    // serves the first client and closes. Sockets arriving while it is closed are refused;
    // those caught in its one-place backlog when it closes are reset. Which of the two varies.
    let (greeted, refused) = burst_counts(&port);
    assert_eq!(greeted, 1, "naive mode served one ({refused} refused)");
    naive.until_json("a gap", |v| is_event(v, "listener_closed"));
    naive.signal("TERM");
    let (status, lines, _) = naive.wait();
    assert!(status.success());
    assert!(
        lines.last().is_some_and(|l| l.contains("\"stopped\"")),
        "{lines:#?}"
    );

    let mut pool = App::start(
        server_binary(),
        &["--headless", "--port", "0", "--json", "--max", "100"],
    );
    let listening = pool.until_json("listening", |v| is_event(v, "listening"));
    let port = listening["address"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        burst_counts(&port),
        (50, 0),
        "pool mode served every socket"
    );
}

/// What a plain echo server's connection received, once that connection ended.
type Echoed = mpsc::Receiver<std::thread::JoinHandle<Vec<u8>>>;

/// A plain echo server on 127.0.0.1 port 0 (std threads, like `socat … EXEC:cat`) for
/// `connections` clients; each connection's thread echoes and returns every byte it received.
fn echo_server(connections: usize) -> (String, Echoed) {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (sender, handles) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
            let echo = std::thread::spawn(move || {
                let mut received = Vec::new();
                let mut buffer = vec![0; 64 * 1024];
                // Until the client closes (or resets, or the patience runs out).
                while let Ok(count @ 1..) = stream.read(&mut buffer) {
                    received.extend_from_slice(&buffer[..count]);
                    if stream.write_all(&buffer[..count]).is_err() {
                        break;
                    }
                }
                received
            });
            if sender.send(echo).is_err() {
                return;
            }
        }
    });
    (port, handles)
}

/// Every byte each echo connection received, in the order they connected.
fn echoed(handles: &Echoed, connections: usize) -> Vec<Vec<u8>> {
    (0..connections)
        .map(|_| handles.recv_timeout(PATIENCE).unwrap().join().unwrap())
        .collect()
}

/// The text of every `data` line per socket, concatenated.
fn data_by_socket(lines: &[String]) -> std::collections::BTreeMap<u64, String> {
    let mut texts = std::collections::BTreeMap::new();
    for line in lines {
        let value: Value = serde_json::from_str(line).unwrap();
        if is_event(&value, "data") {
            texts
                .entry(value["socket"].as_u64().unwrap())
                .or_insert_with(String::new)
                .push_str(value["text"].as_str().unwrap());
        }
    }
    texts
}

#[test]
fn client_hello_repeat_and_no_reply_are_exact_against_a_real_echo_server() {
    let (port, handles) = echo_server(2);
    let hello = r"ping {n}\r\n";
    let mut client = App::start(
        client_binary(),
        &[
            "--headless",
            "--port",
            &port,
            "--connect",
            "2",
            "--json",
            "--hello",
            hello,
            "--repeat",
            "3",
            "--interval-ms",
            "20",
            "--no-reply",
        ],
    );
    // Wait until each socket got its three pings back, then stop the client.
    let mut echoed_bytes = [0_usize; 2];
    while echoed_bytes.iter().any(|&n| n < 3 * "ping 0\r\n".len()) {
        let data = client.until_json("the echoed pings", |v| is_event(v, "data"));
        let socket = usize::try_from(data["socket"].as_u64().unwrap()).unwrap();
        echoed_bytes[socket] += usize::try_from(data["bytes"].as_u64().unwrap()).unwrap();
    }
    client.signal("TERM");
    let (status, lines, _) = client.wait();
    assert!(status.success(), "{lines:#?}");
    // `lines` holds every line of the run, the ones already read included.
    let texts = data_by_socket(&lines);
    assert_eq!(texts[&0], "ping 0\r\n".repeat(3), "{texts:#?}");
    assert_eq!(texts[&1], "ping 1\r\n".repeat(3), "{texts:#?}");
    let mut received = echoed(&handles, 2);
    received.sort();
    assert_eq!(
        received,
        vec![b"ping 0\r\n".repeat(3), b"ping 1\r\n".repeat(3)],
        "the echo server got more than the pings: the client replied"
    );
}

#[test]
fn the_seed_client_ping_pongs_with_an_echo_server_until_stopped() {
    let (port, handles) = echo_server(1);
    let mut client = App::start(client_binary(), &["--headless", "--port", &port, "--json"]);
    // Its hello comes back, it answers, the answer comes back, it answers again…
    for _ in 0..5 {
        client.until_json("another echoed reply", |v| {
            is_event(v, "data") && v["text"] == " I got something from you."
        });
    }
    client.signal("TERM");
    let (status, _, _) = client.wait();
    assert!(status.success());
    let received = echoed(&handles, 1).remove(0);
    assert!(received.starts_with(b"Socket 0 connected! I got something from you."));
}

#[test]
fn client_send_file_of_20_mib_arrives_whole_with_progress_lines() {
    use std::io::Read;
    let file: Vec<u8> = (0..20 * 1024 * 1024_u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    let path = std::env::temp_dir().join(format!("send-file-{}.bin", std::process::id()));
    std::fs::write(&path, &file).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let expected = file.len();
    let sink = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut received = vec![0; expected];
        stream.read_exact(&mut received).unwrap();
        received
    });
    let mut client = App::start(
        client_binary(),
        &[
            "--headless",
            "--port",
            &port,
            "--json",
            "--hello",
            "",
            "--no-reply",
            "--send-file",
            path.to_str().unwrap(),
        ],
    );
    let last = client.until_json("the last progress line", |v| {
        is_event(v, "send_progress") && v["sent"] == v["total"]
    });
    assert_eq!(last["total"], expected);
    client.until_json("send complete", |v| is_event(v, "send_complete"));
    assert!(sink.join().unwrap() == file, "the file arrived changed");
    client.signal("TERM");
    let (status, lines, _) = client.wait();
    assert!(status.success());
    let steps: Vec<u64> = lines
        .iter()
        .filter_map(|line| {
            let value: Value = serde_json::from_str(line).ok()?;
            is_event(&value, "send_progress").then(|| value["sent"].as_u64().unwrap())
        })
        .collect();
    assert!(steps.len() >= 2, "{steps:?}");
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn client_script_mistakes_exit_2_naming_them_before_connecting() {
    for (args, named) in [
        (
            &["--send-file", "/no/such/file"][..],
            "--send-file /no/such/file",
        ),
        (&["--hello", r"bad\q"][..], "--hello"),
        (&["--repeat", "0"][..], "--repeat"),
    ] {
        let output = Command::new(client_binary())
            .args(["--headless", "--port", "1"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?} connected");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn server_reply_echo_returns_what_arrives() {
    use std::io::{Read, Write};
    let mut server = App::start(
        server_binary(),
        &["--headless", "--port", "0", "--json", "--reply", "echo"],
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address = listening["address"].as_str().unwrap().to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let data: Vec<u8> = (0..=255_u8).cycle().take(100_000).collect();
    stream.write_all(&data).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    assert!(back == data, "{} of {} bytes back", back.len(), data.len());
    server.signal("TERM");
    let (status, _, _) = server.wait();
    assert!(status.success());
}

#[test]
fn a_bad_rule_or_template_exits_2_naming_the_rule_and_listens_nowhere() {
    for (rules, named) in [
        (&[r"^GET (\S+ => x"][..], "rule 1"),
        (&["ok => fine", r"^(a) => $2"][..], "rule 2"),
        (&[r"a => \q"][..], "unknown escape"),
    ] {
        let mut command = Command::new(server_binary());
        command.args(["--headless", "--port", "0", "--json", "--reply", "rules"]);
        for rule in rules {
            command.args(["--rule", rule]);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{rules:?}");
        assert!(output.stdout.is_empty(), "{rules:?} started listening");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{rules:?}: {stderr}");
    }
}

#[test]
fn clients_beyond_max_are_reported_waiting_in_the_kernels_accept_queue() {
    let mut server = App::start(
        server_binary(),
        &[
            "--headless",
            "--json",
            "--port",
            "0",
            "--min",
            "1",
            "--max",
            "2",
            "--backlog",
            "16",
        ],
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address: std::net::SocketAddr = listening["address"].as_str().unwrap().parse().unwrap();
    let mut clients: Vec<std::net::TcpStream> = (0..6)
        .map(|_| std::net::TcpStream::connect(address).unwrap())
        .collect();
    let queue = server.until_json("4 waiting", |v| {
        is_event(v, "accept_queue") && v["waiting"] == 4
    });
    assert_eq!(queue["capacity"], 16, "{queue}");
    assert!(
        queue["syn_recv"].is_u64() && queue["overflows"].is_u64(),
        "{queue}"
    );
    // The two served clients leave; the pool takes two of the waiting ones.
    clients.drain(..2);
    server.until_json("2 waiting", |v| {
        is_event(v, "accept_queue") && v["waiting"] == 2
    });
}

/// The naive listener's brief closes have their own events: `listener_closed` then
/// `listener_reopened` (with the new socket's handle), while `listening` is said once, at the
/// start, and `stopped` once, at the end.
#[test]
fn naive_mode_reports_each_gap_as_listener_closed_then_listener_reopened() {
    let mut naive = App::start(
        server_binary(),
        &[
            "--headless",
            "--port",
            "0",
            "--json",
            "--mode",
            "naive",
            "--relisten-delay-ms",
            "0",
        ],
    );
    let listening = naive.until_json("listening", |v| is_event(v, "listening"));
    let address = listening["address"].as_str().unwrap().to_owned();
    greet_one_after_another(&address, 1);
    naive.until_json("a gap", |v| is_event(v, "listener_closed"));
    let reopened = naive.until_json("the gap's end", |v| is_event(v, "listener_reopened"));
    assert!(reopened["handle"].as_i64().is_some(), "{reopened}");
    naive.signal("TERM");
    let (status, lines, _) = naive.wait();
    assert!(status.success(), "{status:?}");
    let count = |name: &str| {
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"event\":\"{name}\"")))
            .count()
    };
    assert_eq!(count("listening"), 1, "{lines:#?}");
    assert_eq!(count("stopped"), 1, "{lines:#?}");
    assert_eq!(count("listener_closed"), 1, "{lines:#?}");
    assert_eq!(count("listener_reopened"), 1, "{lines:#?}");
}

/// `--paused`: the listener is open but the pool takes nothing, so every client waits in the
/// kernel's accept queue (none is greeted) and the `accept_queue` line shows them all.
#[test]
fn paused_from_the_start_leaves_every_client_in_the_accept_queue() {
    let mut server = App::start(
        server_binary(),
        &[
            "--headless",
            "--json",
            "--port",
            "0",
            "--backlog",
            "16",
            "--paused",
        ],
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address: std::net::SocketAddr = listening["address"].as_str().unwrap().parse().unwrap();
    let _clients: Vec<std::net::TcpStream> = (0..3)
        .map(|_| std::net::TcpStream::connect(address).unwrap())
        .collect();
    let queue = server.until_json("3 waiting", |v| {
        is_event(v, "accept_queue") && v["waiting"] == 3
    });
    assert_eq!(queue["capacity"], 16, "{queue}");
    // The pool took none of them: no connected event while they waited, to the end.
    server.signal("TERM");
    let (status, lines, _) = server.wait();
    assert!(status.success(), "{status:?}");
    assert!(
        !lines.iter().any(|l| l.contains("\"event\":\"connected\"")),
        "{lines:#?}"
    );
}

#[test]
fn help_names_the_paused_flag() {
    let output = Command::new(server_binary())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--paused"), "{help}");
    assert!(help.contains("Pause accepting from the start"), "{help}");
}

/// Runs `server-app --lesson NAME --check …`, returning its exit code and output.
fn check_lesson(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(server_binary())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_lesson_is_checked_against_logs_the_real_apps_recorded() {
    // The first lesson, done by a script: Listen, the client connects, another program (a
    // plain TcpStream here, `nc` in the lesson) connects and closes.
    let mut server = App::start(server_binary(), &["--headless", "--port", "0", "--json"]);
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let address = listening["address"].as_str().unwrap().to_owned();
    let port = address.rsplit(':').next().unwrap().to_owned();
    let mut client = App::start(
        client_binary(),
        &["--headless", "--json", "--port", &port, "--no-reply"],
    );
    let greeted = client.until_json("greeting", |v| is_event(v, "data"));
    server.until_json("client's hello", |v| is_event(v, "data"));
    client.signal("TERM");
    let (_, mut client_lines, _) = client.wait();
    client_lines.insert(0, greeted.to_string());
    let other = std::net::TcpStream::connect(&address).unwrap();
    let mut greeting = [0_u8; 8];
    std::io::Read::read_exact(&mut &other, &mut greeting).unwrap();
    drop(other);
    server.until_json("the other program's close", |v| is_event(v, "closed"));
    server.signal("TERM");
    let (status, server_lines, _) = server.wait();
    assert!(status.success());
    let dir = std::env::temp_dir().join(format!("lesson-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let server_log = dir.join("server.ndjson");
    let client_log = dir.join("client.ndjson");
    std::fs::write(&server_log, server_lines.join("\n")).unwrap();
    std::fs::write(&client_log, client_lines.join("\n")).unwrap();
    let server_log = server_log.to_str().unwrap();
    let client_log = client_log.to_str().unwrap();

    let (code, out, err) = check_lesson(&[
        "--lesson",
        "listening",
        "--check",
        "--events",
        server_log,
        "--client-events",
        client_log,
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Every step done."), "{out}");
    // The questions are answered from the log: the port the server listened on.
    assert!(
        out.contains(&format!("answer from the log: {port}")),
        "{out}"
    );

    // Without the client's log, the client's step is never done, and the check says which.
    let (code, out, _) =
        check_lesson(&["--lesson", "listening", "--check", "--events", server_log]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Step 3 (client) never done"), "{out}");

    // A log that is not JSON lines, and a lesson that does not exist: exit 2, saying what.
    let human = dir.join("human.log");
    std::fs::write(&human, "{\"event\":\"listening\"}\nSocket 0 connected.\n").unwrap();
    let (code, _, err) = check_lesson(&[
        "--lesson",
        "listening",
        "--check",
        "--events",
        human.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("human.log, line 2: not a JSON event line"),
        "{err}"
    );
    let (code, _, err) = check_lesson(&["--lesson", "no-such", "--check", "--events", server_log]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no lesson called \"no-such\"") && err.contains("the-pool"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_teachers_malformed_lesson_is_named_with_its_line_and_field() {
    let dir = std::env::temp_dir().join(format!("lesson-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("my-lab.toml"),
        "title = \"Mine\"\ngoal = \"G\"\n\n[[step]]\nsay = \"Listen\"\ndone_when = \"event listening and\"\n",
    )
    .unwrap();
    let (code, _, err) = check_lesson(&[
        "--lessons",
        dir.to_str().unwrap(),
        "--lesson",
        "my-lab",
        "--check",
        "--events",
        "/dev/null",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("my-lab.toml, line 6, field `done_when`"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A data folder of this test's own.
fn data_home(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("server-app-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// A `--tls --json` server with its self-signed certificate in `home`; its port and fingerprint.
fn tls_server(home: &std::path::Path) -> (App, String, String) {
    let mut server = App::start_in(
        server_binary(),
        &["--headless", "--port", "0", "--json", "--tls"],
        home,
    );
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    let fingerprint = listening["tls"]["fingerprint"].as_str().unwrap().to_owned();
    let port = listening["address"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    (server, port, fingerprint)
}

#[test]
fn tls_listening_names_the_fingerprint_and_both_sides_report_the_handshake() {
    let home = data_home("pin");
    let (mut server, port, fingerprint) = tls_server(&home);
    // The certificate was made in the data folder, and the fingerprint is that of its leaf.
    let kept = home.join("serversocket");
    let loaded = serversocket::tls::ServerTls::from_pem_files(
        &kept.join("tls-cert.pem"),
        &kept.join("tls-key.pem"),
    )
    .unwrap();
    assert_eq!(loaded.fingerprint(), fingerprint);
    assert_eq!(fingerprint.len(), 64);

    let mut client = App::start(
        client_binary(),
        &[
            "--headless",
            "--port",
            &port,
            "--json",
            "--tls",
            "--pin",
            &fingerprint,
        ],
    );
    let tls = client.until_json("tls", |v| is_event(v, "tls"));
    assert_eq!(tls["socket"], 0);
    assert_eq!(tls["protocol"], "TLS1.3");
    assert!(
        tls["cipher"].as_str().unwrap().starts_with("TLS13_"),
        "{tls}"
    );
    assert!(tls["handshake_ms"].as_f64().unwrap() >= 0.0, "{tls}");
    client.until_json("connected", |v| is_event(v, "connected"));
    let greeting = client.until_json("greeting", |v| is_event(v, "data"));
    assert_eq!(
        greeting["text"],
        "From the server socket, I connected to you."
    );
    let tls = server.until_json("server's tls", |v| is_event(v, "tls"));
    assert_eq!(tls["protocol"], "TLS1.3");
    // The hello and the reply to the greeting may arrive as one chunk.
    server.until_json("client's words", |v| {
        is_event(v, "data")
            && v["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Socket 0 connected!"))
    });
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_wrong_pin_exits_1_and_a_plaintext_client_is_an_error_while_the_server_serves_on() {
    let home = data_home("wrong-pin");
    let (mut server, port, _fingerprint) = tls_server(&home);
    let zeros = "0".repeat(64);
    let mut client = App::start(
        client_binary(),
        &[
            "--headless",
            "--port",
            &port,
            "--json",
            "--tls",
            "--pin",
            &zeros,
        ],
    );
    let (status, lines, _) = client.wait();
    assert_eq!(status.code(), Some(1), "{lines:#?}");
    let error: Value = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| is_event(v, "error"))
        .expect("an error line");
    assert_eq!(error["code"], 102);
    assert_eq!(error["meaning"], "TLS: pin mismatch");
    server.until_json("refused by the client", |v| {
        is_event(v, "error") && v["meaning"] == "TLS: refused by peer"
    });

    // A client that speaks plain text: an error for its socket only.
    let mut plain = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    std::io::Write::write_all(&mut plain, b"hello in plain text\r\n").unwrap();
    let error = server.until_json("plaintext client", |v| {
        is_event(v, "error") && v["meaning"] == "TLS: plaintext client"
    });
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("does not speak TLS"),
        "{error}"
    );

    // The server goes on: a client that trusts its certificate through --ca is greeted.
    let ca = home.join("serversocket").join("tls-cert.pem");
    let mut client = App::start(
        client_binary(),
        &[
            "--headless",
            "--port",
            &port,
            "--json",
            "--tls",
            "--ca",
            ca.to_str().unwrap(),
        ],
    );
    client.until_json("greeting", |v| is_event(v, "data"));
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_tls_client_against_a_plaintext_server_exits_1_saying_so() {
    let mut server = App::start(server_binary(), &["--headless", "--port", "0", "--json"]);
    let listening = server.until_json("listening", |v| is_event(v, "listening"));
    assert!(
        listening.get("tls").is_none(),
        "a plain server says nothing of TLS"
    );
    let port = listening["address"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let mut client = App::start(
        client_binary(),
        &[
            "--headless",
            "--port",
            &port,
            "--json",
            "--tls",
            "--tls-insecure",
        ],
    );
    let (status, lines, _) = client.wait();
    assert_eq!(status.code(), Some(1), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"meaning\":\"TLS: plaintext server\"")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("\"event\":\"connected\"")),
        "{lines:#?}"
    );
}

#[test]
fn tls_files_that_cannot_be_used_exit_2_naming_them() {
    let home = data_home("bad-files");
    let bogus = home.join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let bogus = bogus.to_str().unwrap();
    let mut server = App::start(
        server_binary(),
        &[
            "--headless",
            "--port",
            "0",
            "--tls",
            "--cert",
            bogus,
            "--key",
            bogus,
        ],
    );
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("holds no certificate"), "{stderr}");
    let mut client = App::start(
        client_binary(),
        &["--headless", "--port", "1", "--tls", "--pin", "abc"],
    );
    let (status, _, stderr) = client.wait();
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("not a SHA-256 fingerprint"), "{stderr}");
    let mut naive = App::start_in(
        server_binary(),
        &["--headless", "--port", "0", "--tls", "--mode", "naive"],
        &home,
    );
    let (status, _, stderr) = naive.wait();
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("--tls works with --mode pool"), "{stderr}");
    let _ = std::fs::remove_dir_all(&home);
}

/// `server-app --headless > /dev/full`: output that cannot be written is not a reader that
/// left. The server stops, says why on stderr and exits 1, not 0 as if all went well.
#[test]
fn output_that_cannot_be_written_stops_the_server_with_status_1() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Command::new(server_binary())
        .args(["--headless", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not be written"), "{stderr}");
}

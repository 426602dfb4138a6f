//! The client's command line, run as a user would: failing connects exit 1 with their codes,
//! so does a `--capture` that cannot start, and `--help` tells every flag's default.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use test_support::app::App;
use test_support::{PATIENCE, within_patience};

/// Runs the client to its end (within [`PATIENCE`]): its status and output.
fn client(args: &[&str]) -> Output {
    test_support::app::output(Command::new(env!("CARGO_BIN_EXE_client-app")).args(args))
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn refused_connections_exit_1_with_error_102_saying_refused() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    let output = client(&["--headless", "--port", &port, "--connect", "2", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    let errors: Vec<&Value> = lines.iter().filter(|v| v["event"] == "error").collect();
    assert_eq!(errors.len(), 2, "{lines:#?}");
    for error in errors {
        assert_eq!(error["code"], 102);
        assert!(
            error["message"].as_str().unwrap().contains("refused"),
            "{error}"
        );
        assert!(error["ts"].is_string());
    }
    let mut closed: Vec<u64> = lines
        .iter()
        .filter(|v| v["event"] == "closed")
        .map(|v| v["socket"].as_u64().unwrap())
        .collect();
    closed.sort_unstable();
    assert_eq!(closed, vec![0, 1]);
    let summary = lines.iter().find(|v| v["event"] == "summary").unwrap();
    assert_eq!(summary["connected"], 0, "{summary}");
    assert_eq!(summary["failed"], 2, "{summary}");
    assert!(summary["all_greeted_seconds"].is_null(), "{summary}");
}

/// `--connect N` prints one summary line: the counts, and the time until every socket was
/// greeted.
#[test]
fn the_summary_counts_the_sockets_and_times_the_last_greeting() {
    const SOCKETS: usize = 5;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let server = std::thread::spawn(move || {
        // Greets each client, then hangs up once all are greeted: the client's run ends.
        let streams: Vec<TcpStream> = (0..SOCKETS)
            .map(|_| {
                let (mut stream, _) = listener.accept().unwrap();
                stream.write_all(b"hello").unwrap();
                stream
            })
            .collect();
        drop(streams);
    });
    let output = client(&[
        "--headless",
        "--port",
        &port,
        "--connect",
        "5",
        "--in-flight",
        "2",
        "--no-reply",
        "--json",
    ]);
    server.join().unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    let summaries: Vec<&Value> = lines.iter().filter(|v| v["event"] == "summary").collect();
    assert_eq!(summaries.len(), 1, "{lines:#?}");
    let summary = summaries[0];
    assert_eq!(summary["sockets"], 5, "{summary}");
    assert_eq!(summary["connected"], 5, "{summary}");
    assert_eq!(summary["greeted"], 5, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert!(
        summary["all_greeted_seconds"].as_f64().unwrap() >= 0.0,
        "{summary}"
    );
}

#[test]
fn an_unknown_host_exits_1_with_error_103_in_the_seeds_words() {
    let output = client(&["--headless", "--address", "no-such-host.invalid"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with(
            "Socket 0: Error = 103 (name resolution failed): the name \"no-such-host.invalid\" \
                 could not be resolved"
        )),
        "{stdout}"
    );
}

#[test]
fn help_names_every_flag_with_its_default() {
    let help = test_support::app::printed_by_success(
        Command::new(env!("CARGO_BIN_EXE_client-app")).arg("--help"),
    );
    for expected in [
        "--headless",
        "--address",
        "127.0.0.1",
        "--port",
        "2002",
        "--connect",
        "--json",
        // `{n}` as the user types it, not a line break (clap's own use of `{n}`).
        "and {n} for the socket's index",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}: {help}");
    }
    assert!(
        !help.contains('\u{1b}'),
        "no escape codes in a pipe: {help:?}"
    );
}

#[test]
fn version_names_the_program_and_its_version() {
    let output = client(&["--version"]);
    assert!(output.status.success());
    let version = String::from_utf8_lossy(&output.stdout);
    test_support::app::assert_names_its_version(
        "client-app",
        &version,
        serversocket_app::version::VERSION,
        env!("CARGO_PKG_VERSION"),
    );
}

/// Accepts one connection on `listener` within [`PATIENCE`] (the listener is non-blocking).
fn accept_within_patience(listener: &TcpListener) -> TcpStream {
    let stream = within_patience(|| match listener.accept() {
        Ok((stream, _)) => Some(stream),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("accept failed: {e}"),
    })
    .expect("the client never connected");
    stream.set_nonblocking(false).unwrap();
    stream
}

/// `client-app --headless | sleep 25`: nobody reads the output, the pipe is full, and SIGTERM
/// and SIGINT still stop the client (it closes its socket and exits 0).
#[test]
fn a_signal_stops_the_client_whatever_its_output_does() {
    for signal in ["TERM", "INT"] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_client-app"))
            .args(["--headless", "--port", &port, "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Its output is never read: the pipe fills after 64 KiB.
        let _stalled = child.stdout.take();
        let mut server = accept_within_patience(&listener);
        server.set_write_timeout(Some(PATIENCE)).unwrap();
        server.write_all(&vec![b'a'; 16 * 1024 * 1024]).unwrap();
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = test_support::exited(
            &mut child,
            &format!("SIG{signal} did not stop the client while nobody read its output"),
        );
        assert!(status.success(), "SIG{signal}: {status:?}");
    }
}

#[test]
fn counts_and_ports_out_of_bounds_exit_2_naming_the_flag_and_the_limit() {
    for (args, flag, words) in [
        (["--connect", "0"], "--connect", "at least 1"),
        (["--connect", "100000"], "--connect", "more than 10000"),
        (["--in-flight", "0"], "--in-flight", "at least 1"),
        (["--in-flight", "5000"], "--in-flight", "more than 1000"),
        (["--port", "0"], "--port", "a client must name one"),
        // In words, as the others (they said clap's "0 is not in 1..=1000000").
        (["--repeat", "0"], "--repeat", "0 times is less than 1"),
        (
            ["--interval-ms", "3600001"],
            "--interval-ms",
            "3600001 milliseconds is more than 3600000",
        ),
    ] {
        let mut all = vec!["--headless"];
        all.extend(args);
        let output = client(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

/// One socket is "1 socket" in the summary ("1 sockets" before).
#[test]
fn the_summary_counts_one_socket_in_the_singular() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    let output = client(&["--headless", "--port", &port]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Summary: 1 socket, 0 connected"),
        "{stdout}"
    );
}

/// `--in-flight 1`: each socket starts only once the one before it has connected or failed.
#[test]
fn in_flight_bounds_the_connects_under_way() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    let output = client(&[
        "--headless",
        "--port",
        &port,
        "--connect",
        "4",
        "--in-flight",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let position = |line: String| {
        lines
            .iter()
            .position(|l| *l == line)
            .unwrap_or_else(|| panic!("no line {line:?} in {lines:#?}"))
    };
    for socket in 1..4 {
        let started = position(format!(
            "Socket {socket} connecting to 127.0.0.1 port {port}..."
        ));
        let before_closed = position(format!("Socket {} closed.", socket - 1));
        assert!(before_closed < started, "{lines:#?}");
    }
}

/// `--address [::1]`, the way IPv6 addresses are written beside a port, is taken as `::1`.
#[test]
fn an_ipv6_address_in_brackets_is_accepted() {
    let listener = TcpListener::bind("[::1]:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    // Accept, then close: the client sees its socket connected, then lost, and exits 0.
    let accepting = std::thread::spawn(move || drop(accept_within_patience(&listener)));
    let output = client(&[
        "--headless",
        "--address",
        "[::1]",
        "--port",
        &port,
        "--json",
    ]);
    accepting.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = json_lines(&output);
    assert!(
        lines
            .iter()
            .any(|v| v["event"] == "connected" && v["remote"] == format!("[::1]:{port}")),
        "{lines:#?}"
    );
}

/// Connects still under way when the client is stopped are its own doing: they are counted as
/// cut short, not as failed, and the client exits 0 (a `| head` that leaves early, a Ctrl-C);
/// so are the sockets `--in-flight` had not let start yet, so every socket is counted.
#[test]
fn connects_cut_short_by_a_stop_are_not_failures() {
    // A listener whose accept queue is full (one connection, never accepted): the client's
    // SYN is dropped and its connect stays under way.
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let address = listener.local_addr().unwrap().as_socket().unwrap();
    let _filler = TcpStream::connect(address).unwrap();
    let port = address.port().to_string();
    let mut client = App::start(
        env!("CARGO_BIN_EXE_client-app").into(),
        &[
            "--headless",
            "--port",
            &port,
            "--connect",
            "5",
            "--in-flight",
            "2",
        ],
    );
    let first = client.until_line("the first line", |_| true);
    assert!(first.contains("connecting"), "{first}");
    client.signal("TERM");
    let (status, rest, _) = client.wait();
    let summary = rest
        .iter()
        .find(|line| line.starts_with("Summary:"))
        .unwrap_or_else(|| panic!("a summary line: {rest:#?}"));
    assert!(
        summary.contains("0 connected") && summary.contains("0 failed to connect"),
        "{summary}"
    );
    assert!(
        summary.starts_with("Summary: 5 sockets")
            && summary.contains("2 still connecting and 3 not started when stopped"),
        "{summary}"
    );
    assert!(status.success(), "{status:?}: {rest:#?}");
}

/// `--capture` as a user without CAP_NET_RAW (a real second user, through `setpriv`): the
/// client connects and is served as without it, says why nothing was captured, and exits 1,
/// so a script that asked for segments and got none can tell from the status (it exited 0).
#[test]
fn a_capture_that_cannot_start_makes_the_exit_status_1() {
    let Some(user) = test_support::other_user::other_user() else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    // Greets one client and closes, so the client's run ends on its own.
    let serving = std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        peer.write_all(b"hello\n").unwrap();
    });
    let mut command =
        test_support::other_user::as_other_command(user, env!("CARGO_BIN_EXE_client-app"));
    command.args(["--headless", "--port", &port, "--json", "--capture"]);
    let output = test_support::app::output(&mut command);
    serving.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("capturing packets needs the CAP_NET_RAW capability"),
        "{stderr}"
    );
    let lines = json_lines(&output);
    assert!(
        lines.iter().any(|v| v["event"] == "connected"),
        "served without the capture: {lines:#?}"
    );
    assert!(!lines.iter().any(|v| v["event"] == "segment"), "{lines:#?}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
}

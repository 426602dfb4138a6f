//! Both apps' headless modes against each other, as a user's script would run them: the seed's
//! conversation in JSON lines and in the seed's words, a burst against naive and pool mode, bad
//! ports refused by both, and a lesson checked against the logs they recorded.

use std::process::Command;

use serde_json::Value;
use test_support::app::{App, is_event, port_of};

use crate::{client_binary, server_binary};

#[test]
fn the_seed_conversation_in_json_lines() {
    let mut server = App::start(server_binary(), &["--headless", "--port", "0", "--json"]);
    let listening = server.until_event("listening");
    assert_eq!(listening["min"], 2);
    assert_eq!(listening["max"], 10);
    let address = listening["address"].as_str().unwrap().to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    let port = port_of(&address);
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
fn bad_arguments_exit_non_zero_naming_the_port() {
    for port in ["70000", "abc", "-1"] {
        for binary in [server_binary(), client_binary()] {
            let output = test_support::app::output(Command::new(&binary).args([
                "--headless",
                "--port",
                port,
            ]));
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
    let output = test_support::app::output(Command::new(server_binary()).args([
        "--headless",
        "--port",
        "0",
        "--min",
        "5",
        "--max",
        "2",
    ]));
    // A bad pair of values, refused as bad values are: exit 2, naming both, before anything
    // starts.
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "--min 5 (MinimumSocketsAvailable) is more than --max 2 (MaximumSocketsConnected)"
        ),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "it started");
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
    let mut naive = test_support::app::naive_server(server_binary(), "60000");
    let port = port_of(&naive.listening_address());
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
    let port = port_of(&pool.listening_address());
    assert_eq!(
        burst_counts(&port),
        (50, 0),
        "pool mode served every socket"
    );
}

/// Runs `server-app --lesson NAME --check …`, returning its exit code and output.
fn check_lesson(args: &[&str]) -> (Option<i32>, String, String) {
    test_support::app::outcome(Command::new(server_binary()).args(args))
}

#[test]
fn a_lesson_is_checked_against_logs_the_real_apps_recorded() {
    // The first lesson, done by a script: Listen, the client connects, another program (a
    // plain TcpStream here, `nc` in the lesson) connects and closes.
    let mut server = App::start(server_binary(), &["--headless", "--port", "0", "--json"]);
    let address = server.listening_address();
    let port = port_of(&address);
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
    // The step that says to run `nc` names the port the log's server listened on.
    assert!(out.contains(&format!("run `nc 127.0.0.1 {port}`")), "{out}");

    // A log out of the order it was written in (reversed) is said to be.
    let reversed = dir.join("reversed.ndjson");
    let mut lines: Vec<&str> = server_lines.iter().map(String::as_str).collect();
    lines.reverse();
    std::fs::write(&reversed, lines.join("\n")).unwrap();
    let (_, _, err) = check_lesson(&[
        "--lesson",
        "listening",
        "--check",
        "--events",
        reversed.to_str().unwrap(),
    ]);
    assert!(
        err.contains("reversed.ndjson, line 2: its time is earlier than the line before it"),
        "{err}"
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

//! `--capture` in both headless apps against each other, read as a script reads it: the
//! `segment` lines of a connect, greeting and close on each side, in order and tied to the
//! right socket; a client refused by a closed port (its SYN, then the RST); and a burst
//! against naive mode (RSTs, and SYNs sent again after the full queue dropped them).
//!
//! Capturing needs CAP_NET_RAW: CI runs as root. Where it is missing the apps say so on
//! stderr and run without the capture, and these tests fail showing that line.

use std::path::PathBuf;

use serde_json::Value;
use test_support::app::{App, is_event, port_of};

use crate::{client_binary, server_binary};

/// The JSON lines of a run, parsed.
fn parsed(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// The `segment` lines among `lines`, in order.
fn segments(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|v| is_event(v, "segment")).collect()
}

/// A segment in short: `in SYN,ACK 0 1 0`.
fn short(segment: &Value) -> String {
    format!(
        "{} {} {} {} {}",
        segment["dir"].as_str().unwrap_or("?"),
        segment["flags"].as_str().unwrap_or("?"),
        segment["seq"],
        segment["ack"],
        segment["len"]
    )
}

/// Checks one side's lines of one connection greeted and closed by the client: `from_client`
/// is the `dir` of the client's segments as this side sees them (`in` for the server).
fn check_greet_close(lines: &[Value], from_client: &str, stderr: &str) {
    let connected = lines
        .iter()
        .find(|v| is_event(v, "connected"))
        .unwrap_or_else(|| panic!("a connected line: {lines:#?}"));
    let socket = &connected["socket"];
    let segments = segments(lines);
    let shown: Vec<String> = segments.iter().map(|s| short(s)).collect();
    assert!(
        segments.len() >= 9,
        "the capture printed the connection's segments (stderr: {stderr}): {shown:#?}"
    );
    assert!(
        segments.iter().all(|s| s["socket"] == *socket),
        "every segment is socket {socket}'s: {lines:#?}"
    );
    let from_server = if from_client == "in" { "out" } else { "in" };
    let is = |s: &Value, dir: &str, flags: &str| s["dir"] == dir && s["flags"] == flags;
    assert!(
        is(segments[0], from_client, "SYN") && segments[0]["seq"] == 0,
        "{shown:#?}"
    );
    assert!(
        is(segments[1], from_server, "SYN,ACK") && segments[1]["ack"] == 1,
        "{shown:#?}"
    );
    assert!(
        is(segments[2], from_client, "ACK") && segments[2]["len"] == 0,
        "{shown:#?}"
    );
    let position = |after: usize, wanted: &dyn Fn(&Value) -> bool, what: &str| {
        segments
            .iter()
            .skip(after)
            .position(|s| wanted(s))
            .map_or_else(|| panic!("{what}: {shown:#?}"), |at| at + after)
    };
    let has = |s: &Value, flag: &str| {
        s["flags"]
            .as_str()
            .unwrap_or("")
            .split(',')
            .any(|f| f == flag)
    };
    let greeting = position(
        3,
        &|s| s["dir"] == from_server && s["len"] == 43,
        "the greeting",
    );
    // The client's hello leaves on Connected: before the greeting arrives or after it.
    let hello = position(
        3,
        &|s| s["dir"] == from_client && s["len"].as_u64() > Some(0),
        "the client's hello",
    );
    let client_fin = position(
        greeting.max(hello),
        &|s| s["dir"] == from_client && has(s, "FIN"),
        "the client's FIN",
    );
    // The FIN at `fin` acknowledged by the other side, `by`.
    let acknowledged = |fin: usize, by: &str, what: &str| {
        let end = segments[fin]["seq"].as_u64().unwrap() + 1;
        let acks = |s: &Value| s["dir"] == by && has(s, "ACK") && s["ack"].as_u64() >= Some(end);
        position(fin, &acks, what);
    };
    acknowledged(
        client_fin,
        from_server,
        "the server acknowledges the client's FIN",
    );
    let server_fin = position(
        client_fin,
        &|s| s["dir"] == from_server && has(s, "FIN"),
        "the server's FIN",
    );
    acknowledged(
        server_fin,
        from_client,
        "the client acknowledges the server's FIN",
    );
}

/// `client-app --headless --json --capture` opening `clients` sockets to `port`.
fn capturing_clients(port: &str, clients: usize) -> App {
    let clients = clients.to_string();
    capturing(client_binary(), &["--port", port, "--connect", &clients])
}

/// `binary --headless --json --capture`, with `more` arguments.
fn capturing(binary: PathBuf, more: &[&str]) -> App {
    let mut args = vec!["--headless", "--json", "--capture"];
    args.extend_from_slice(more);
    App::start(binary, &args)
}

/// A capturing server on a free port, with `more` arguments, and that port.
fn capturing_server(more: &[&str]) -> (App, String) {
    let mut server = capturing(server_binary(), &[&["--port", "0"], more].concat());
    let port = port_of(&server.listening_address());
    (server, port)
}

#[test]
fn a_connect_greet_close_is_each_sides_segments_in_order_tied_to_its_socket() {
    let (mut server, port) = capturing_server(&[]);
    let mut client = capturing(client_binary(), &["--port", &port, "--no-reply"]);
    client.until_json("the greeting", |v| is_event(v, "data"));
    server.until_json("the client's hello", |v| is_event(v, "data"));
    // The client closes first: its FIN, the server's ACK, the server's FIN, its ACK.
    client.signal("TERM");
    let (status, client_lines, client_stderr) = client.wait();
    assert!(status.success(), "{client_stderr}");
    server.until_json("the server's socket closed", |v| is_event(v, "closed"));
    server.signal("TERM");
    let (status, server_lines, server_stderr) = server.wait();
    assert!(status.success(), "{server_stderr}");
    check_greet_close(&parsed(&client_lines), "out", &client_stderr);
    check_greet_close(&parsed(&server_lines), "in", &server_stderr);
}

/// A capturing server given `--capture-file FILE` it cannot write, greeting one capturing
/// client that then stops; the server's lines and stderr once it has stopped too, with the
/// exit status 1 that says the file is not whole (it was 0, as if it were).
fn one_greeting_with_capture_file(file: &str) -> (Vec<String>, String) {
    let (mut server, port) = capturing_server(&["--capture-file", file]);
    let mut client = capturing(client_binary(), &["--port", &port, "--no-reply"]);
    client.until_json("the greeting", |v| is_event(v, "data"));
    server.until_json("a segment", |v| is_event(v, "segment"));
    client.signal("TERM");
    let (status, _, client_stderr) = client.wait();
    assert!(status.success(), "{client_stderr}");
    server.until_json("the server's socket closed", |v| is_event(v, "closed"));
    server.signal("TERM");
    let (status, lines, stderr) = server.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    (lines, stderr)
}

/// A capture file that takes no writes (`/proc/version`, which root may open) is said once on
/// stderr, as the capture's other lines go on (it was said only at the stop, after them all).
#[test]
fn a_capture_file_that_takes_no_writes_is_said_once_and_the_capture_goes_on() {
    let (lines, stderr) = one_greeting_with_capture_file("/proc/version");
    assert_eq!(
        stderr.matches("the capture file cannot be written").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("the capture goes on without it"),
        "{stderr}"
    );
    assert!(
        segments(&parsed(&lines)).len() >= 3,
        "the capture went on: {lines:#?}"
    );
}

/// A capture file refused at the start (a folder here) costs the file, not the capture: one
/// line says so, and the segment lines go on (the whole capture was switched off).
#[test]
fn a_refused_capture_file_leaves_the_capture_running() {
    let folder = std::env::temp_dir();
    let (lines, stderr) =
        one_greeting_with_capture_file(folder.to_str().expect("a UTF-8 temporary folder"));
    assert!(
        stderr.contains("capturing without the file") && !stderr.contains("without the capture"),
        "{stderr}"
    );
    assert!(
        segments(&parsed(&lines)).len() >= 3,
        "the capture went on: {lines:#?}"
    );
}

#[test]
fn a_client_refused_by_a_closed_port_sees_its_syn_then_the_rst() {
    let port = test_support::free_port().to_string();
    let mut client = capturing(client_binary(), &["--port", &port]);
    let (status, lines, stderr) = client.wait();
    assert_eq!(status.code(), Some(1), "a refused connect fails: {stderr}");
    let lines = parsed(&lines);
    let shown: Vec<String> = segments(&lines).iter().map(|s| short(s)).collect();
    assert_eq!(
        shown,
        ["out SYN 0 0 0", "in ACK,RST 0 1 0"],
        "stderr: {stderr}"
    );
    assert!(
        segments(&lines).iter().all(|s| s["socket"] == 0),
        "the refused connection is socket 0's from its SYN on: {lines:#?}"
    );
}

#[test]
fn a_burst_against_naive_mode_shows_the_rsts_its_closed_listener_sends() {
    let (mut naive, port) = capturing_server(&["--mode", "naive", "--relisten-delay-ms", "60000"]);
    let clients = 50;
    let mut client = capturing_clients(&port, clients);
    // Every socket is greeted or fails (refused, or reset when the listener closed with it
    // waiting); the one greeted stays until the client stops.
    let mut decided = std::collections::BTreeSet::new();
    for _ in 0..1000 {
        if decided.len() == clients {
            break;
        }
        let event = client.until_json("a greeting or an error", |v| {
            is_event(v, "data") || is_event(v, "error")
        });
        decided.insert(event["socket"].as_u64().unwrap());
    }
    client.signal("TERM");
    let (_, client_lines, client_stderr) = client.wait();
    naive.signal("TERM");
    let (_, server_lines, server_stderr) = naive.wait();
    let client_lines = parsed(&client_lines);
    let server_lines = parsed(&server_lines);
    let resets = |lines: &[Value], dir: &str| {
        segments(lines)
            .iter()
            .filter(|s| {
                s["dir"] == dir
                    && s["flags"]
                        .as_str()
                        .unwrap_or("")
                        .split(',')
                        .any(|f| f == "RST")
            })
            .count()
    };
    let refused = decided.len() - 1;
    assert!(
        resets(&client_lines, "in") >= refused,
        "each of the {refused} sockets not served got a RST: {client_stderr}"
    );
    assert!(
        resets(&server_lines, "out") >= refused,
        "the server's kernel sent them: {server_stderr}"
    );
}

#[test]
fn syns_a_full_queue_dropped_are_sent_again() {
    // Accepting paused and a backlog of 1: the kernel's queue holds two connections, and drops
    // the SYNs of the others, which their kernel sends again a second later, then 3 s later …
    let (mut server, port) = capturing_server(&["--paused", "--backlog", "1"]);
    let clients = 5;
    let mut client = capturing_clients(&port, clients);
    let mut syns = 0;
    for _ in 0..100 {
        if syns > clients {
            break;
        }
        client.until_json("a SYN", |v| is_event(v, "segment") && v["flags"] == "SYN");
        syns += 1;
    }
    assert!(syns > clients, "{syns} SYNs for {clients} sockets");
    server.until_json("a SYN sent again reaches the server", |v| {
        is_event(v, "segment") && v["flags"] == "SYN" && v["dir"] == "in"
    });
    client.signal("TERM");
    server.signal("TERM");
}

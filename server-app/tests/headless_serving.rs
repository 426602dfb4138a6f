//! The headless server serving plain loopback clients: the idle timeout, running out of file
//! descriptors, SIGTERM with 500 connected, the echo reply, the kernel's accept queue beyond
//! Max or while paused, and naive mode's gaps.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use test_support::PATIENCE;

use common::{
    client_of, greet_one_after_another, is_event, server_binary, server_under_prlimit, started,
};

/// The pause an accept error announces: "… tries again in N ms, or as soon as …".
fn retry_in_ms(message: &str) -> u64 {
    let (_, after) = message
        .split_once("tries again in ")
        .unwrap_or_else(|| panic!("no retry pause in {message:?}"));
    let (ms, _) = after
        .split_once(" ms")
        .unwrap_or_else(|| panic!("no retry pause in {message:?}"));
    ms.parse().unwrap()
}

/// A `--max` under the open-files limit that leaves no room for the server's own descriptors
/// is refused before anything starts: 50 connections at a limit of 64 could never all be
/// served (47 were, the rest waited on "too many open files").
#[cfg(target_os = "linux")]
#[test]
fn a_max_that_leaves_no_room_for_the_servers_own_descriptors_is_refused() {
    let mut server = server_under_prlimit("--nofile=64:64", &["--max", "50"]);
    let (status, _, stderr) = server.wait();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("besides the 24 counted"), "{stderr}");
    let mut server = server_under_prlimit("--nofile=64:64", &["--max", "40", "--json"]);
    server.listening_address();
    server.signal("TERM");
    let (status, _, stderr) = server.wait();
    assert!(status.success(), "{stderr}");
}

/// `--idle-timeout 1`: a client that never sends is closed with 102 "idle timeout".
#[test]
fn a_silent_client_is_closed_after_the_idle_timeout() {
    let (mut server, address) = started(&["--idle-timeout", "1"]);
    let mut silent = client_of(&address);
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
/// listening, and serves again as soon as clients leave. (Max is checked against the limit at
/// start, so the limit is lowered under the running server, with `prlimit --pid`, as an
/// administrator or another program's descriptors could.)
#[cfg(target_os = "linux")]
#[test]
fn running_out_of_file_descriptors_is_reported_and_survived() {
    let (mut server, address) = started(&["--max", "64"]);
    let lowered = std::process::Command::new("prlimit")
        .args(["--pid", &server.pid().to_string(), "--nofile=64:64"])
        .status()
        .expect("prlimit runs");
    assert!(lowered.success());
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
    let mut late = client_of(&address);
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
    let (mut server, address) = started(&["--max", "600"]);
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
fn server_reply_echo_returns_what_arrives() {
    use std::io::{Read, Write};
    let (mut server, address) = started(&["--reply", "echo"]);
    let mut stream = client_of(&address);
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
fn clients_beyond_max_are_reported_waiting_in_the_kernels_accept_queue() {
    let (mut server, address) = started(&["--min", "1", "--max", "2", "--backlog", "16"]);
    let address: std::net::SocketAddr = address.parse().unwrap();
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
    let mut naive = test_support::app::naive_server(server_binary(), "0");
    let address = naive.listening_address();
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
    let (mut server, address) = started(&["--backlog", "16", "--paused"]);
    let address: std::net::SocketAddr = address.parse().unwrap();
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

/// SIGHUP (the terminal closed) stops the server as SIGTERM and SIGINT do: every connection
/// closed, the `stopped` line last, status 0, not death by the signal (129).
#[test]
fn sighup_stops_cleanly_with_the_stopped_line() {
    let (mut server, address) = started(&[]);
    greet_one_after_another(&address, 1);
    let _connected = client_of(&address);
    server.until_json("connected", |v| {
        is_event(v, "connected") && v["socket"] == 1
    });
    server.signal("HUP");
    let (status, lines, stderr) = server.wait();
    assert!(status.success(), "{status:?} {stderr}");
    let last: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["event"], "stopped", "{lines:#?}");
}

/// `--backlog 0`: Linux still lets one connection wait (it takes one more than the backlog),
/// and the line that shows it says so instead of "1 waiting (capacity 0)" alone.
#[test]
fn backlog_0_says_that_linux_lets_one_more_wait() {
    let mut server = common::App::start(
        server_binary(),
        &["--headless", "--port", "0", "--backlog", "0", "--paused"],
    );
    let listening = server.until_line("listening", |line| line.starts_with("Listening on "));
    let address = listening
        .trim_start_matches("Listening on ")
        .split_once(' ')
        .unwrap()
        .0
        .to_owned();
    let _waiting = client_of(&address);
    let line = server.until_line("one waiting", |line| {
        line.starts_with("Kernel accept queue: 1 waiting")
    });
    assert_eq!(
        line,
        "Kernel accept queue: 1 waiting (capacity 0; Linux lets one more than the backlog wait)"
    );
    server.signal("TERM");
    assert!(server.wait().0.success());
}

/// `--bind` takes IPv6 addresses as the client does: `[::1]` in brackets, and a link-local
/// address with its interface (`fe80::1%lo`), which the server binds on that interface.
#[test]
fn bind_takes_bracketed_and_scoped_ipv6_addresses() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let (mut server, address) = started(&["--bind", "[::1]"]);
    assert!(address.starts_with("[::1]:"), "{address}");
    greet_one_after_another(&address, 1);
    server.signal("TERM");
    assert!(server.wait().0.success());

    // fe80::1 exists on `lo` only when someone added it: the test does not change the
    // machine's interfaces (tests keep to loopback as it is), so it checks the scoped bind
    // where the address exists, and otherwise that the flag takes it and the bind names it.
    let on_lo = std::net::SocketAddrV6::new("fe80::1".parse().unwrap(), 0, 0, 1);
    let usable = std::net::TcpListener::bind(on_lo).is_ok();
    let mut server = common::App::start(
        server_binary(),
        &[
            "--headless",
            "--port",
            "0",
            "--json",
            "--bind",
            "fe80::1%lo",
        ],
    );
    if usable {
        let address = server.listening_address();
        assert!(address.starts_with("[fe80::1%"), "{address}");
        // As printed: `[fe80::1%1]:PORT`, the interface by its index.
        let scoped: std::net::SocketAddr = address.parse().unwrap();
        let mut client = std::net::TcpStream::connect(scoped).unwrap();
        client.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut greeting = [0; 10];
        std::io::Read::read_exact(&mut client, &mut greeting).unwrap();
        server.signal("TERM");
        assert!(server.wait().0.success());
    } else {
        // Accepted as an address: what fails is the bind, with the address named (error
        // 100), not the flag (exit 2).
        let (status, _, stderr) = server.wait();
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("fe80::1"), "{stderr}");
    }
}

//! The headless client's script flags (`--hello`, `--repeat`, `--no-reply`, `--send-file`)
//! against a plain echo server or sink, byte for byte, and the mistakes in them it refuses.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;

use serde_json::Value;
use test_support::PATIENCE;
use test_support::app::{App, is_event};

fn client_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_client-app"))
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
        // A device would be read without end, a FIFO nobody writes to never: both refused.
        (
            &["--send-file", "/dev/zero"][..],
            "/dev/zero is not a regular file (a device)",
        ),
        (&["--hello", r"bad\q"][..], "--hello"),
        (&["--repeat", "0"][..], "--repeat"),
        // Flags that would do nothing, refused rather than quietly ignored.
        (
            &["--interval-ms", "5"][..],
            "--interval-ms works with --repeat N",
        ),
        (
            &["--repeat", "5", "--hello", ""][..],
            "--repeat sends the hello again, and --hello '' sends none",
        ),
    ] {
        let output = test_support::app::output(
            Command::new(client_binary())
                .args(["--headless", "--port", "1"])
                .args(args),
        );
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?} connected");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

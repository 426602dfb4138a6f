//! The headless server's output as a pipe: a reader that leaves, a reader that stops reading,
//! signals while the pipe is full, and output that cannot be written at all.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::BufReader;
use std::process::{Command, Stdio};

use test_support::PATIENCE;

use common::{App, greet_one_after_another, is_event, server_binary};

/// A headless JSON server whose stdout is a pipe, and the address its `listening` line gives.
fn server_with_a_reader() -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    String,
) {
    test_support::app::listening_on_a_pipe(
        Command::new(server_binary())
            .args(["--headless", "--port", "0", "--json"])
            .stderr(Stdio::null()),
    )
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

/// A reader that leaves is a normal stop (status 0), but it is said on stderr: a server that
/// ends with clients connected should not look as if it finished its work.
#[test]
fn a_reader_that_leaves_is_a_normal_stop_said_on_stderr() {
    let (mut child, stdout, _address) = test_support::app::listening_on_a_pipe(
        Command::new(server_binary())
            .args(["--headless", "--port", "0", "--json"])
            .stderr(Stdio::piped()),
    );
    drop(stdout);
    let status = test_support::exited(&mut child, "the server kept running without a reader");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status:?} {stderr}");
    assert!(stderr.contains("Output ended"), "{stderr:?}");
}

/// `server-app --headless | head -2`: `head` leaves after the lines it wanted, and nothing
/// happens after. The server hears the pipe close; it does not wait for a next line to fail.
#[test]
fn the_server_stops_when_its_reader_leaves_while_nothing_happens() {
    let (child, stdout, _address) = server_with_a_reader();
    drop(stdout);
    ends_without_its_reader(child);
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
    let address = server.listening_address();
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
        let address = server.listening_address();
        // Far more output than a pipe holds (64 KiB on Linux).
        let _client = flood(&address, 16 * 1024 * 1024);
        greet_one_after_another(&address, 1);
        server.signal(signal);
        let status = server.exit_status();
        assert!(status.success(), "SIG{signal}: {status:?}");
    }
}

/// `server-app --headless > /dev/full`: output that cannot be written is not a reader that
/// left. The server stops, says why on stderr and exits 1, not 0 as if all went well.
#[test]
fn output_that_cannot_be_written_stops_the_server_with_status_1() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut child = Command::new(server_binary())
        .args(["--headless", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = test_support::exited(
        &mut child,
        "the server went on with output it could not write",
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not be written"), "{stderr}");
    // A device is no file: nothing was taken back out of one.
    assert!(!stderr.contains("out of the file"), "{stderr}");
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// A 64 KiB tmpfs, or `None` (said) where this process cannot mount one (not root, or no
    /// `mount` in this container).
    fn mount() -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("small-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if mounted {
            Some(Self(dir))
        } else {
            eprintln!("skipped: cannot mount a tmpfs here (needs root); /dev/full is tested above");
            let _ = std::fs::remove_dir(&dir);
            None
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// `server-app --headless --json > file` on a disk that fills up: the server stops with
/// status 1 and says why, and the file holds only whole JSON lines (the one the disk cut is
/// taken back out), never half a line.
#[test]
fn a_full_disk_leaves_only_whole_lines_in_the_output_file() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let path = disk.0.join("out.ndjson");
    let file = std::fs::File::create(&path).unwrap();
    let mut child = Command::new(server_binary())
        .args(["--headless", "--port", "0", "--json", "--reply", "silent"])
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listening = test_support::within_patience(|| {
        let text = std::fs::read_to_string(&path).ok()?;
        let line = text.lines().find(|line| line.contains("\"listening\""))?;
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        value["address"].as_str().map(str::to_owned)
    })
    .expect("the listening line");
    // Lines of about 4 KiB each (a data line's text is cut at 4,096 characters): sixteen
    // fill the disk, and the one that does not fit is cut by the kernel mid-line.
    let chunk = vec![b'x'; 4000];
    for _ in 0..64 {
        let Ok(mut client) = std::net::TcpStream::connect(&listening) else {
            break;
        };
        if std::io::Write::write_all(&mut client, &chunk).is_err()
            || child.try_wait().unwrap().is_some()
        {
            break;
        }
    }
    let status = test_support::exited(&mut child, "the server went on with a full disk");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("could not be written"), "{stderr}");
    assert!(stderr.contains("taken back out of the file"), "{stderr}");
    let written = std::fs::read(&path).unwrap();
    assert!(
        written.len() > 32 * 1024,
        "the disk filled: {} bytes",
        written.len()
    );
    assert_eq!(
        written.last(),
        Some(&b'\n'),
        "the file ends with a whole line"
    );
    for line in String::from_utf8(written).unwrap().lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "a cut line: {line:?}"
        );
    }
}

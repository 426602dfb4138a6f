//! The client's command line, run as a user would: failing connects exit 1 with their codes,
//! and `--help` tells every flag's default.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::process::{Command, Output};

use serde_json::Value;

fn client(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_client-app"))
        .args(args)
        .output()
        .unwrap()
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
}

#[test]
fn an_unknown_host_exits_1_with_error_103_in_the_seeds_words() {
    let output = client(&["--headless", "--address", "no-such-host.invalid"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l == "Socket 0: Error = 103 (name resolution failed)"),
        "{stdout}"
    );
}

#[test]
fn help_names_every_flag_with_its_default() {
    let output = client(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--headless",
        "--address",
        "127.0.0.1",
        "--port",
        "2002",
        "--connect",
        "--json",
    ] {
        assert!(help.contains(expected), "--help lacks {expected}: {help}");
    }
}

#[test]
fn version_names_the_program_and_its_version() {
    let output = client(&["--version"]);
    assert!(output.status.success());
    let version = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        version.trim(),
        format!("client-app {}", env!("CARGO_PKG_VERSION"))
    );
}

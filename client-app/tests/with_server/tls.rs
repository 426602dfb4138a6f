//! Both apps' headless modes over TLS: the fingerprint the server prints pins its certificate
//! in the client, a wrong pin or a plaintext peer fails on the side that finds it, files
//! that cannot be used are refused by both, and a CA or certificate file of another user's is
//! used with a warning.

use std::path::PathBuf;

use serde_json::Value;
use test_support::app::{App, is_event, port_of};

use crate::{client_binary, server_binary};

/// A data folder of this test's own.
fn data_home(name: &str) -> PathBuf {
    test_support::empty_folder(&format!("server-app-tls-{name}"))
}

/// A `--tls --json` server with its self-signed certificate in `home`; its port and fingerprint.
fn tls_server(home: &std::path::Path) -> (App, String, String) {
    let mut server = App::start_in(
        server_binary(),
        &["--headless", "--port", "0", "--json", "--tls"],
        home,
    );
    let listening = server.until_event("listening");
    let fingerprint = listening["tls"]["fingerprint"].as_str().unwrap().to_owned();
    let port = port_of(listening["address"].as_str().unwrap());
    (server, port, fingerprint)
}

/// `client-app --headless --port PORT --json --tls` with `trust` (how it checks the server).
fn tls_client(port: &str, trust: &[&str]) -> App {
    let mut args = vec!["--headless", "--port", port, "--json", "--tls"];
    args.extend(trust);
    App::start(client_binary(), &args)
}

/// A plain client on the TLS server: its note says the server speaks TLS, and the alert it
/// got first is not counted as a greeting (the summary said "1 greeted").
#[test]
fn a_plain_client_on_a_tls_server_is_told_and_not_counted_greeted() {
    let home = data_home("plain-client");
    let (_server, port, _fingerprint) = tls_server(&home);
    let mut client = App::start(client_binary(), &["--headless", "--port", &port, "--json"]);
    let note = client.until_json("the note", |v| is_event(v, "note"));
    assert_eq!(note["text"], serversocket::seed::SPEAKS_TLS);
    let summary = client.until_json("the summary", |v| is_event(v, "summary"));
    assert_eq!(summary["greeted"], 0, "{summary}");
    assert_eq!(summary["connected"], 1, "{summary}");
    // The summary waits for the note: it came between the alert's bytes and what they mean.
    let at = |event: &str| {
        client
            .seen
            .iter()
            .position(|line| line.contains(&format!("\"event\":\"{event}\"")))
            .unwrap_or_else(|| panic!("no {event} line in {:#?}", client.seen))
    };
    assert!(at("note") < at("summary"), "{:#?}", client.seen);
    let _ = std::fs::remove_dir_all(&home);
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

    let mut client = tls_client(&port, &["--pin", &fingerprint]);
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
    let mut client = tls_client(&port, &["--pin", &zeros]);
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
        is_event(v, "error") && v["meaning"] == "TLS: our certificate not trusted"
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
    let mut client = tls_client(&port, &["--ca", ca.to_str().unwrap()]);
    client.until_json("greeting", |v| is_event(v, "data"));
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_tls_client_against_a_plaintext_server_exits_1_saying_so() {
    let mut server = App::start(server_binary(), &["--headless", "--port", "0", "--json"]);
    let listening = server.until_event("listening");
    assert!(
        listening.get("tls").is_none(),
        "a plain server says nothing of TLS"
    );
    let port = port_of(listening["address"].as_str().unwrap());
    let mut client = tls_client(&port, &["--tls-insecure"]);
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

/// Against an echo server (`--reply echo`), which sends our hello back: a plaintext server,
/// said once, in the error line; rustls's own warning about a ClientHello no longer follows
/// on stderr.
#[test]
fn a_tls_client_against_an_echo_server_says_plaintext_server_once() {
    let mut server = App::start(
        server_binary(),
        &["--headless", "--port", "0", "--json", "--reply", "echo"],
    );
    let listening = server.until_event("listening");
    let port = port_of(listening["address"].as_str().unwrap());
    let mut client = tls_client(&port, &["--tls-insecure"]);
    let (status, lines, stderr) = client.wait();
    assert_eq!(status.code(), Some(1), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"meaning\":\"TLS: plaintext server\"")
                && l.contains("our own TLS hello back")),
        "{lines:#?}"
    );
    assert!(!stderr.contains("rustls"), "{stderr}");
}

#[test]
fn tls_files_that_cannot_be_used_exit_2_naming_them() {
    let home = data_home("bad-files");
    let bogus = home.join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let bogus = bogus.to_str().unwrap();
    let server_files = [
        "--headless",
        "--port",
        "0",
        "--tls",
        "--cert",
        bogus,
        "--key",
        bogus,
    ];
    let client_pin = ["--headless", "--port", "1", "--tls", "--pin", "abc"];
    let naive_tls = ["--headless", "--port", "0", "--tls", "--mode", "naive"];
    for (binary, args, says) in [
        (server_binary(), &server_files[..], "holds no certificate"),
        (
            client_binary(),
            &client_pin[..],
            "not a SHA-256 fingerprint",
        ),
        (
            server_binary(),
            &naive_tls[..],
            "--tls works with --mode pool",
        ),
    ] {
        let mut app = App::start_in(binary, args, &home);
        let (status, _, stderr) = app.wait();
        assert_eq!(status.code(), Some(2), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        // The bogus file is readable by all (0644): a key that does not load is not also
        // warned of as a key others can read.
        assert!(!stderr.contains("warning"), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&home);
}

/// A `--ca` (and a `--cert`) of another user's, who could replace it, is used with the same
/// warning as a `--key` of theirs: the CA file was trusted without a word.
#[test]
fn a_ca_or_cert_file_another_user_can_replace_is_used_with_a_warning() {
    let Some((uid, gid)) = test_support::other_user::other_user() else {
        return;
    };
    let home = data_home("theirs");
    let (mut server, port, _) = tls_server(&home);
    let kept = home.join("serversocket");
    let theirs = home.join("their-cert.pem");
    std::fs::copy(kept.join("tls-cert.pem"), &theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(uid), Some(gid)).unwrap();
    let theirs = theirs.to_str().unwrap();

    let mut client = tls_client(&port, &["--ca", theirs]);
    client.until_json("greeting", |v| is_event(v, "data"));
    client.signal("TERM");
    let (_, _, stderr) = client.wait();
    assert!(
        stderr.contains(&format!(
            "warning: the CA file {theirs} belongs to another user (uid {uid}), who can replace it"
        )),
        "{stderr}"
    );
    server.signal("TERM");
    let _ = server.wait();

    let key = kept.join("tls-key.pem");
    let mut server = App::start_in(
        server_binary(),
        &[
            "--headless",
            "--port",
            "0",
            "--tls",
            "--cert",
            theirs,
            "--key",
            key.to_str().unwrap(),
        ],
        &home,
    );
    server.until_line("listening", |line| line.contains("istening"));
    server.signal("TERM");
    let (_, _, stderr) = server.wait();
    assert!(
        stderr.contains(&format!(
            "warning: the certificate {theirs} belongs to another user (uid {uid}), who can \
             replace it"
        )),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&home);
}

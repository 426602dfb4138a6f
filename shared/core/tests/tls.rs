//! TLS over loopback: our server with rustls's and OpenSSL's clients, our client with a rustls
//! server, and every failure a learner meets (plaintext on either side, unknown CA, wrong name,
//! expired certificate, wrong pin, handshake timeout), each closing one socket only.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{PATIENCE, Watch};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serversocket::seed::{Greeter, Replier, SERVER_GREETING, SPEAKS_TLS};
use serversocket::tls::{ClientTls, ServerTls, TlsProblem, Trust};
use serversocket::{
    Event, Passive, Runtime, ServerSocket, SocketError, SocketState, TcpSocket, event_channel,
};

/// A fresh folder for this test's certificates.
fn folder(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!(
        "serversocket-tls-test-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("folder");
    folder
}

/// A greeting server with TLS on 127.0.0.1 port 0, and its certificate.
fn tls_server(tls: ServerTls, max: usize) -> (Runtime, ServerSocket, Watch, SocketAddr) {
    let (runtime, mut server, receiver) = common::server(|_id| Greeter::default());
    server.set_limits(2, max).expect("limits");
    server.set_tls(Some(Arc::new(tls)));
    let address = server.listen().expect("listen");
    (runtime, server, Watch::new(receiver), address)
}

/// ring, as the library's configs use (its deprecation since rustls 0.23.48: see the library's
/// `tls::provider`).
#[allow(deprecated)]
fn ring() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// rustls's own blocking client, trusting the certificate in `ca` (PEM).
fn rustls_client(
    address: SocketAddr,
    ca: &Path,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("ca") {
        roots.add(cert.expect("cert")).expect("root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(ring()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(address.ip().to_string()).expect("name");
    let connection = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let tcp = TcpStream::connect(address).expect("connect");
    tcp.set_read_timeout(Some(PATIENCE)).expect("timeout");
    rustls::StreamOwned::new(connection, tcp)
}

/// Reads the seed's greeting through any reader.
fn read_greeting(stream: &mut impl Read) {
    let mut greeting = vec![0; SERVER_GREETING.len()];
    stream.read_exact(&mut greeting).expect("greeting");
    assert_eq!(greeting, SERVER_GREETING.as_bytes());
}

fn is_tls_error(event: &Event, wanted: TlsProblem) -> bool {
    matches!(event, Event::Error { error: SocketError::Tls { problem, .. }, .. } if *problem == wanted)
}

#[test]
fn a_rustls_client_is_greeted_through_the_handshake_and_hears_close_notify() {
    let certs = folder("rustls-client");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let (_runtime, server, mut watch, address) = tls_server(tls, 8);
    let mut client = rustls_client(address, &certs.join("tls-cert.pem"));
    read_greeting(&mut client);

    // Handshaking (TCP is up), then Secured, then Connected: Xojo's order for an SSLSocket.
    let order: Vec<&str> = {
        watch.until("Connected", |e| matches!(e, Event::Connected { .. }));
        watch
            .seen
            .iter()
            .filter_map(|e| match e {
                Event::Handshaking { .. } => Some("handshaking"),
                Event::Secured { .. } => Some("secured"),
                Event::Connected { .. } => Some("connected"),
                _ => None,
            })
            .collect()
    };
    assert_eq!(order, ["handshaking", "secured", "connected"]);
    let Some(Event::Secured { socket, tls }) = watch
        .seen
        .iter()
        .find(|e| matches!(e, Event::Secured { .. }))
        .cloned()
    else {
        unreachable!("seen above")
    };
    assert_eq!(tls.protocol, "TLS1.3");
    assert!(tls.cipher.starts_with("TLS13_"), "{}", tls.cipher);
    let handle = server.connection(socket).expect("connected socket");
    assert_eq!(handle.status().state, SocketState::Connected);
    assert_eq!(handle.tls(), Some(tls));

    // Bytes both ways, decrypted on our side.
    client.write_all(b"hello over TLS\r\n").expect("write");
    client.flush().expect("flush");
    watch.until(
        "the client's words",
        |e| matches!(e, Event::Data { data, .. } if data.as_ref() == b"hello over TLS\r\n"),
    );
    handle.write(&b"a reply\r\n"[..]).expect("queued");
    let mut reply = [0; 9];
    client.read_exact(&mut reply).expect("reply");
    assert_eq!(&reply, b"a reply\r\n");

    // Our close says goodbye in TLS first: rustls reports a clean end (Ok(0)), which it only
    // does after a close_notify; a bare TCP close would be an UnexpectedEof error.
    handle.close();
    let mut rest = Vec::new();
    let read = client.read_to_end(&mut rest);
    assert!(read.is_ok(), "a clean TLS close, got {read:?}");
    watch.until(
        "Closed",
        |e| matches!(e, Event::Closed { socket: s } if *s == socket),
    );
    let _ = std::fs::remove_dir_all(&certs);
}

#[test]
fn openssl_s_client_is_greeted() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        println!("skipped: no openssl on this machine (apt-get install openssl)");
        return;
    }
    let certs = folder("openssl");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let (_runtime, _server, mut watch, address) = tls_server(tls, 8);
    let mut child = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &address.to_string(), "-quiet"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut greeting = vec![0; SERVER_GREETING.len()];
        let read = stdout.read_exact(&mut greeting);
        (read, greeting)
    });
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"from openssl\n").expect("write");
    watch.until(
        "openssl's words",
        |e| matches!(e, Event::Data { data, .. } if data.as_ref() == b"from openssl\n"),
    );
    let secured = watch.until("Secured", |e| matches!(e, Event::Secured { .. }));
    assert!(matches!(secured, Event::Secured { tls, .. } if tls.protocol == "TLS1.3"));
    drop(stdin);
    let (read, greeting) = reader.join().expect("reader");
    read.expect("greeting from the server");
    assert_eq!(greeting, SERVER_GREETING.as_bytes());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&certs);
}

/// A TLS server of rustls's own on a thread: sends `hello\r\n`, then echoes one line back.
fn rustls_server(cert: &Path, key: &Path) -> (SocketAddr, std::thread::JoinHandle<Vec<u8>>) {
    rustls_server_asking(cert, key, ClientCertificate::NotAsked)
}

/// Whether a rustls server asks its clients for a certificate of their own.
#[derive(Clone, Copy)]
enum ClientCertificate {
    NotAsked,
    /// Required, signed by the server's own certificate; TLS 1.3 only, where the server's
    /// refusal comes after the client's side of the handshake is done.
    RequiredTls13,
}

/// [`rustls_server`], asking for a client certificate or not.
fn rustls_server_asking(
    cert: &Path,
    key: &Path,
    client: ClientCertificate,
) -> (SocketAddr, std::thread::JoinHandle<Vec<u8>>) {
    let chain: Vec<_> = CertificateDer::pem_file_iter(cert)
        .expect("cert")
        .map(|c| c.expect("cert"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).expect("key");
    let builder = rustls::ServerConfig::builder_with_provider(Arc::new(ring()));
    let config = match client {
        ClientCertificate::NotAsked => builder
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth(),
        ClientCertificate::RequiredTls13 => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(chain[0].clone()).expect("root");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::new(ring()),
            )
            .build()
            .expect("verifier");
            builder
                .with_protocol_versions(&[&rustls::version::TLS13])
                .expect("versions")
                .with_client_cert_verifier(verifier)
        }
    }
    .with_single_cert(chain, key)
    .expect("config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let thread = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let connection = rustls::ServerConnection::new(Arc::new(config)).expect("server");
        let mut stream = rustls::StreamOwned::new(connection, tcp);
        let mut got = Vec::new();
        if stream
            .write_all(b"hello\r\n")
            .and_then(|()| stream.flush())
            .is_err()
        {
            return got;
        }
        let mut byte = [0; 1];
        while !got.ends_with(b"\n") && got.len() < 100 {
            match stream.read(&mut byte) {
                Ok(1) => got.push(byte[0]),
                _ => break,
            }
        }
        got
    });
    (address, thread)
}

/// Our client with `trust`, connecting to `host` on `port`; its events.
fn our_client(host: &str, port: u16, trust: Trust) -> (Runtime, TcpSocket, Watch) {
    let tls = Arc::new(ClientTls::new(trust).expect("client settings"));
    common::connecting(
        TcpSocket::builder(host, port).timeout(PATIENCE).tls(tls),
        Passive,
    )
}

#[test]
fn our_client_talks_to_a_rustls_server_it_trusts_through_a_ca_file() {
    let certs = folder("rustls-server");
    let (cert, key) = (certs.join("tls-cert.pem"), certs.join("tls-key.pem"));
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    drop(tls);
    let (address, server) = rustls_server(&cert, &key);
    let (_runtime, socket, mut watch) = our_client(
        "127.0.0.1",
        address.port(),
        Trust::Roots {
            ca_file: Some(cert.clone()),
        },
    );
    watch.until("Connected", |e| matches!(e, Event::Connected { .. }));
    assert!(watch.count(|e| matches!(e, Event::Handshaking { .. })) == 1);
    assert!(watch.count(|e| matches!(e, Event::Secured { .. })) == 1);
    watch.until(
        "hello",
        |e| matches!(e, Event::Data { data, .. } if data.as_ref() == b"hello\r\n"),
    );
    assert!(socket.status().tls.is_some());
    socket.write(&b"hi rustls\n"[..]).expect("queued");
    assert_eq!(server.join().expect("server"), b"hi rustls\n");
    let _ = std::fs::remove_dir_all(&certs);
}

/// A TLS 1.3 server that requires a client certificate checks it after the client's side of
/// the handshake is done: our client (which has none) connects, then is refused with an alert.
/// Its error says who wants what, not rustls's "received fatal alert: CertificateRequired".
#[test]
fn a_server_requiring_a_client_certificate_says_so_in_the_error() {
    let certs = folder("client-certificate");
    let (cert, key) = (certs.join("tls-cert.pem"), certs.join("tls-key.pem"));
    drop(ServerTls::self_signed_in(&certs).expect("certificate"));
    let (address, server) = rustls_server_asking(&cert, &key, ClientCertificate::RequiredTls13);
    let (_runtime, _socket, mut watch) = our_client(
        "127.0.0.1",
        address.port(),
        Trust::Roots {
            ca_file: Some(cert.clone()),
        },
    );
    let error = watch.until("Error", |e| matches!(e, Event::Error { .. }));
    let Event::Error { error, .. } = error else {
        unreachable!("until returns what it waited for")
    };
    let words = error.to_string();
    assert!(
        matches!(error, SocketError::LostConnection { .. }) && error.code() == 102,
        "{error:?}"
    );
    assert!(
        words.contains("requires a client certificate, and this socket has none to give")
            && words.contains("TLS alert certificate_required"),
        "{words}"
    );
    watch.until("Closed", |e| matches!(e, Event::Closed { .. }));
    assert!(server.join().expect("server").is_empty());
    let _ = std::fs::remove_dir_all(&certs);
}

/// A host that is no name a certificate can hold (`127.1`, which the system reads as
/// 127.0.0.1; a link-local address with its interface) failed every handshake with "invalid
/// dns name" once TCP had connected, even where no name is checked. It is checked as the
/// address it stands for.
#[test]
fn a_host_written_as_no_certificate_name_is_checked_as_its_address() {
    let certs = folder("host-as-address");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let pin = Trust::pin(tls.fingerprint()).expect("pin");
    let (_server_runtime, _server, _events, address) = tls_server(tls, 10);
    for (host, trust) in [
        ("127.1", Trust::AnyCertificate),
        ("127.1", pin),
        // The self-signed certificate names 127.0.0.1: the name check passes on the address.
        (
            "127.1",
            Trust::Roots {
                ca_file: Some(certs.join("tls-cert.pem")),
            },
        ),
    ] {
        let (_runtime, _socket, mut watch) = our_client(host, address.port(), trust);
        watch.until("Connected", |e| {
            assert!(!matches!(e, Event::Error { .. }), "{e:?}");
            matches!(e, Event::Connected { .. })
        });
    }
    let _ = std::fs::remove_dir_all(&certs);
}

#[test]
fn a_plaintext_client_on_the_tls_server_is_an_error_and_the_pool_goes_on() {
    let certs = folder("plaintext-client");
    let tls = ServerTls::self_signed_in(&certs)
        .expect("certificate")
        .with_handshake_timeout(Duration::from_millis(300));
    let (_runtime, _server, mut watch, address) = tls_server(tls, 8);

    // One speaks plain text at once; one says nothing, waiting for a greeting that never comes.
    let mut talker = TcpStream::connect(address).expect("connect");
    talker.write_all(b"hello, plain text\r\n").expect("write");
    watch.until("plaintext client", |e| {
        is_tls_error(e, TlsProblem::PlaintextClient)
    });
    let _silent = TcpStream::connect(address).expect("connect");
    watch.until("handshake timeout", |e| {
        is_tls_error(e, TlsProblem::TimedOut)
    });
    assert_eq!(watch.count(|e| matches!(e, Event::Connected { .. })), 0);

    // The pool still serves a TLS client.
    let mut client = rustls_client(address, &certs.join("tls-cert.pem"));
    read_greeting(&mut client);
    let _ = std::fs::remove_dir_all(&certs);
}

/// The seed's plain client on a TLS server: the server's alert arrives as its "greeting"
/// (`\x15\x03\x03…`); a note says what it is. A plain server's greeting gets none.
#[test]
fn the_seeds_plain_client_says_when_its_server_answers_in_tls() {
    let certs = folder("plain-seed-client");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let (_server_runtime, _server, _server_watch, address) = tls_server(tls, 8);
    let (_runtime, _socket, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", address.port()).timeout(PATIENCE),
        Replier::default(),
    );
    watch.until(
        "the note",
        |e| matches!(e, Event::Note { text, .. } if text == SPEAKS_TLS),
    );
    let _ = std::fs::remove_dir_all(&certs);

    let (_server_runtime, _server, _server_watch, address) = common::greeting_server(2, 8);
    let (_runtime, _socket, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", address.port()).timeout(PATIENCE),
        Replier::default(),
    );
    watch.until("the greeting", |e| matches!(e, Event::Data { .. }));
    // The hello's and the reply's: the reply is written by the handler that would note.
    watch.until_n(2, "the hello and the reply sent", |e| {
        matches!(e, Event::SendComplete { .. })
    });
    assert_eq!(watch.count(|e| matches!(e, Event::Note { .. })), 0);
}

#[test]
fn our_client_on_a_silent_plaintext_server_says_the_server_did_not_answer() {
    // A plaintext server that waits for its client to speak first, and never answers a hello:
    // it takes the connection (one it never took waits in its accept queue, and so does our
    // client, as the next test shows).
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let listening = listener.try_clone().expect("listener");
    let _taker = std::thread::spawn(move || listening.accept().map(|(held, _)| held));
    let tls = ClientTls::new(Trust::AnyCertificate)
        .expect("client settings")
        .with_handshake_timeout(Duration::from_millis(300));
    let (_runtime, _socket, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", port)
            .timeout(PATIENCE)
            .tls(Arc::new(tls)),
        Passive,
    );
    let error = watch.error("the handshake timeout", |_, _| true);
    assert!(
        matches!(
            error,
            SocketError::Tls {
                problem: TlsProblem::ServerSilent,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(error.meaning(), "TLS: handshake timeout");
    assert!(
        error.to_string().contains("the server did not answer"),
        "{error}"
    );
    drop(listener);
}

/// Our secure client over its server's Max waits in the server's accept queue, as a plain
/// client does, its handshake timeout not running meanwhile; once a server socket takes the
/// connection, the handshake goes through. It failed after the timeout ("the server did not
/// answer our TLS hello"), though the server's kernel held it for a socket to take.
#[test]
fn our_client_over_the_servers_max_waits_in_the_accept_queue_then_is_served() {
    // Four of its handshake timeouts go by while the server's kernel holds it.
    waits_in_the_accept_queue_then_is_served("over-max", Duration::from_millis(300));
}

/// A wait in the queue shorter than the handshake timeout is not counted in the handshake's
/// time either: it read 4,498 ms where the server's handshake took 2.
#[test]
fn a_short_wait_in_the_accept_queue_is_not_counted_in_the_handshake() {
    waits_in_the_accept_queue_then_is_served("short-wait", PATIENCE);
}

/// Our TLS client with `handshake_timeout`, over a server's Max: it waits in the accept queue
/// (1.2 s), then is served, its handshake's time counted from when a socket could take it.
fn waits_in_the_accept_queue_then_is_served(name: &str, handshake_timeout: Duration) {
    let certs = folder(name);
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let (_server_runtime, mut server, _events) = common::server(|_id| Greeter::default());
    server.set_limits(1, 1).expect("limits");
    server.set_tls(Some(Arc::new(tls)));
    let address = server.listen().expect("listen");
    let (_first_runtime, first, mut first_watch) =
        our_client("127.0.0.1", address.port(), Trust::AnyCertificate);
    first_watch.until("the first client connected", |e| {
        matches!(e, Event::Connected { .. })
    });
    let tls = ClientTls::new(Trust::AnyCertificate)
        .expect("client settings")
        .with_handshake_timeout(handshake_timeout);
    let (_runtime, _second, mut watch) = common::connecting(
        TcpSocket::builder("127.0.0.1", address.port())
            .timeout(PATIENCE)
            .tls(Arc::new(tls)),
        Passive,
    );
    watch.until("the second's TCP connection up", |e| {
        matches!(e, Event::Handshaking { .. })
    });
    let queued = std::time::Instant::now();
    std::thread::sleep(Duration::from_millis(1_200));
    watch.drain();
    assert_eq!(
        watch.count(|e| matches!(e, Event::Error { .. })),
        0,
        "no handshake timeout while waiting in the accept queue"
    );
    first.close();
    let waited = queued.elapsed();
    watch.until("the second served once the first left", |e| {
        matches!(e, Event::Connected { .. })
    });
    assert_eq!(watch.count(|e| matches!(e, Event::Error { .. })), 0);
    // Its handshake's time counts from when a server socket could take it, not from its
    // wait in the queue (it said 37 s where the server's said 17 ms).
    let handshake = watch
        .seen
        .iter()
        .find_map(|e| match e {
            Event::Secured { tls, .. } => Some(tls.handshake),
            _ => None,
        })
        .expect("Secured before Connected");
    assert!(handshake < waited, "{handshake:?}, queued for {waited:?}");
    let _ = std::fs::remove_dir_all(&certs);
}

/// A client that connected and never starts its handshake (a port scanner, `nc` on the TLS
/// port) is closed by a Close at once, as a headless server's Ctrl-C closes every socket:
/// Closed with no error, not the handshake timeout's Error ten seconds later.
#[test]
fn a_close_during_the_handshake_ends_it_at_once() {
    let certs = folder("close-in-handshake");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let (_runtime, server, mut watch, address) = tls_server(tls, 8);
    let _silent = TcpStream::connect(address).expect("connect");
    watch.until("its handshake", |e| matches!(e, Event::Handshaking { .. }));
    server.close_all();
    watch.until("closed", |e| matches!(e, Event::Closed { .. }));
    assert_eq!(
        watch.count(|e| matches!(e, Event::Error { .. })),
        0,
        "closed here, not timed out"
    );
    assert!(server.active_connections().is_empty());
    let _ = std::fs::remove_dir_all(&certs);
}

#[test]
fn our_tls_client_on_a_plaintext_server_fails_clearly_without_connecting() {
    let (_server_runtime, _server, _server_watch, address) = common::greeting_server(2, 8);
    let (_runtime, socket, mut watch) =
        our_client("127.0.0.1", address.port(), Trust::AnyCertificate);
    let error = watch.until("TLS error", |e| matches!(e, Event::Error { .. }));
    assert!(
        is_tls_error(&error, TlsProblem::PlaintextServer),
        "{error:?}"
    );
    let Event::Error { error, .. } = error else {
        unreachable!()
    };
    assert_eq!(error.code(), 102);
    assert!(error.to_string().contains("does not speak TLS"), "{error}");
    watch.until("Closed", |e| matches!(e, Event::Closed { .. }));
    assert_eq!(watch.count(|e| matches!(e, Event::Connected { .. })), 0);
    assert_eq!(socket.status().state, SocketState::Closed);
}

/// An echo server sends our hello back: that is a server that does not speak TLS, said so,
/// where it was "TLS: handshake failed" with rustls's words about a ClientHello.
#[test]
fn our_tls_client_on_an_echo_server_says_the_server_does_not_speak_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let _echo = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut buffer = [0; 4096];
        while let Ok(read @ 1..) = stream.read(&mut buffer) {
            if stream.write_all(&buffer[..read]).is_err() {
                break;
            }
        }
    });
    let (_runtime, _socket, mut watch) = our_client("127.0.0.1", port, Trust::AnyCertificate);
    let error = watch.until("TLS error", |e| matches!(e, Event::Error { .. }));
    assert!(
        is_tls_error(&error, TlsProblem::PlaintextServer),
        "{error:?}"
    );
    let Event::Error { error, .. } = error else {
        unreachable!()
    };
    assert!(
        error.to_string().contains("our own TLS hello back"),
        "{error}"
    );
}

#[test]
fn a_pin_trusts_exactly_one_certificate() {
    let certs = folder("pin");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let right = tls.fingerprint().to_owned();
    let (_runtime, _server, mut server_watch, address) = tls_server(tls, 8);

    let wrong = Trust::pin(&"00".repeat(32)).expect("pin");
    let (_r1, _wrong_socket, mut watch) = our_client("127.0.0.1", address.port(), wrong);
    watch.until("pin mismatch", |e| is_tls_error(e, TlsProblem::PinMismatch));
    watch.until("Closed", |e| matches!(e, Event::Closed { .. }));
    assert_eq!(watch.count(|e| matches!(e, Event::Connected { .. })), 0);
    // The server hears the refusal as its certificate not trusted, the alert named as TLS
    // writes it (rustls: "received fatal alert: AccessDenied"); its pool goes on.
    server_watch.until("refused", |e| {
        is_tls_error(e, TlsProblem::NotTrustedByClient)
            && matches!(e, Event::Error { error: SocketError::Tls { detail, .. }, .. }
                if detail == "the peer sent TLS alert access_denied")
    });

    let (_r2, _socket, mut watch) = our_client(
        "127.0.0.1",
        address.port(),
        Trust::pin(&right).expect("pin"),
    );
    watch.until(
        "greeting",
        |e| matches!(e, Event::Data { data, .. } if data.as_ref() == SERVER_GREETING.as_bytes()),
    );
    let _ = std::fs::remove_dir_all(&certs);
}

/// A certificate made here for `names`, valid from `from` to `to` (rcgen's dates).
fn certificate(folder: &Path, names: &[&str], expired: bool) -> ServerTls {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("params");
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    let (cert_path, key_path) = (folder.join("cert.pem"), folder.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).expect("write");
    std::fs::write(&key_path, key.serialize_pem()).expect("write");
    ServerTls::from_pem_files(&cert_path, &key_path).expect("identity")
}

#[test]
fn a_server_certificate_out_of_its_dates_is_said_when_it_is_loaded() {
    let certs = folder("dates");
    let expired = certificate(&certs, &["localhost"], true);
    let now = std::time::SystemTime::now();
    let said = expired.date_problem(now).expect("expired");
    assert!(
        said.contains("cert.pem expired on 2001-01-01")
            && said.contains("TLS: certificate expired"),
        "{said}"
    );
    // Seen from before it began: not valid yet.
    let before = std::time::UNIX_EPOCH + Duration::from_secs(86_400 * 365 * 20);
    let said = expired.date_problem(before).expect("not valid yet");
    assert!(said.contains("is not valid until 2000-01-01"), "{said}");
    let current = certificate(&certs, &["localhost"], false);
    assert_eq!(current.date_problem(now), None);
    let kept = ServerTls::self_signed_in(&certs).expect("self-signed");
    assert_eq!(kept.date_problem(now), None);
    let _ = std::fs::remove_dir_all(&certs);
}

#[test]
fn unknown_ca_wrong_name_and_expired_certificates_are_told_apart() {
    // Trusting only the system's roots, a self-signed certificate is from an unknown CA.
    let certs = folder("unknown-ca");
    let tls = ServerTls::self_signed_in(&certs).expect("cert");
    let seen = format!("its SHA-256 fingerprint is {}", tls.fingerprint());
    let (_r, _s, _w, address) = tls_server(tls, 4);
    let (_r1, _c1, mut watch) =
        our_client("127.0.0.1", address.port(), Trust::Roots { ca_file: None });
    // With the fingerprint a pin takes: a headless client has no offer to trust it.
    watch.until("unknown CA", |e| {
        is_tls_error(e, TlsProblem::UnknownCa)
            && matches!(e, Event::Error { error: SocketError::Tls { detail, .. }, .. } if *detail == seen)
    });

    let _ = std::fs::remove_dir_all(certs);

    // Trusted, but made for another name; trusted and for the right name, but long expired.
    for (case, name, expired, problem, said) in [
        (
            "wrong-name",
            "example.com",
            false,
            TlsProblem::NameMismatch,
            "example.com",
        ),
        (
            "expired",
            "127.0.0.1",
            true,
            TlsProblem::Expired,
            "it expired on 2001-01-01",
        ),
    ] {
        let trusted = folder(case);
        let tls = certificate(&trusted, &[name], expired);
        let (_r, _s, _w, address) = tls_server(tls, 4);
        let trust = Trust::Roots {
            ca_file: Some(trusted.join("cert.pem")),
        };
        let (_r2, _c2, mut watch) = our_client("127.0.0.1", address.port(), trust);
        watch.until(&format!("{case}: {problem:?}"), |e| {
            is_tls_error(e, problem)
                && matches!(e, Event::Error { error: SocketError::Tls { detail, .. }, .. } if detail.contains(said))
        });
        let _ = std::fs::remove_dir_all(trusted);
    }
}

#[test]
fn fifty_simultaneous_tls_clients_are_all_greeted() {
    let certs = folder("fifty");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let (_runtime, _server, mut watch, address) = tls_server(tls, 64);
    let ca = certs.join("tls-cert.pem");
    let barrier = Arc::new(std::sync::Barrier::new(50));
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let (ca, barrier) = (ca.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                let mut client = rustls_client(address, &ca);
                read_greeting(&mut client);
                client
            })
        })
        .collect();
    let connected: Vec<_> = clients
        .into_iter()
        .map(|c| c.join().expect("greeted"))
        .collect();
    assert_eq!(connected.len(), 50);
    watch.until_n(50, "50 secured", |e| matches!(e, Event::Secured { .. }));
    assert_eq!(watch.count(|e| matches!(e, Event::Error { .. })), 0);
    let _ = std::fs::remove_dir_all(&certs);
}

#[test]
fn megabytes_through_tls_keep_send_progress_send_complete_and_every_byte() {
    let certs = folder("bulk");
    let tls = ServerTls::self_signed_in(&certs).expect("certificate");
    let pin = Trust::pin(tls.fingerprint()).expect("pin");
    let runtime = Runtime::new().expect("runtime");
    let (events, receiver) = event_channel(None);
    let keeper = common::Keeper::default();
    let server_keeper = keeper.clone();
    let mut server = ServerSocket::new(&runtime, events, move |_id| server_keeper.clone());
    server.set_port(0);
    server.set_tls(Some(Arc::new(tls)));
    let address = server.listen().expect("listen");
    let mut server_watch = Watch::new(receiver);

    let (_client_runtime, socket, mut watch) = our_client("127.0.0.1", address.port(), pin);
    watch.until("Connected", |e| matches!(e, Event::Connected { .. }));
    let block: Vec<u8> = (0..8 * 1024 * 1024_u32)
        .map(|i| u8::try_from(i % 251).expect("below 256"))
        .collect();
    socket.write(block.clone()).expect("queued");
    watch.until("SendComplete", |e| matches!(e, Event::SendComplete { .. }));
    let sent: u64 = watch
        .seen
        .iter()
        .map(|e| match e {
            Event::SendProgress { sent, .. } => *sent,
            _ => 0,
        })
        .sum();
    assert_eq!(
        sent,
        block.len() as u64,
        "SendProgress counts every byte once"
    );

    // The server's Data events report every byte once; its handler read them, decrypted, in
    // the order sent.
    let mut reported = 0;
    for _ in 0..100_000 {
        if reported >= block.len() {
            break;
        }
        if let Event::Data { bytes, .. } =
            server_watch.until("data", |e| matches!(e, Event::Data { .. }))
        {
            reported += bytes;
        }
    }
    assert_eq!(reported, block.len());
    assert!(
        keeper.kept_once(block.len()) == block,
        "every byte arrived intact and in order"
    );
    let _ = std::fs::remove_dir_all(&certs);
}

//! TLS with the certificates and keys people make with `openssl`, over loopback: a
//! self-signed `openssl req -x509` certificate (CA:TRUE, its host only in its CN) given as the
//! CA file is trusted for its name only, and so is a CA-signed server certificate given alone;
//! a CA certificate past its dates is not; an encrypted
//! key, a key that is not the certificate's, a chain in the wrong order and a TLS 1.0 peer
//! are each told in words.

#![cfg(unix)]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serversocket::seed::{Greeter, SERVER_GREETING};
use serversocket::tls::{ClientTls, ServerTls, TlsProblem, TlsSetupError, Trust};
use serversocket::{Event, Passive, SocketError, TcpSocket};

/// A fresh folder for this test's files.
fn folder(name: &str) -> PathBuf {
    test_support::empty_folder(&format!("tls-people-{name}"))
}

/// Runs `openssl` with `args` in `dir`; `false` (said) when there is no openssl.
fn openssl(dir: &Path, args: &[&str]) -> bool {
    let ran = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let Ok(status) = ran else {
        println!("skipped: no openssl on this machine (apt-get install openssl)");
        return false;
    };
    assert!(status.success(), "openssl {args:?}");
    true
}

/// `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=NAME`: what a tutorial says to type.
fn self_signed_by_openssl(dir: &Path, name: &str) -> bool {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
    )
}

/// `cert.pem` and `key.pem` in `dir` are refused as a server's identity, in words that say
/// `said`: the words.
fn assert_refused(dir: &Path, said: &str) -> String {
    let refused = ServerTls::from_pem_files(&dir.join("cert.pem"), &dir.join("key.pem"))
        .unwrap_err()
        .to_string();
    assert!(refused.contains(said), "{refused}");
    refused
}

/// A greeting server with TLS and a client of ours, kept alive while a test watches.
struct Pair {
    _server: (serversocket::Runtime, serversocket::ServerSocket),
    /// The server's events.
    server: common::Watch,
    _client: (serversocket::Runtime, TcpSocket),
    /// The client's events.
    watch: common::Watch,
}

/// Our greeting server with `tls` on loopback; our client trusting `ca` connects to it as
/// `host`.
fn connect_trusting(tls: ServerTls, ca: &Path, host: &str) -> Pair {
    let (runtime, mut server, receiver) = common::server(|_id| Greeter::default());
    server.set_tls(Some(Arc::new(tls)));
    let address = server.listen().unwrap();
    let trust = Trust::Roots {
        ca_file: Some(ca.to_owned()),
    };
    let client = Arc::new(ClientTls::new(trust).unwrap());
    let (client_runtime, socket, watch) = common::connecting(
        TcpSocket::builder(host, address.port())
            .timeout(common::PATIENCE)
            .tls(client),
        Passive,
    );
    Pair {
        _server: (runtime, server),
        server: common::Watch::new(receiver),
        _client: (client_runtime, socket),
        watch,
    }
}

fn tls_problem(event: &Event) -> Option<TlsProblem> {
    match event {
        Event::Error {
            error: SocketError::Tls { problem, .. },
            ..
        } => Some(*problem),
        _ => None,
    }
}

/// The words of an Error event, as the log shows them.
fn words(event: &Event) -> String {
    match event {
        Event::Error { error, .. } => error.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn an_openssl_self_signed_certificate_given_as_the_ca_is_trusted_for_its_name_only() {
    let dir = folder("req-x509");
    if !self_signed_by_openssl(&dir, "localhost") {
        return;
    }
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    // As openssl s_client and curl do: trusted, and the greeting comes through.
    let tls = ServerTls::from_pem_files(&cert, &key).unwrap();
    let mut pair = connect_trusting(tls, &cert, "localhost");
    pair.watch.until(
        "the greeting",
        |e| matches!(e, Event::Data { data, .. } if data.as_ref() == SERVER_GREETING.as_bytes()),
    );
    // Its name is still checked: it is not 127.0.0.1's.
    let tls = ServerTls::from_pem_files(&cert, &key).unwrap();
    let mut pair = connect_trusting(tls, &cert, "127.0.0.1");
    let refused = pair.watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(tls_problem(&refused), Some(TlsProblem::NameMismatch));
    // Its name is said, from its CN (webpki's words were "not valid for any names").
    assert!(
        words(&refused).contains("only valid for localhost (its subject's CN"),
        "{}",
        words(&refused)
    );
    // A different certificate for the same name, made apart, is not trusted through it.
    let other = folder("req-x509-other");
    assert!(self_signed_by_openssl(&other, "localhost"));
    let tls = ServerTls::from_pem_files(&other.join("cert.pem"), &other.join("key.pem")).unwrap();
    let mut pair = connect_trusting(tls, &cert, "localhost");
    let refused = pair.watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(tls_problem(&refused), Some(TlsProblem::UnknownCa));
    let heard = pair.server.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(
        tls_problem(&heard),
        Some(TlsProblem::NotTrustedByClient),
        "{}",
        words(&heard)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

/// A trusted certificate with the same name as the server's own issuer, but another kind of
/// key, did not sign it: still an unknown CA, with its advice. (Debian's `ssl-cert` puts an RSA
/// `CN=localhost` in the system's store; an EC `CN=localhost` served then failed as "handshake
/// failed (… UnsupportedSignatureAlgorithmForPublicKeyContext …)".)
#[test]
fn a_trusted_namesake_with_another_kind_of_key_is_an_unknown_ca() {
    let trusted = folder("namesake-rsa");
    if !self_signed_by_openssl(&trusted, "localhost") {
        return;
    }
    let served = folder("namesake-ec");
    assert!(openssl(
        &served,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
    ));
    let tls = ServerTls::from_pem_files(&served.join("cert.pem"), &served.join("key.pem")).unwrap();
    let mut pair = connect_trusting(tls, &trusted.join("cert.pem"), "localhost");
    let refused = pair.watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(
        tls_problem(&refused),
        Some(TlsProblem::UnknownCa),
        "{}",
        words(&refused)
    );
    // And the server hears it as such: our client's alert is unknown_ca (it was
    // decrypt_error, which the server could only call "refused by peer").
    let heard = pair.server.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(
        tls_problem(&heard),
        Some(TlsProblem::NotTrustedByClient),
        "{}",
        words(&heard)
    );
    let _ = std::fs::remove_dir_all(&trusted);
    let _ = std::fs::remove_dir_all(&served);
}

#[test]
fn a_ca_certificate_given_as_the_ca_is_refused_once_past_its_dates() {
    let dir = folder("expired-ca");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let tls = ServerTls::from_pem_files(&cert_path, &key_path).unwrap();
    let mut pair = connect_trusting(tls, &cert_path, "localhost");
    let refused = pair.watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(tls_problem(&refused), Some(TlsProblem::Expired));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CA (CA:TRUE) and a server certificate for `localhost` it signed (CA:FALSE), as an
/// organisation's CA makes them: `ca.pem`, `leaf.pem` and `leaf-key.pem` in `dir`; the leaf
/// past its dates when `expired`.
fn ca_and_leaf(dir: &Path, expired: bool) {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca.self_signed(&ca_key).unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.is_ca = rcgen::IsCa::ExplicitNoCa;
    if expired {
        leaf.not_before = rcgen::date_time_ymd(2000, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("leaf-key.pem"), leaf_key.serialize_pem()).unwrap();
}

/// `--ca leaf.pem` with exactly the server's certificate, which a CA signed (CA:FALSE), is
/// trusted for its name, as `curl --cacert leaf.pem` trusts it: it was "TLS: unknown CA"
/// with the advice to trust that CA. Past its dates it is still refused as expired.
#[test]
fn a_ca_signed_server_certificate_given_alone_as_the_ca_is_trusted_for_its_name_only() {
    let dir = folder("leaf-alone");
    ca_and_leaf(&dir, false);
    let (leaf, key) = (dir.join("leaf.pem"), dir.join("leaf-key.pem"));
    let tls = ServerTls::from_pem_files(&leaf, &key).unwrap();
    let mut pair = connect_trusting(tls, &leaf, "localhost");
    pair.watch.until(
        "the greeting",
        |e| matches!(e, Event::Data { data, .. } if data.as_ref() == SERVER_GREETING.as_bytes()),
    );
    let tls = ServerTls::from_pem_files(&leaf, &key).unwrap();
    let mut pair = connect_trusting(tls, &leaf, "127.0.0.1");
    let refused = pair.watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(tls_problem(&refused), Some(TlsProblem::NameMismatch));
    // Its names in words (webpki's were `DnsName("localhost")`).
    assert!(
        words(&refused).ends_with("certificate is only valid for localhost)"),
        "{}",
        words(&refused)
    );
    // Another leaf of the same CA is not trusted through this one.
    let other = folder("leaf-alone-other");
    ca_and_leaf(&other, false);
    let tls =
        ServerTls::from_pem_files(&other.join("leaf.pem"), &other.join("leaf-key.pem")).unwrap();
    let mut pair = connect_trusting(tls, &leaf, "localhost");
    let refused = pair.watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(tls_problem(&refused), Some(TlsProblem::UnknownCa));
    let expired = folder("leaf-alone-expired");
    ca_and_leaf(&expired, true);
    let expired_leaf = expired.join("leaf.pem");
    let tls = ServerTls::from_pem_files(&expired_leaf, &expired.join("leaf-key.pem")).unwrap();
    let mut pair = connect_trusting(tls, &expired_leaf, "localhost");
    let refused = pair.watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(tls_problem(&refused), Some(TlsProblem::Expired));
    for dir in [dir, other, expired] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn an_encrypted_key_and_a_key_that_is_not_the_certificates_are_told_in_words() {
    let dir = folder("keys");
    if !self_signed_by_openssl(&dir, "localhost") {
        return;
    }
    assert!(openssl(
        &dir,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "key.pem",
            "-out",
            "encrypted.pem",
            "-passout",
            "pass:x",
        ],
    ));
    let cert = dir.join("cert.pem");
    let refused = ServerTls::from_pem_files(&cert, &dir.join("encrypted.pem")).unwrap_err();
    assert!(
        matches!(refused, TlsSetupError::EncryptedKey { .. }),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("encrypted private key"),
        "{refused}"
    );

    assert!(openssl(
        &dir,
        &["genpkey", "-algorithm", "RSA", "-out", "other-key.pem"]
    ));
    let refused = ServerTls::from_pem_files(&cert, &dir.join("other-key.pem")).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("the key is not the certificate's"),
        "{refused}"
    );
    // The commands it suggests name the two files, ready to paste.
    let compare = format!(
        "`openssl x509 -noout -pubkey -in {}` with `openssl pkey -pubout -in {}`",
        cert.display(),
        dir.join("other-key.pem").display()
    );
    assert!(refused.to_string().contains(&compare), "{refused}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `openssl x509 -req` without `-extfile` makes a version 1 certificate, which rustls refuses:
/// said as that, with what makes a version 3 one (it said
/// "Other(OtherError(UnsupportedCertVersion))").
#[test]
fn a_version_1_certificate_is_told_so() {
    let dir = folder("version-1");
    if !openssl(
        &dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "request.csr",
        ],
    ) {
        return;
    }
    assert!(openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "request.csr",
            "-signkey",
            "key.pem",
            "-days",
            "30",
            "-out",
            "cert.pem",
        ],
    ));
    assert_refused(
        &dir,
        "is an X.509 version 1 certificate (it has no extensions)",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A chain file in the wrong order (`cat ca.pem leaf.pem`) with the leaf's key is told as
/// that, with the order to write: it said the key and certificate "were made apart".
#[test]
fn a_chain_in_the_wrong_order_names_the_certificate_the_key_belongs_to() {
    let dir = folder("reversed-chain");
    ca_and_leaf(&dir, false);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let reversed = dir.join("revchain.pem");
    std::fs::write(&reversed, read("ca.pem") + &read("leaf.pem")).unwrap();
    let key = dir.join("leaf-key.pem");
    let refused = ServerTls::from_pem_files(&reversed, &key)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("the key belongs to certificate 2 of the file")
            && refused.contains("the server's own certificate must come first"),
        "{refused}"
    );
    assert!(!refused.contains("made apart"), "{refused}");
    let ordered = dir.join("chain.pem");
    std::fs::write(&ordered, read("leaf.pem") + &read("ca.pem")).unwrap();
    ServerTls::from_pem_files(&ordered, &key).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A key too small (RSA 1024) or of a curve ring does not take is told as such: the words
/// were "failed to parse private key as RSA, ECDSA, or EdDSA", as if an RSA key were not one.
#[test]
fn a_key_of_a_kind_or_size_the_server_cannot_use_is_told_so() {
    let dir = folder("small-key");
    let made = openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ],
    );
    if !made {
        return;
    }
    let refused = assert_refused(
        &dir,
        "the key is an RSA key of 1024 bits, which this server cannot use",
    );
    assert!(
        refused.contains("RSA keys of 2048 to 8192 bits"),
        "{refused}"
    );
    // The command it suggests can be pasted as it is (it ended in "…").
    assert!(
        refused.contains("-nodes -subj /CN=localhost -keyout key.pem -out cert.pem`"),
        "{refused}"
    );
    // Other kinds are named as what they are.
    for (name, args, kind) in [
        (
            "k1.pem",
            &[
                "ecparam",
                "-name",
                "secp256k1",
                "-genkey",
                "-noout",
                "-out",
                "k1.pem",
            ][..],
            "an ECDSA key on secp256k1",
        ),
        (
            "p521.pem",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-521",
                "-out",
                "p521.pem",
            ],
            "an ECDSA key on P-521",
        ),
        (
            "ed448.pem",
            &["genpkey", "-algorithm", "ed448", "-out", "ed448.pem"],
            "an Ed448 key",
        ),
        (
            "x25519.pem",
            &["genpkey", "-algorithm", "x25519", "-out", "x25519.pem"],
            "an X25519 key (made for agreeing on secrets: it cannot sign)",
        ),
    ] {
        assert!(openssl(&dir, args), "{name}");
        let refused = ServerTls::from_pem_files(&dir.join("cert.pem"), &dir.join(name))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains(&format!("the key is {kind}, which this server cannot use")),
            "{name}: {refused}"
        );
    }
    // A key of a kind the server takes, whole but altered inside (its public point moved off
    // the curve), is damaged, not of a kind to replace: it was "of a kind or size" too.
    assert!(openssl(
        &dir,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "p256.pem"
        ]
    ));
    assert!(openssl(
        &dir,
        &[
            "ec", "-in", "p256.pem", "-outform", "DER", "-out", "p256.der"
        ]
    ));
    let mut der = std::fs::read(dir.join("p256.der")).unwrap();
    *der.last_mut().unwrap() ^= 1;
    std::fs::write(dir.join("altered.der"), der).unwrap();
    assert!(openssl(
        &dir,
        &["base64", "-in", "altered.der", "-out", "altered.b64"]
    ));
    let altered = dir.join("altered.pem");
    let body = std::fs::read_to_string(dir.join("altered.b64")).unwrap();
    std::fs::write(
        &altered,
        format!("-----BEGIN EC PRIVATE KEY-----\n{body}-----END EC PRIVATE KEY-----\n"),
    )
    .unwrap();
    let refused = ServerTls::from_pem_files(&dir.join("cert.pem"), &altered)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("the key is damaged: it reads as an ECDSA key on P-256"),
        "{refused}"
    );
    // A damaged key is told as damaged, not as a kind to replace: its PEM block cut short,
    // and one that holds four bytes of nothing.
    let key = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    let lines: Vec<&str> = key.lines().collect();
    let cut = [&lines[..lines.len() / 2], &lines[lines.len() - 1..]].concat();
    for (name, text) in [
        ("cut.pem", cut.join("\n") + "\n"),
        (
            "nothing.pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_owned(),
        ),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        let refused = ServerTls::from_pem_files(&dir.join("cert.pem"), &dir.join(name))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("the key is damaged"), "{name}: {refused}");
        // The command it suggests names the file, ready to paste.
        let check = format!(
            "`openssl pkey -noout -check -in {}`",
            dir.join(name).display()
        );
        assert!(refused.contains(&check), "{name}: {refused}");
    }
    // A block whose base64 is broken is said as such, not as a file with no key in it.
    let broken = dir.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let refused = ServerTls::from_pem_files(&dir.join("cert.pem"), &broken)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("not valid base64"), "{refused}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tls_1_0_client_is_told_apart_from_other_failures() {
    let dir = folder("tls1");
    if !self_signed_by_openssl(&dir, "localhost") {
        return;
    }
    let tls = ServerTls::from_pem_files(&dir.join("cert.pem"), &dir.join("key.pem")).unwrap();
    let (_runtime, mut server, receiver) = common::server(|_id| Greeter::default());
    server.set_tls(Some(Arc::new(tls)));
    let address = server.listen().unwrap();
    let mut watch = common::Watch::new(receiver);
    // OpenSSL itself refuses TLS 1.0 at its default security level: level 0 lets it offer it.
    let address = address.to_string();
    let tls_1_0 = ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"];
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &address])
        .args(tls_1_0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let refused = watch.until("refused", |e| tls_problem(e).is_some());
    assert_eq!(
        tls_problem(&refused),
        Some(TlsProblem::OldProtocol),
        "{refused:?}"
    );
    assert!(words(&refused).contains("TLS 1.0 or 1.1"), "{refused:?}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

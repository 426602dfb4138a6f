//! The TLS handshake on a socket's task, and why one failed, in plain words.
//!
//! tokio-rustls runs the handshake over the connected TCP stream; once it is done the session
//! is taken out of it and driven by the socket's own loop ([`Transport`]). A handshake that
//! fails or takes too long closes that socket only: the pool goes on serving.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rustls::{AlertDescription, CertificateError, PeerIncompatible};
use rustls_pki_types::ServerName;
use serde::Serialize;
use tokio::net::TcpStream;

use super::transport::Transport;
use super::{Secure, TlsInfo, Trust};
use crate::SocketError;

/// Why a handshake failed: the cases a learner meets, each with its explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TlsProblem {
    /// A client that does not speak TLS reached our TLS server (it sent plain text).
    #[error(
        "the client does not speak TLS: its first bytes were plain text, not a TLS handshake (turn TLS on in the client, or use openssl s_client)"
    )]
    PlaintextClient,
    /// Our TLS client reached a server that does not speak TLS.
    #[error(
        "the server does not speak TLS on this port: its answer was not a TLS handshake (turn TLS off, or connect to the server's TLS port)"
    )]
    PlaintextServer,
    /// The server's certificate is signed by no one we trust.
    #[error(
        "the server's certificate is signed by an unknown CA: trust that CA (a CA file), pin the certificate's fingerprint, or accept any certificate (insecure)"
    )]
    UnknownCa,
    /// The server's certificate is for another name.
    #[error("the server's certificate is not for the name we connected to")]
    NameMismatch,
    /// The server's certificate has expired (or is not valid yet).
    #[error("the server's certificate has expired or is not valid yet")]
    Expired,
    /// The server's certificate is not the pinned one.
    #[error(
        "the server's certificate does not match the pinned SHA-256 fingerprint: this is not the server you pinned"
    )]
    PinMismatch,
    /// The peer speaks only TLS 1.0 or 1.1 (or SSL): rustls, like today's browsers, speaks
    /// TLS 1.2 and 1.3 only.
    #[error(
        "the peer speaks only an old TLS version (TLS 1.0 or 1.1): both ends need TLS 1.2 or 1.3 (update the peer, or have it speak TLS 1.2: openssl's -tls1_2)"
    )]
    OldProtocol,
    /// Our TLS server's certificate was turned down by the client (its alert says it does not
    /// trust it).
    #[error(
        "the client does not trust our certificate (it answered with an alert): give it our certificate as its CA file (our client's --ca, openssl's -CAfile) and connect by a name the certificate is for, or pin its fingerprint"
    )]
    NotTrustedByClient,
    /// The peer turned our certificate (or our offer) down with an alert.
    #[error("the peer refused the handshake with the alert it sent")]
    RefusedByPeer,
    /// Our TLS server heard no handshake within the handshake timeout (a plaintext client
    /// waiting for a greeting looks exactly like this).
    #[error(
        "no TLS handshake within the handshake timeout (a client that does not speak TLS and waits to be greeted looks like this)"
    )]
    TimedOut,
    /// Our TLS client's hello went unanswered within the handshake timeout (a plaintext server
    /// that waits for its client to speak first looks exactly like this).
    #[error(
        "the server did not answer our TLS hello within the handshake timeout (a server that does not speak TLS and waits for its client to speak first looks like this)"
    )]
    ServerSilent,
    /// The peer closed the connection in the middle of the handshake.
    #[error("the peer closed the connection during the handshake")]
    PeerClosed,
    /// Something else went wrong; the detail says what.
    #[error("the handshake failed")]
    Other,
}

/// The detail of a [`TlsProblem::PlaintextServer`] that sent our own hello back. Its own
/// words, where every other plaintext server's detail is rustls's ("received corrupt
/// message"), so the human log says it too.
pub const ECHO_SERVER_DETAIL: &str = "it sent our own TLS hello back, as an echo server does";

impl TlsProblem {
    /// A few words for the number: `Error = 102 (TLS: unknown CA)`.
    #[must_use]
    pub fn meaning(self) -> &'static str {
        match self {
            Self::PlaintextClient => "TLS: plaintext client",
            Self::PlaintextServer => "TLS: plaintext server",
            Self::UnknownCa => "TLS: unknown CA",
            Self::NameMismatch => "TLS: name mismatch",
            Self::Expired => "TLS: certificate expired",
            Self::PinMismatch => "TLS: pin mismatch",
            Self::OldProtocol => "TLS: old protocol version",
            Self::NotTrustedByClient => "TLS: our certificate not trusted",
            Self::RefusedByPeer => "TLS: refused by peer",
            Self::TimedOut | Self::ServerSilent => "TLS: handshake timeout",
            Self::PeerClosed => "TLS: closed during handshake",
            Self::Other => "TLS: handshake failed",
        }
    }
}

/// Runs the handshake over `tcp` as `secure` says; the secured stream and what was agreed.
pub(crate) async fn handshake(
    tcp: TcpStream,
    secure: &Secure,
    peer: SocketAddr,
) -> Result<(Transport, TlsInfo), SocketError> {
    let mut started = Instant::now();
    let failed = |problem: TlsProblem, detail: String| SocketError::Tls {
        peer,
        problem,
        detail,
    };
    let (timeout, done) = match secure {
        Secure::Server(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::clone(&tls.config));
            let accepted = tokio::time::timeout(tls.handshake_timeout, acceptor.accept(tcp)).await;
            let done = accepted.map(|result| {
                result
                    .map(|stream| {
                        let (tcp, session) = stream.into_inner();
                        (tcp, rustls::Connection::from(session))
                    })
                    .map_err(|e| explain(&e, Side::Server, None))
            });
            (tls.handshake_timeout, done)
        }
        Secure::Client(tls, host) => {
            let name = server_name(host, peer);
            // The refused certificate is kept under the name the handshake checked.
            let named = name.to_str().into_owned();
            let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::clone(&tls.config));
            let ends = tcp.local_addr().ok().map(|local| (local, peer));
            let (connected, last_queued) =
                outside_accept_queue(tls.handshake_timeout, ends, connector.connect(name, tcp))
                    .await;
            if let Some(queued) = last_queued {
                started = started.max(queued);
            }
            let done = connected.map(|result| {
                result
                    .map(|stream| {
                        let (tcp, session) = stream.into_inner();
                        (tcp, rustls::Connection::from(session))
                    })
                    .map_err(|e| {
                        let (problem, detail) = explain(&e, Side::Client, Some(&tls.trust));
                        // A certificate nobody vouches for, or not the pinned one: its
                        // fingerprint, which a pin takes (headless has no offer to trust it).
                        match (problem, tls.refused_certificate(&named)) {
                            (TlsProblem::UnknownCa | TlsProblem::PinMismatch, Some(seen)) => {
                                (problem, format!("its SHA-256 fingerprint is {seen}"))
                            }
                            _ => (problem, detail),
                        }
                    })
            });
            (tls.handshake_timeout, done)
        }
    };
    let (tcp, session) = match done {
        Ok(Ok(secured)) => secured,
        Ok(Err((problem, detail))) => return Err(failed(problem, detail)),
        Err(_elapsed) => {
            let problem = match secure {
                Secure::Server(_) => TlsProblem::TimedOut,
                Secure::Client(..) => TlsProblem::ServerSilent,
            };
            return Err(failed(
                problem,
                format!("after {}", crate::error::in_seconds(timeout)),
            ));
        }
    };
    let info = TlsInfo {
        protocol: session
            .protocol_version()
            .map_or_else(String::new, protocol_name),
        cipher: session
            .negotiated_cipher_suite()
            .map_or_else(String::new, |suite| format!("{:?}", suite.suite())),
        handshake: started.elapsed(),
        peer_fingerprint: session
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|leaf| super::fingerprint(leaf)),
    };
    Ok((Transport::tls(tcp, session), info))
}

/// The name a client's handshake checks the server's certificate against: the host as given,
/// or, where that is no name a certificate can hold, the address it stands for. A link-local
/// address keeps its interface (`fe80::1%eth0`), which no certificate names, and the system
/// reads `127.1` or `0x7f000001` as 127.0.0.1: such a host failed every handshake ("invalid
/// dns name") after TCP had connected, even one that checks no name (a pin, insecure).
fn server_name(host: &str, peer: SocketAddr) -> ServerName<'static> {
    if let Ok(name) = ServerName::try_from(host.to_owned()) {
        return name;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let without_scope = bare.split_once('%').map_or(bare, |(address, _)| address);
    let ip = without_scope.parse().unwrap_or(peer.ip());
    ServerName::IpAddress(ip.into())
}

/// How often a client whose handshake timed out looks again at a connection its server's
/// kernel still holds unaccepted: the kernel view's own pace.
const ACCEPT_QUEUE_RECHECK: Duration = Duration::from_millis(250);

/// Runs a client's `handshake` for `timeout`, not counting the time its connection waits in
/// the server's accept queue on this machine (`ends`: our end and the server's). A server at
/// its MaximumSocketsConnected has not read our hello yet: its kernel completed the TCP
/// handshake and holds the connection until a socket of its pool takes it, as it holds a plain
/// client's, which waits ("in accept queue"). The secure client waits the same way, and its
/// timeout starts again once a server socket has the connection; it failed after the timeout
/// saying the server did not answer, which taught that a client over Max fails. A server on
/// another machine cannot be looked at: its timeout runs from the start, as before.
///
/// A handshake not done within [`ACCEPT_QUEUE_RECHECK`] looks at the queue at that pace, so a
/// wait there shorter than the timeout is not counted either (`handshake_ms` read 4,498 for a
/// server that took 2). Returns, with the handshake's outcome, when the connection was last
/// seen waiting in the queue: the handshake's time counts from then.
async fn outside_accept_queue<F: std::future::Future>(
    timeout: Duration,
    ends: Option<(SocketAddr, SocketAddr)>,
    handshake: F,
) -> (
    Result<F::Output, tokio::time::error::Elapsed>,
    Option<Instant>,
) {
    let mut handshake = std::pin::pin!(handshake);
    let mut deadline = tokio::time::Instant::now() + timeout;
    // Looked at while the connection waits there.
    let mut ends = ends;
    let mut last_queued = None;
    loop {
        let wake = if ends.is_some() {
            deadline.min(tokio::time::Instant::now() + ACCEPT_QUEUE_RECHECK)
        } else {
            deadline
        };
        let elapsed = match tokio::time::timeout_at(wake, handshake.as_mut()).await {
            Ok(done) => return (Ok(done), last_queued),
            Err(elapsed) => elapsed,
        };
        let now = tokio::time::Instant::now();
        if ends.and_then(|(local, server)| waits_in_accept_queue(local, server)) == Some(true) {
            // Not read by any server socket yet: the timeout starts again from here.
            last_queued = Some(Instant::now());
            deadline = now + timeout;
        } else {
            // Taken by a server socket (it does not go back into the queue), or not to be
            // told: no more looks.
            ends = None;
        }
        if now >= deadline {
            return (Err(elapsed), last_queued);
        }
    }
}

/// Whether the server's end of our connection (`local` to `server`) waits in its listener's
/// accept queue: `None` when it cannot be told (another machine, the kernel's reports closed
/// to us, no such end: a connection the server's kernel never completed).
fn waits_in_accept_queue(local: SocketAddr, server: SocketAddr) -> Option<bool> {
    // Any address of this machine, not only loopback: a client of 192.0.2.2, this machine's
    // own, failed after the timeout while a 127.0.0.1 client beside it waited. A server on
    // another machine has no end here to find.
    QUEUE_PROBE.with_borrow_mut(|probe| {
        let kernel = match probe {
            Some(kernel) => kernel,
            None => probe.insert(serversocket_kernel::KernelProbe::new().ok()?),
        };
        let Ok(end) = kernel.connection(server, local) else {
            // A line that failed is opened afresh at the next look.
            *probe = None;
            return None;
        };
        let end = end?;
        (end.state == serversocket_kernel::TcpState::Established).then_some(!end.owned)
    })
}

thread_local! {
    /// This runtime thread's line to the kernel for [`waits_in_accept_queue`], opened at its
    /// first look and kept: opening one a look cost three times the look itself (about 25 µs
    /// against 7), four times a second for every client waiting in a queue.
    static QUEUE_PROBE: std::cell::RefCell<Option<serversocket_kernel::KernelProbe>> =
        const { std::cell::RefCell::new(None) };
}

/// The day of a certificate's date, as `2021-01-01` (UTC).
fn day(at: rustls_pki_types::UnixTime) -> String {
    let at = std::time::UNIX_EPOCH + Duration::from_secs(at.as_secs());
    let mut text = humantime::format_rfc3339_seconds(at).to_string();
    text.truncate("2021-01-01".len());
    text
}

/// `TLS1.3` for rustls's `TLSv1_3`: how people write it.
fn protocol_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLS1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS1.2".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Which end of the handshake we are: the same error means different things on each.
#[derive(Clone, Copy)]
enum Side {
    Server,
    Client,
}

/// Our words for what rustls says in its own: "received fatal alert: HandshakeFailure" as the
/// alert TLS writes (what `openssl` and Wireshark show), and a version 1 certificate as that;
/// `None` to keep rustls's.
fn own_words(tls: &rustls::Error) -> Option<String> {
    match tls {
        rustls::Error::AlertReceived(alert) => Some(format!(
            "the peer sent TLS alert {}",
            crate::error::alert_name(*alert)
        )),
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::UnsupportedCertVersion)
            ) =>
        {
            Some(
                "the certificate is an X.509 version 1 certificate (it has no extensions), which \
                 TLS libraries such as this one refuse: its owner must make a version 3 one"
                    .to_owned(),
            )
        }
        _ => None,
    }
}

/// Turns a failed handshake's error into a problem and the library's own words.
fn explain(error: &std::io::Error, side: Side, trust: Option<&Trust>) -> (TlsProblem, String) {
    let detail = error.to_string();
    let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        let problem = match error.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe => TlsProblem::PeerClosed,
            _ => TlsProblem::Other,
        };
        return (problem, detail);
    };
    // An echo server sends our own hello back: plain text that happens to be TLS, and rustls
    // says only that a ClientHello came where a ServerHello was due.
    if matches!(side, Side::Client)
        && matches!(
            tls,
            rustls::Error::InappropriateHandshakeMessage {
                got_type: rustls::HandshakeType::ClientHello,
                ..
            }
        )
    {
        return (TlsProblem::PlaintextServer, ECHO_SERVER_DETAIL.to_owned());
    }
    let detail = own_words(tls).unwrap_or(detail);
    let problem = match tls {
        rustls::Error::InvalidMessage(_) => match side {
            Side::Server => TlsProblem::PlaintextClient,
            Side::Client => TlsProblem::PlaintextServer,
        },
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            // A trusted certificate bears the name of the server's issuer, but its key did not
            // sign it (another key, or another kind of key: Debian's `ssl-cert` trusts an RSA
            // `CN=localhost`, which an EC `CN=localhost` names as its issuer): nobody we trust
            // vouches for it.
            CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                TlsProblem::UnknownCa
            }
            // A CA certificate (`openssl req -x509` makes them) as the server's own, and not
            // the one given as trusted: nobody we trust vouches for it.
            CertificateError::Other(other) if super::given::is_ca_used_as_end_entity(other) => {
                TlsProblem::UnknownCa
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsProblem::NameMismatch
            }
            CertificateError::ExpiredContext { not_after, .. } => {
                return (
                    TlsProblem::Expired,
                    format!("it expired on {}", day(*not_after)),
                );
            }
            CertificateError::NotValidYetContext { not_before, .. } => {
                return (
                    TlsProblem::Expired,
                    format!(
                        "it is not valid until {}; is this machine's clock right?",
                        day(*not_before)
                    ),
                );
            }
            CertificateError::Expired | CertificateError::NotValidYet => TlsProblem::Expired,
            CertificateError::ApplicationVerificationFailure
                if matches!(trust, Some(Trust::Pin(_))) =>
            {
                TlsProblem::PinMismatch
            }
            _ => TlsProblem::Other,
        },
        // A TLS 1.0 or 1.1 ClientHello lacks signature_algorithms (TLS 1.2 brought it), and
        // that is what rustls meets first; the others name the version itself.
        rustls::Error::PeerIncompatible(
            PeerIncompatible::SignatureAlgorithmsExtensionRequired
            | PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled
            | PeerIncompatible::SupportedVersionsExtensionRequired
            | PeerIncompatible::ServerDoesNotSupportTls12Or13
            | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
        )
        | rustls::Error::AlertReceived(AlertDescription::ProtocolVersion) => {
            TlsProblem::OldProtocol
        }
        // Access denied is what a client that pinned another certificate answers (ours does).
        rustls::Error::AlertReceived(
            AlertDescription::UnknownCA
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::AccessDenied,
        ) if matches!(side, Side::Server) => TlsProblem::NotTrustedByClient,
        // Whatever else the alert (access denied for a wrong pin …), the peer said no; its
        // name is in the detail.
        rustls::Error::AlertReceived(_) => TlsProblem::RefusedByPeer,
        _ => TlsProblem::Other,
    };
    (problem, detail)
}

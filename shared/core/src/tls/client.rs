//! Whom a TLS client trusts, and the rustls settings that follow from it.
//!
//! The normal way is the system's root certificates (plus a CA file of one's own, such as the
//! one that signed a test server's certificate): the server must prove it holds a certificate
//! for the name we connected to, signed by one of them, and not expired. A pin trusts exactly
//! one certificate, by its SHA-256 fingerprint, whoever signed it: the way to trust a
//! self-signed server. "Accept any certificate" checks nothing and is only for teaching: the
//! connection is encrypted, but to whom is unknown.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::given::GivenOrRoots;
use super::server::read_chain;
use super::{HANDSHAKE_TIMEOUT, TlsSetupError, fingerprint, provider};

/// Whom a client trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// Certificates signed by the system's roots, or by the CA in this PEM file.
    Roots {
        /// A CA certificate (or several) trusted besides the system's.
        ca_file: Option<PathBuf>,
    },
    /// Only the certificate with this SHA-256 fingerprint (lowercase hex).
    Pin(String),
    /// Any certificate at all: encrypted, but nobody is checked (insecure, for teaching).
    AnyCertificate,
}

impl Trust {
    /// A pin as a person types it (`AB:CD:…` or `abcd…`), checked to be 64 hex digits.
    ///
    /// # Errors
    /// [`TlsSetupError::BadPin`] when it is not a SHA-256 fingerprint.
    pub fn pin(text: &str) -> Result<Self, TlsSetupError> {
        let hex: String = text
            .trim()
            .chars()
            .filter(|c| *c != ':')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Self::Pin(hex))
        } else {
            Err(TlsSetupError::BadPin(text.to_owned()))
        }
    }
}

/// A client's TLS settings.
#[derive(Debug)]
pub struct ClientTls {
    /// rustls's settings, with the verifier [`Trust`] asks for.
    pub(crate) config: Arc<ClientConfig>,
    /// Whom we trust, to explain a refused certificate.
    pub(crate) trust: Trust,
    /// How long a handshake may take.
    pub(crate) handshake_timeout: Duration,
    /// The certificate a server presented that was refused last, shared with the verifier.
    refused: Arc<LastRefused>,
}

impl ClientTls {
    /// Settings that trust as `trust` says.
    ///
    /// # Errors
    /// A CA file that cannot be read or holds no certificate.
    pub fn new(trust: Trust) -> Result<Self, TlsSetupError> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::Identity(e.to_string()))?;
        let refused = Arc::new(LastRefused::default());
        let verifier = |check| Verifier::new(check, Arc::clone(&refused));
        let config = match &trust {
            Trust::Roots { ca_file } => {
                let mut roots = RootCertStore::empty();
                // A system without a root store (a bare container) still trusts the CA file.
                let _ =
                    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                let given = match ca_file {
                    Some(path) => read_chain(path)?,
                    None => Vec::new(),
                };
                roots.add_parsable_certificates(given.iter().cloned());
                let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider(),
                )
                .build()
                .map_err(|e| TlsSetupError::Identity(e.to_string()))?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(verifier(Check::GivenOrRoots(
                        GivenOrRoots::new(webpki, given),
                    )))
                    .with_no_client_auth()
            }
            Trust::Pin(pin) => builder
                .dangerous()
                .with_custom_certificate_verifier(verifier(Check::Pinned(Some(pin.clone()))))
                .with_no_client_auth(),
            Trust::AnyCertificate => builder
                .dangerous()
                .with_custom_certificate_verifier(verifier(Check::Pinned(None)))
                .with_no_client_auth(),
        };
        Ok(Self {
            config: Arc::new(config),
            trust,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            refused,
        })
    }

    /// Gives up on a handshake after `timeout` instead of [`HANDSHAKE_TIMEOUT`].
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Whom these settings trust.
    #[must_use]
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// True when any certificate is accepted: the window marks such a socket insecure.
    #[must_use]
    pub fn is_insecure(&self) -> bool {
        self.trust == Trust::AnyCertificate
    }

    /// The SHA-256 fingerprint (lowercase hex) of the certificate that `host` presented and
    /// these settings refused last: what a "trust this certificate" offer shows, read from
    /// the refused handshake itself, without another connection to the server.
    #[must_use]
    pub fn refused_certificate(&self, host: &str) -> Option<String> {
        let last = self
            .refused
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        last.as_ref()
            .filter(|(name, _)| name == host)
            .map(|(_, fingerprint)| fingerprint.clone())
    }
}

/// The last certificate refused, as (the name we connected to, its fingerprint).
#[derive(Debug, Default)]
struct LastRefused(Mutex<Option<(String, String)>>);

/// How a server's certificate is checked.
#[derive(Debug)]
enum Check {
    /// The chain of trust skipped: the one pinned certificate (by its fingerprint), or any.
    Pinned(Option<String>),
    /// webpki's check against the roots and the CA file, which also trusts a server
    /// certificate that is exactly one the CA file holds.
    GivenOrRoots(GivenOrRoots),
}

/// Our verifier: the certificate checked as [`Check`] says; the server must always prove it
/// holds the certificate's key (the handshake's signatures are checked, as webpki does).
#[derive(Debug)]
struct Verifier {
    /// How the certificate is checked.
    check: Check,
    /// How to check the server's signatures.
    algorithms: WebPkiSupportedAlgorithms,
    /// Where a refused certificate is kept, for [`ClientTls::refused_certificate`].
    refused: Arc<LastRefused>,
}

impl Verifier {
    fn new(check: Check, refused: Arc<LastRefused>) -> Arc<Self> {
        Arc::new(Self {
            check,
            algorithms: provider().signature_verification_algorithms,
            refused,
        })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = match &self.check {
            Check::Pinned(Some(pin)) if fingerprint(end_entity) != *pin => Err(
                rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure),
            ),
            Check::Pinned(_) => Ok(ServerCertVerified::assertion()),
            Check::GivenOrRoots(given) => given
                .webpki()
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .or_else(|refused| given.reconsider(refused, end_entity, server_name))
                .map_err(vouched_for_by_nobody)
                .map_err(names_in_words),
        };
        if verified.is_err() {
            let refused = (server_name.to_str().into_owned(), fingerprint(end_entity));
            *self
                .refused
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(refused);
        }
        verified
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// webpki's refusals that mean nobody we trust signed the certificate, said as that
/// (`UnknownIssuer`): the alert rustls sends the server follows the error, and a trusted
/// namesake of the issuer with another key (`BadSignature`, or another kind of key: Debian's
/// `ssl-cert` trusts an RSA `CN=localhost`, which an EC `CN=localhost` names as its issuer)
/// went out as `decrypt_error`, which the server could only call "refused by peer".
fn vouched_for_by_nobody(refused: rustls::Error) -> rustls::Error {
    match refused {
        rustls::Error::InvalidCertificate(
            CertificateError::BadSignature
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. },
        ) => rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        other => other,
    }
}

/// A name mismatch's names as a person writes them: webpki gives them in Rust's notation
/// (`DnsName("localhost")`, `IpAddress(0::1)`), which the log then showed.
fn names_in_words(refused: rustls::Error) -> rustls::Error {
    match refused {
        rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected,
            presented,
        }) => rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected,
            presented: presented.iter().map(|name| name_in_words(name)).collect(),
        }),
        other => other,
    }
}

/// One of webpki's names in words: a DNS name bare, an IP address as Rust writes it (`::1`),
/// a URI with its kind; the kinds webpki gives no value of by their kind.
fn name_in_words(name: &str) -> String {
    if let Some(dns) = name
        .strip_prefix("DnsName(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
    {
        return dns.to_owned();
    }
    if let Some(address) = name
        .strip_prefix("IpAddress(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return address
            .parse::<std::net::IpAddr>()
            .map_or_else(|_| address.to_owned(), |address| address.to_string());
    }
    if let Some(uri) = name
        .strip_prefix("UniformResourceIdentifier(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
    {
        return format!("{uri} (a URI)");
    }
    match name {
        "DirectoryName" => "a directory name".to_owned(),
        // rfc822Name, the GeneralName of tag 1.
        "Unsupported(0x01)" => "an email address".to_owned(),
        other if other.starts_with("Unsupported(") => "a name of another kind".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificates_names_are_said_as_people_write_them() {
        for (webpki, words) in [
            ("DnsName(\"localhost\")", "localhost"),
            ("IpAddress(127.0.0.1)", "127.0.0.1"),
            ("IpAddress(0::1)", "::1"),
            ("IpAddress(fe80:0:0:0:0:0:0:1)", "fe80::1"),
            (
                "UniformResourceIdentifier(\"https://x.test/\")",
                "https://x.test/ (a URI)",
            ),
            ("Unsupported(0x01)", "an email address"),
            ("Unsupported(0x00)", "a name of another kind"),
            ("DirectoryName", "a directory name"),
        ] {
            assert_eq!(name_in_words(webpki), words);
        }
    }

    #[test]
    fn a_pin_may_have_colons_and_capitals_but_must_be_sha256() {
        let hex = "AB:".repeat(31) + "CD";
        assert_eq!(Trust::pin(&hex), Ok(Trust::Pin("ab".repeat(31) + "cd")));
        assert!(matches!(Trust::pin("abc"), Err(TlsSetupError::BadPin(_))));
        assert!(matches!(
            Trust::pin(&"zz".repeat(32)),
            Err(TlsSetupError::BadPin(_))
        ));
    }
}

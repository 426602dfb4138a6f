//! A server certificate the user gave as trusted (`--ca`, the window's CA file) that is
//! exactly the server's own: trusted as OpenSSL and curl trust a self-signed certificate,
//! although `openssl req -x509` marks it as a CA and may name its host only in its subject;
//! and trusted as `curl --cacert leaf.crt` trusts it when a CA signed it and only it is given.
//!
//! webpki refuses a CA:TRUE certificate as a server's own (`CaUsedAsEndEntity`) and reads
//! names only from the subjectAltName extension, which `openssl req -x509 -subj /CN=localhost`
//! does not write. A CA-signed certificate (CA:FALSE) given without its CA is refused as
//! `UnknownIssuer`: webpki looks for its issuer among the trusted, and only the certificate is
//! there. For that exact certificate only, we accept it once its dates have been checked
//! (webpki checks a server certificate's dates, CA:TRUE and usage before it looks for an
//! issuer, so both refusals come after them), and check the name we connected to against its
//! subjectAltName, or, when it has none, against its subject's common name (CN), as OpenSSL
//! does.

use std::sync::Arc;

use rustls::CertificateError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerified;
use rustls_pki_types::{CertificateDer, ServerName};

use super::der::{OID, SEQUENCE, tlv};

/// webpki's usual check (the system's roots and the CA file), which also trusts a server
/// certificate that is exactly one the CA file holds.
#[derive(Debug)]
pub(crate) struct GivenOrRoots {
    /// The usual verifier.
    webpki: Arc<WebPkiServerVerifier>,
    /// The certificates of the CA file, as given.
    given: Vec<CertificateDer<'static>>,
}

impl GivenOrRoots {
    pub(crate) fn new(
        webpki: Arc<WebPkiServerVerifier>,
        given: Vec<CertificateDer<'static>>,
    ) -> Self {
        Self { webpki, given }
    }

    /// The check of a given certificate webpki refused only for being a CA: its name.
    fn given_one(
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        match rustls::client::verify_server_name(&parsed, server_name) {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(refused) => {
                let fields = Fields::of(end_entity.as_ref());
                let named = !fields.has_alt_names
                    && fields
                        .common_names
                        .iter()
                        .any(|common| names_match(common, server_name));
                if named {
                    Ok(ServerCertVerified::assertion())
                } else if !fields.has_alt_names && !fields.common_names.is_empty() {
                    // Its names are in its CN alone, which webpki does not read: it said the
                    // certificate "is not valid for any names", of one valid for localhost.
                    Err(rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForNameContext {
                            expected: server_name.to_owned(),
                            presented: fields
                                .common_names
                                .iter()
                                .map(|name| {
                                    format!("{name} (its subject's CN: it has no subjectAltName)")
                                })
                                .collect(),
                        },
                    ))
                } else {
                    Err(refused)
                }
            }
        }
    }

    /// Whether the CA file holds exactly `end_entity`, byte for byte.
    fn holds(&self, end_entity: &CertificateDer<'_>) -> bool {
        self.given
            .iter()
            .any(|given| given.as_ref() == end_entity.as_ref())
    }

    /// webpki's usual check, against the roots and the CA file.
    pub(crate) fn webpki(&self) -> &WebPkiServerVerifier {
        &self.webpki
    }

    /// webpki's refusal of `end_entity` looked at again: a certificate refused only for being
    /// a CA, or only for an issuer nobody trusts, that is exactly a certificate of the CA file
    /// is trusted (its name still checked); any other refusal stands.
    pub(crate) fn reconsider(
        &self,
        refused: rustls::Error,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &refused {
            rustls::Error::InvalidCertificate(CertificateError::Other(other))
                if is_ca_used_as_end_entity(other) && self.holds(end_entity) =>
            {
                Self::given_one(end_entity, server_name)
            }
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
                if self.holds(end_entity) =>
            {
                Self::given_one(end_entity, server_name)
            }
            _ => Err(refused),
        }
    }
}

/// Whether webpki's error is "a CA certificate used as an end entity" (rustls passes it on as
/// an `Other` error holding webpki's own).
pub(crate) fn is_ca_used_as_end_entity(error: &rustls::OtherError) -> bool {
    matches!(
        error.0.downcast_ref::<webpki::Error>(),
        Some(webpki::Error::CaUsedAsEndEntity)
    )
}

/// Whether a common name names the server we connected to: a host name, compared without
/// case, or an IP address.
fn names_match(common: &str, server_name: &ServerName<'_>) -> bool {
    match server_name {
        ServerName::DnsName(name) => common.eq_ignore_ascii_case(name.as_ref()),
        ServerName::IpAddress(ip) => {
            common.parse::<std::net::IpAddr>().ok() == Some(std::net::IpAddr::from(*ip))
        }
        _ => false,
    }
}

/// What the name check needs of a certificate, read from its DER with a minimal walk (the
/// certificate already parsed as X.509 for rustls; anything unexpected reads as nothing).
#[derive(Debug, Default, PartialEq, Eq)]
struct Fields {
    /// The subject's common names (CN).
    common_names: Vec<String>,
    /// It has a subjectAltName extension (then the CN is not a name, as for OpenSSL).
    has_alt_names: bool,
}

/// DER tags met on the way (and [`SEQUENCE`], [`OID`]).
const SET: u8 = 0x31;
/// `[3]`, the extensions, last in the to-be-signed part.
const EXTENSIONS: u8 = 0xa3;
/// 2.5.4.3, commonName.
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// 2.5.29.17, subjectAltName.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

impl Fields {
    fn of(der: &[u8]) -> Self {
        Self::read(der).unwrap_or_default()
    }

    fn read(der: &[u8]) -> Option<Self> {
        let parts = super::der::certificate_fields(der)?;
        let (SEQUENCE, subject) = *parts.get(4)? else {
            return None;
        };
        let mut fields = Self::default();
        for_each(subject, |tag, set| {
            if tag == SET {
                for_each(set, |_, pair| {
                    if let Some((OID, COMMON_NAME, rest)) = tlv(pair)
                        && let Some((_, text, _)) = tlv(rest)
                    {
                        fields
                            .common_names
                            .push(String::from_utf8_lossy(text).into_owned());
                    }
                });
            }
        });
        if let Some((_, extensions)) = parts.iter().find(|(tag, _)| *tag == EXTENSIONS)
            && let Some((SEQUENCE, list, _)) = tlv(extensions)
        {
            for_each(list, |_, extension| {
                if let Some((OID, SUBJECT_ALT_NAME, _)) = tlv(extension) {
                    fields.has_alt_names = true;
                }
            });
        }
        Some(fields)
    }
}

/// Calls `each` with every element (tag and contents) of a DER sequence's or set's contents.
fn for_each(mut contents: &[u8], mut each: impl FnMut(u8, &[u8])) {
    while let Some((tag, value, rest)) = tlv(contents) {
        each(tag, value);
        contents = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_name_and_alt_names_are_read_from_a_certificate() {
        let key = rcgen::KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let mut params = rcgen::CertificateParams::new(vec!["example.com".to_owned()])
            .unwrap_or_else(|e| panic!("{e}"));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let with_san = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Fields::of(with_san.der()),
            Fields {
                common_names: vec!["localhost".to_owned()],
                has_alt_names: true,
            }
        );
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| panic!("{e}"));
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "127.0.0.1");
        let cn_only = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
        let fields = Fields::of(cn_only.der());
        assert!(!fields.has_alt_names);
        let ip = ServerName::try_from("127.0.0.1").unwrap_or_else(|e| panic!("{e}"));
        assert!(names_match(&fields.common_names[0], &ip));
        let other = ServerName::try_from("example.com").unwrap_or_else(|e| panic!("{e}"));
        assert!(!names_match(&fields.common_names[0], &other));
        assert_eq!(Fields::of(b"\x30\x03junk"), Fields::default());
    }
}

//! TLS, as Xojo's SSLSocket adds it to a TCPSocket: certificates, who is trusted, the handshake.
//!
//! A secure socket first connects over TCP, then runs the TLS handshake on its own task (the
//! socket is "handshaking" meanwhile, [`crate::Event::Handshaking`]), and only once the secure
//! connection is up does Connected fire, as in Xojo. After that, reads, writes, SendProgress,
//! SendComplete and Close behave as for a plain socket; the bytes on the wire are encrypted
//! records, and a close sends TLS's goodbye (close_notify) before TCP's FIN.
//!
//! # Layout
//! - [`server`]: [`ServerTls`], a server's certificate (PEM files, or a self-signed one made
//!   once and kept in the app's data folder) and its SHA-256 fingerprint.
//! - [`client`]: [`ClientTls`], whom a client trusts ([`Trust`]): the system's roots plus a CA
//!   file, a pinned fingerprint, or anyone (insecure, for teaching).
//! - `file_warning`: [`file_warning`], said of a key, certificate or CA file the user named
//!   that other users could replace (or, a key, read).
//! - `der`: the one DER reader of the fields read outside rustls.
//! - `key_kind`: what kind of private key a file holds, to say why one is refused.
//! - `handshake`: the handshake on a socket's task (tokio-rustls), its timeout, and why one
//!   failed in plain words ([`TlsProblem`]).
//! - `transport`: a connected socket's bytes, plain or through TLS records, driven by the
//!   socket's readiness like a plain stream.

pub mod client;
mod der;
mod file_warning;
mod given;
pub(crate) mod handshake;
mod key_kind;
pub mod server;
pub(crate) mod transport;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use client::{ClientTls, Trust};
pub use file_warning::{TlsFile, file_warning};
pub use handshake::{ECHO_SERVER_DETAIL, TlsProblem};
pub use server::ServerTls;

/// How long a handshake may take before the socket gives up on it (a plaintext client that
/// waits for a greeting would otherwise hold its slot for ever, saying nothing).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a finished handshake agreed on, readable on the socket and reported in
/// [`crate::Event::Secured`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// The protocol version, e.g. `TLSv1.3`.
    pub protocol: String,
    /// The cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub cipher: String,
    /// How long the handshake took, from TCP connected to secure.
    pub handshake: Duration,
    /// The SHA-256 fingerprint (lowercase hex) of the certificate the peer presented, if it
    /// presented one (a client sees the server's): what a pin would name.
    pub peer_fingerprint: Option<String>,
}

/// A socket's TLS side, chosen when it connects: the server's certificate or the client's
/// trust (and the name it expects the server to have).
#[derive(Debug, Clone)]
pub(crate) enum Secure {
    /// A pooled socket of a TLS server.
    Server(Arc<ServerTls>),
    /// A client socket, with the host name it connects to (checked against the certificate).
    Client(Arc<ClientTls>, String),
}

/// Why a TLS setting could not be used: a file that is missing or not what it should be, a
/// malformed pin. Nothing was started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// A file could not be read.
    #[error("cannot read {what} {path}: {reason}")]
    Unreadable {
        /// Which file it was meant to be ("certificate file", "key file", "CA file").
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// What the OS said.
        reason: String,
    },
    /// A file holds nothing of what it should.
    #[error("{path} holds no {what} in PEM form (-----BEGIN …-----)")]
    Empty {
        /// What was looked for ("certificate", "private key").
        what: &'static str,
        /// Where.
        path: PathBuf,
    },
    /// The key file holds an encrypted key, which the server cannot use without a passphrase.
    #[error(
        "{path} holds an encrypted private key (a passphrase protects it), which a server cannot ask for: write it unencrypted, readable by you alone, with `(umask 077; openssl pkey -in {} -out key-unencrypted.pem)` and give that file",
        shell_word(.path)
    )]
    EncryptedKey {
        /// Where.
        path: PathBuf,
    },
    /// The certificate and key do not make a usable server identity.
    #[error("the certificate and key cannot be used: {0}")]
    Identity(String),
    /// The self-signed certificate could not be made or kept.
    #[error(
        "cannot keep the self-signed certificate in {path}: {reason} (XDG_DATA_HOME chooses \
         where it is kept)"
    )]
    DataFolder {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The pin is not 64 hexadecimal digits.
    #[error(
        "the pin \"{0}\" is not a SHA-256 fingerprint: give 64 hexadecimal digits (colons allowed)"
    )]
    BadPin(String),
}

pub(crate) use serversocket_files::shell_word::shell_word;

/// The SHA-256 fingerprint of a certificate (its DER bytes), as lowercase hex without colons:
/// what `openssl x509 -fingerprint -sha256` shows, less the colons.
#[must_use]
pub fn fingerprint(certificate_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, certificate_der);
    digest.as_ref().iter().fold(String::new(), |mut hex, byte| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// The folder where an app keeps its files (the self-signed certificate): `$XDG_DATA_HOME/app`,
/// else `~/.local/share/app` (`%APPDATA%\app` on Windows), else, with neither set (nor
/// absolute, nor a home that exists), a folder of this user's in the temp dir
/// (`serversocket-UID/app`), never one any user could have made.
/// [`serversocket_files::private_files::ensure_private_folder`] checks it before use.
#[must_use]
pub fn data_folder(app: &str) -> PathBuf {
    use serversocket_files::private_files::{folder_from_env, home_folder, own_temp_folder};
    // Only absolute folders, and a home that exists (see `folder_from_env`, `home_folder`).
    folder_from_env("XDG_DATA_HOME")
        .or_else(|| folder_from_env("APPDATA"))
        .or_else(|| home_folder().map(|home| home.join(".local").join("share")))
        .unwrap_or_else(own_temp_folder)
        .join(app)
}

/// The provider every config uses: ring, whose C and assembly build far faster than aws-lc
/// (which needs cmake besides). rustls 0.23.48 deprecates ring's provider for its lack of
/// post-quantum key exchange; the classical groups it offers are what the lessons show, so
/// the warning, which a build outside this workspace's lock file meets, is allowed here.
#[allow(deprecated)]
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_sha256_in_lowercase_hex() {
        // SHA-256 of "abc", from FIPS 180-2.
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// A path in a suggested command is one shell word: quoted only when it must be.
    #[test]
    fn a_path_in_a_suggested_command_is_one_shell_word() {
        use std::path::Path;
        assert_eq!(
            shell_word(Path::new("/home/ann/tls/key.pem")),
            "/home/ann/tls/key.pem"
        );
        assert_eq!(
            shell_word(Path::new("my keys/key.pem")),
            "'my keys/key.pem'"
        );
        assert_eq!(
            shell_word(Path::new("ann's key.pem")),
            r"'ann'\''s key.pem'"
        );
        assert_eq!(shell_word(Path::new("$HOME;rm")), "'$HOME;rm'");
    }
}

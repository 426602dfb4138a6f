//! A server's TLS identity: its certificate chain and key, from PEM files or self-signed.
//!
//! A learner rarely has a certificate at hand, so when none is given the server makes one for
//! `localhost`, `127.0.0.1` and `::1` (rcgen) the first time, keeps it in the app's data folder
//! and uses the same one from then on: its fingerprint stays the same, so a client that pinned
//! it keeps trusting it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::der;
use super::key_kind::KeyKind;
use super::{HANDSHAKE_TIMEOUT, TlsSetupError, fingerprint, provider, shell_word};
use serversocket_files::bounded_file::{BoundedFileError, read_bounded};
use serversocket_files::private_files::{
    check_private_file, ensure_private_folder, write_private_file,
};

/// The names the self-signed certificate is made for: how a client on this machine reaches us.
const SELF_SIGNED_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// The self-signed certificate's file in the data folder.
const CERT_FILE: &str = "tls-cert.pem";
/// Its key's file.
const KEY_FILE: &str = "tls-key.pem";

/// A server's certificate and what its sockets need for the handshake.
#[derive(Debug)]
pub struct ServerTls {
    /// rustls's settings: the chain, the key, the protocol versions (1.2 and 1.3).
    pub(crate) config: Arc<ServerConfig>,
    /// SHA-256 of the leaf certificate, shown so a client can pin or compare it.
    fingerprint: String,
    /// Where the certificate came from, for the window and the log.
    source: PathBuf,
    /// When the leaf certificate becomes valid and stops being valid, when it says.
    validity: Option<(SystemTime, SystemTime)>,
    /// How long a handshake may take.
    pub(crate) handshake_timeout: Duration,
}

impl ServerTls {
    /// The identity in a PEM certificate chain (leaf first) and a PEM private key.
    ///
    /// # Errors
    /// A file that cannot be read or holds no certificate / key, or a key that does not fit.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsSetupError> {
        let chain = read_chain(cert)?;
        let key_der = read_key(key)?;
        Self::new(chain, key_der, cert, key)
    }

    /// The self-signed certificate kept in `folder`, made (and written there) on first use.
    ///
    /// # Errors
    /// The folder cannot be made or written, or the files in it are damaged.
    ///
    /// The folder must be this user's and closed to other users' writes, and a key found there
    /// must be this user's and readable by nobody else, or it is refused with what to do:
    /// another user of the machine could have planted either.
    pub fn self_signed_in(folder: &Path) -> Result<Self, TlsSetupError> {
        let refused = |error: std::io::Error| TlsSetupError::DataFolder {
            path: folder.to_path_buf(),
            reason: error.to_string(),
        };
        ensure_private_folder(folder).map_err(refused)?;
        let cert = folder.join(CERT_FILE);
        let key = folder.join(KEY_FILE);
        if fs::symlink_metadata(&cert).is_err() || fs::symlink_metadata(&key).is_err() {
            make_self_signed(folder, &cert, &key)?;
        }
        check_private_file(&key).map_err(refused)?;
        // A FIFO or a folder where our certificate is kept: read as a file named with
        // `--cert`, it was told to "give a file whose size is known" as well as to remove it.
        if let Ok(found) = fs::symlink_metadata(&cert)
            && !found.is_file()
            && !found.file_type().is_symlink()
        {
            return Err(refused(std::io::Error::other(format!(
                "{} is not a regular file ({}): remove it",
                cert.display(),
                serversocket_files::bounded_file::kind_of(found.file_type())
            ))));
        }
        // A pair of ours that cannot be read (a key left empty by a full disk as it was made)
        // stopped TLS for good: said with the way out.
        Self::from_pem_files(&cert, &key).map_err(|error| TlsSetupError::DataFolder {
            path: folder.to_path_buf(),
            reason: format!(
                "{error}; remove {} and {} to make a new pair (a client that pinned the old \
                 certificate must pin the new one)",
                shell_word(&cert),
                shell_word(&key)
            ),
        })
    }

    /// Gives up on a handshake after `timeout` instead of [`HANDSHAKE_TIMEOUT`].
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The leaf certificate's SHA-256 fingerprint, lowercase hex.
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The certificate file this identity came from.
    #[must_use]
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The identity of `chain` and `key`, read from `cert_path` and `key_path` (named in the
    /// commands a refusal suggests, so they can be pasted as they are).
    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        cert_path: &Path,
        key_path: &Path,
    ) -> Result<Self, TlsSetupError> {
        let fingerprint = chain
            .first()
            .map(|leaf| fingerprint(leaf))
            .unwrap_or_default();
        let validity = chain.first().and_then(|leaf| super::der::validity(leaf));
        // Kept to say, if the key is not the first certificate's, whose it is.
        let (given_chain, given_key) = (chain.clone(), key.clone_key());
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                    TlsSetupError::Identity(match key_owner(&given_chain, given_key) {
                        // `cat ca.crt leaf.crt`: the chain in the wrong order.
                        Some(position) => format!(
                            "the key belongs to certificate {position} of the file, not to the \
                             first: the server's own certificate must come first, then the CA \
                             certificates that signed it (`cat server.crt ca.crt > chain.pem`)"
                        ),
                        None => format!(
                            "the key is not the certificate's: they were made apart (compare \
                             `openssl x509 -noout -pubkey -in {}` with `openssl pkey -pubout \
                             -in {}`)",
                            shell_word(cert_path),
                            shell_word(key_path)
                        ),
                    })
                }
                rustls::Error::General(words) if words.contains("failed to parse private key") => {
                    TlsSetupError::Identity(refused_key(&given_key, key_path))
                }
                rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))
                    if matches!(
                        other.0.downcast_ref::<webpki::Error>(),
                        Some(webpki::Error::UnsupportedCertVersion)
                    ) =>
                {
                    TlsSetupError::Identity(format!(
                        "{} is an X.509 version 1 certificate (it has no extensions), which \
                         TLS libraries such as this one refuse: make a version 3 one (`openssl \
                         req -x509` does; `openssl x509 -req` and `openssl ca` need \
                         `-extfile`/`-extensions` for it)",
                        cert_path.display()
                    ))
                }
                other => TlsSetupError::Identity(other.to_string()),
            })?;
        Ok(Self {
            config: Arc::new(config),
            fingerprint,
            source: cert_path.to_path_buf(),
            validity,
            handshake_timeout: HANDSHAKE_TIMEOUT,
        })
    }

    /// What is wrong with the certificate's dates at `now`, in words: a certificate that
    /// expired, or is not valid yet, is served all the same (a teacher may want to show what
    /// a client says of one), but every client that checks dates refuses it, and the server
    /// heard only "refused by peer".
    #[must_use]
    pub fn date_problem(&self, now: SystemTime) -> Option<String> {
        let (not_before, not_after) = self.validity?;
        let day = |at: SystemTime| {
            let mut text = humantime::format_rfc3339_seconds(at).to_string();
            text.truncate(10);
            text
        };
        if now > not_after {
            Some(format!(
                "the certificate {} expired on {}: clients that check it refuse it (TLS: \
                 certificate expired); make a new one",
                self.source.display(),
                day(not_after)
            ))
        } else if now < not_before {
            Some(format!(
                "the certificate {} is not valid until {}: clients that check it refuse it \
                 (TLS: certificate expired) until then; is this machine's clock right?",
                self.source.display(),
                day(not_before)
            ))
        } else {
            None
        }
    }
}

/// Why ring refused `key` (read from `key_path`), in words: it says only that it could not
/// parse the key "as RSA, ECDSA, or EdDSA", for a kind it does not take (RSA 1024, secp256k1,
/// Ed448, RSA-PSS), which read as if an RSA key were not one, and for a damaged key alike.
fn refused_key(key: &PrivateKeyDer<'static>, key_path: &Path) -> String {
    let kind = KeyKind::of(key);
    let whole = der::is_one_sequence(key.secret_der());
    let damage = if !whole {
        // Cut short, or base64 of something else: the advice about kinds and sizes would
        // send the user to make a new kind of key.
        "what its PEM block holds is not a whole key (cut short or altered?)".to_owned()
    } else if kind.is_usable() {
        // A kind ring takes, refused all the same: its parts do not fit together.
        format!(
            "it reads as {}, but its parts do not fit together (altered?)",
            kind.words()
        )
    } else {
        let takes = "it takes RSA keys of 2048 to 8192 bits, ECDSA keys on P-256 or P-384, and \
                     Ed25519 keys (`openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost \
                     -keyout key.pem -out cert.pem` makes a pair)";
        return match kind {
            KeyKind::Unknown => format!("the key is of a kind this server cannot use: {takes}"),
            kind => format!(
                "the key is {}, which this server cannot use: {takes}",
                kind.words()
            ),
        };
    };
    format!(
        "the key is damaged: {damage}; `openssl pkey -noout -check -in {}` says what is wrong",
        shell_word(key_path)
    )
}

/// Which certificate of `chain` (counting from 1, as a person counts the file's blocks) holds
/// the public half of `key`, when it is not the first: `None` when none does, or the key
/// cannot be read.
fn key_owner(chain: &[CertificateDer<'static>], key: PrivateKeyDer<'static>) -> Option<usize> {
    let provider = provider();
    let signing = provider.key_provider.load_private_key(key).ok()?;
    let public = signing.public_key()?;
    chain.iter().enumerate().skip(1).find_map(|(index, cert)| {
        let parsed = rustls::server::ParsedCertificate::try_from(cert).ok()?;
        (parsed.subject_public_key_info() == public).then_some(index + 1)
    })
}

/// Every certificate in a PEM file, in order.
pub(crate) fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let unreadable = |reason: String| TlsSetupError::Unreadable {
        what: "certificate file",
        path: path.to_path_buf(),
        reason,
    };
    let bytes = read_pem(path).map_err(unreadable)?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(pem_problem(&e)))?;
    if chain.is_empty() {
        // A key given where a certificate goes (`--ca key.pem`, `--cert key.pem`): said.
        if String::from_utf8_lossy(&bytes).contains("PRIVATE KEY-----") {
            return Err(unreadable(
                "it holds a private key, not a certificate (-----BEGIN CERTIFICATE-----): give \
                 the certificate's file"
                    .to_owned(),
            ));
        }
        return Err(TlsSetupError::Empty {
            what: "certificate",
            path: path.to_path_buf(),
        });
    }
    Ok(chain)
}

/// What is wrong with a PEM file, in words (the parser's own are `base64 decode error:
/// InvalidCharacter(33)`).
fn pem_problem(error: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error;
    match error {
        Error::Base64Decode(_) => "a PEM block's body is not valid base64: was the file \
                                   edited, or cut and pasted with something missing?"
            .to_owned(),
        Error::MissingSectionEnd { end_marker } => format!(
            "a PEM block never ends: its -----END {}----- line is missing (was the file cut \
             short?)",
            String::from_utf8_lossy(end_marker)
        ),
        Error::IllegalSectionStart { line } => format!(
            "a line that should begin a PEM block does not: {}",
            String::from_utf8_lossy(line)
        ),
        other => other.to_string(),
    }
}

/// The first private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let bytes = read_pem(path).map_err(|reason| TlsSetupError::Unreadable {
        what: "key file",
        path: path.to_path_buf(),
        reason,
    })?;
    // An encrypted key (PKCS#8's ENCRYPTED PRIVATE KEY, or an old-style one with a
    // Proc-Type header) holds no key rustls can read, and a server has nobody to ask for its
    // passphrase: said in words, with the command that writes it unencrypted.
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(TlsSetupError::EncryptedKey {
            path: path.to_path_buf(),
        });
    }
    // A key block that cannot be read (broken base64, no END line) is said as such, as a
    // certificate's is: "holds no private key" read as if the block were not there.
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| match error {
        rustls_pki_types::pem::Error::NoItemsFound => TlsSetupError::Empty {
            what: "private key",
            path: path.to_path_buf(),
        },
        other => TlsSetupError::Unreadable {
            what: "key file",
            path: path.to_path_buf(),
            reason: pem_problem(&other),
        },
    })
}

/// The largest certificate or key file read: a long chain is a few tens of KiB.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// A PEM file's bytes, read as [`serversocket_files::bounded_file`] reads what a person
/// names: a FIFO or `/dev/zero` given as `--cert`, `--key` or `--ca` is refused, never waited
/// on or read without end.
fn read_pem(path: &Path) -> Result<Vec<u8>, String> {
    read_bounded(path, MAX_PEM_BYTES).map_err(|error| match error {
        BoundedFileError::Unreadable { source, .. } => source.to_string(),
        other => other.to_string(),
    })
}

/// Makes a certificate for [`SELF_SIGNED_NAMES`] and writes it and its key (readable by the
/// owner only) to `folder`, which [`ensure_private_folder`] checked.
fn make_self_signed(folder: &Path, cert: &Path, key: &Path) -> Result<(), TlsSetupError> {
    let failed = |reason: String| TlsSetupError::DataFolder {
        path: folder.to_path_buf(),
        reason,
    };
    let names = SELF_SIGNED_NAMES
        .iter()
        .map(|&n| n.to_owned())
        .collect::<Vec<_>>();
    let made = rcgen::generate_simple_self_signed(names).map_err(|e| failed(e.to_string()))?;
    // New files renamed into place: never written through a link someone put there.
    write_private_file(key, made.key_pair.serialize_pem().as_bytes())
        .map_err(|e| failed(e.to_string()))?;
    write_private_file(cert, made.cert.pem().as_bytes()).map_err(|e| failed(e.to_string()))?;
    tracing::info!(folder = %folder.display(), "made a self-signed certificate");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder of this test's own under the temp dir.
    fn folder(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("serversocket-tls-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        folder
    }

    #[test]
    fn the_self_signed_certificate_is_made_once_and_kept() {
        let folder = folder("kept");
        let first = ServerTls::self_signed_in(&folder).expect("made");
        assert_eq!(first.fingerprint().len(), 64);
        let second = ServerTls::self_signed_in(&folder).expect("loaded");
        assert_eq!(
            first.fingerprint(),
            second.fingerprint(),
            "the same certificate again"
        );
        let chain = read_chain(&folder.join(CERT_FILE)).expect("chain");
        assert_eq!(fingerprint(&chain[0]), first.fingerprint());
        let _ = fs::remove_dir_all(&folder);
    }

    /// What another user of the machine could leave where our certificate is kept: a folder
    /// anyone may write into, a key anyone may read, a link to a file of ours.
    #[cfg(unix)]
    #[test]
    fn a_shared_folder_a_readable_key_and_a_planted_link_are_refused() {
        use std::os::unix::fs::PermissionsExt;

        let open = folder("open");
        fs::create_dir_all(&open).expect("folder");
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).expect("mode");
        let error = ServerTls::self_signed_in(&open)
            .expect_err("refused")
            .to_string();
        assert!(error.contains("chmod 700"), "{error}");
        assert!(!open.join(KEY_FILE).exists(), "no key written there");

        let readable = folder("readable");
        ServerTls::self_signed_in(&readable).expect("made");
        let key = readable.join(KEY_FILE);
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("mode");
        let error = ServerTls::self_signed_in(&readable)
            .expect_err("refused")
            .to_string();
        assert!(error.contains("chmod 600"), "{error}");

        let linked = folder("linked");
        fs::create_dir_all(&linked).expect("folder");
        fs::set_permissions(&linked, fs::Permissions::from_mode(0o700)).expect("mode");
        let target = linked.join("elsewhere.txt");
        fs::write(&target, "mine").expect("write");
        std::os::unix::fs::symlink(&target, linked.join(KEY_FILE)).expect("link");
        // The link is no key: the certificate is made anew beside it, never written through.
        let made = ServerTls::self_signed_in(&linked).expect("made, the link replaced");
        assert_eq!(made.fingerprint().len(), 64);
        assert_eq!(fs::read_to_string(&target).expect("read"), "mine");
        let key = fs::symlink_metadata(linked.join(KEY_FILE)).expect("key");
        assert!(!key.file_type().is_symlink());

        // A FIFO (mode 644) in the key's place is said to be one, not told to `chmod 600`;
        // so is one in the certificate's, with no advice meant for `--cert`.
        let fifo = folder("fifo");
        for (file, not_said) in [(KEY_FILE, "chmod"), (CERT_FILE, "size is known")] {
            ServerTls::self_signed_in(&fifo).expect("made");
            fs::remove_file(fifo.join(file)).expect("removed");
            let made = std::process::Command::new("mkfifo")
                .args(["-m", "644"])
                .arg(fifo.join(file))
                .status()
                .expect("mkfifo");
            assert!(made.success());
            let error = ServerTls::self_signed_in(&fifo)
                .expect_err("refused")
                .to_string();
            assert!(
                error.contains(&format!("{file} is not a regular file (a FIFO): remove it")),
                "{error}"
            );
            assert!(!error.contains(not_said), "{error}");
            fs::remove_file(fifo.join(file)).expect("removed");
        }

        // A key of ours left empty says how to make a new pair.
        let empty = folder("empty");
        ServerTls::self_signed_in(&empty).expect("made");
        fs::write(empty.join(KEY_FILE), "").expect("emptied");
        let error = ServerTls::self_signed_in(&empty)
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("holds no private key")
                && error.contains(&format!("remove {}", empty.join(CERT_FILE).display())),
            "{error}"
        );
        for folder in [open, readable, linked, fifo, empty] {
            let _ = fs::remove_dir_all(folder);
        }
    }

    #[test]
    fn a_damaged_or_cut_pem_file_is_told_in_words() {
        let folder = folder("damaged");
        fs::create_dir_all(&folder).expect("folder");
        for (text, said) in [
            (
                "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n",
                "a PEM block's body is not valid base64",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nMIIB\n",
                "its -----END CERTIFICATE----- line is missing",
            ),
        ] {
            let pem = folder.join("cert.pem");
            fs::write(&pem, text).expect("write");
            let error = read_chain(&pem).expect_err("damaged").to_string();
            assert!(error.contains(said), "{error}");
            assert!(!error.contains("InvalidCharacter"), "{error}");
        }
        // A key where the certificate goes.
        let keys = folder.join("keys");
        ServerTls::self_signed_in(&keys).expect("made");
        let error = read_chain(&keys.join(KEY_FILE))
            .expect_err("a key")
            .to_string();
        assert!(
            error.contains("it holds a private key, not a certificate"),
            "{error}"
        );
        let _ = fs::remove_dir_all(folder);
    }

    #[test]
    fn missing_and_empty_files_are_named_in_plain_words() {
        let folder = folder("bad");
        fs::create_dir_all(&folder).expect("folder");
        let empty = folder.join("empty.pem");
        fs::write(&empty, "not a certificate\n").expect("write");
        let error = ServerTls::from_pem_files(&empty, &empty).expect_err("no certificate");
        assert!(
            matches!(
                error,
                TlsSetupError::Empty {
                    what: "certificate",
                    ..
                }
            ),
            "{error}"
        );
        let error =
            ServerTls::from_pem_files(&folder.join("none.pem"), &empty).expect_err("missing");
        assert!(
            error.to_string().contains("cannot read certificate file"),
            "{error}"
        );
        let _ = fs::remove_dir_all(&folder);
    }
}

//! The client's TLS flags: `--tls [--ca FILE] [--pin HEX] [--tls-insecure]`.

use std::path::PathBuf;
use std::sync::Arc;

use serversocket::tls::{ClientTls, TlsFile, TlsSetupError, Trust, file_warning};

/// Whether the sockets are secure, and whom they trust.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Connect with TLS (Xojo's SSLSocket): the handshake runs before Connected, and a failed
    /// one is an error (exit 1). Trusts the system's root certificates unless told otherwise.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: also trust the CA certificate(s) in this PEM file (e.g. a server's
    /// self-signed certificate).
    #[arg(long, value_name = "FILE", requires = "tls", conflicts_with_all = ["pin", "tls_insecure"])]
    pub ca: Option<PathBuf>,
    /// With --tls: trust only the certificate with this SHA-256 fingerprint (64 hex digits,
    /// colons allowed), whoever signed it.
    #[arg(
        long,
        value_name = "HEX",
        requires = "tls",
        conflicts_with = "tls_insecure"
    )]
    pub pin: Option<String>,
    /// With --tls: accept any certificate. Encrypted, but nobody is checked: insecure, for
    /// teaching only.
    #[arg(long, requires = "tls")]
    pub tls_insecure: bool,
}

impl TlsArgs {
    /// The sockets' TLS settings, `None` without `--tls`.
    ///
    /// # Errors
    /// A CA file that cannot be used, or a pin that is not a SHA-256 fingerprint.
    pub fn client_tls(&self) -> Result<Option<Arc<ClientTls>>, TlsSetupError> {
        if !self.tls {
            return Ok(None);
        }
        let trust = if self.tls_insecure {
            Trust::AnyCertificate
        } else if let Some(pin) = &self.pin {
            Trust::pin(pin)?
        } else {
            Trust::Roots {
                ca_file: self.ca.clone(),
            }
        };
        let tls = ClientTls::new(trust)?;
        // The user's own file: used, but one others could replace (and so choose whom this
        // client trusts) is said, once it has loaded.
        if let Some(warning) = self
            .ca
            .as_deref()
            .and_then(|ca| file_warning(ca, TlsFile::Ca))
        {
            serversocket_app::say!("client-app: {warning}");
        }
        Ok(Some(Arc::new(tls)))
    }
}

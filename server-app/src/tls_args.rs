//! The server's TLS flags: `--tls [--cert FILE --key FILE]`.

use std::path::PathBuf;
use std::sync::Arc;

use serversocket::tls::{ServerTls, TlsFile, TlsSetupError, data_folder, file_warning};

/// The folder under the user's data folder where the self-signed certificate is kept.
pub const DATA_FOLDER_NAME: &str = "serversocket";

/// Whether the pool's sockets are secure, and with which certificate.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Secure every connection with TLS (Xojo's SSLSocket): each client's TLS handshake runs
    /// before Connected. Without --cert/--key, a self-signed certificate for localhost,
    /// 127.0.0.1 and ::1 is made once and kept in the data folder
    /// ($XDG_DATA_HOME/serversocket or ~/.local/share/serversocket).
    #[arg(long)]
    pub tls: bool,
    /// With --tls: the certificate chain, PEM (leaf first).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// With --tls: the certificate's private key, PEM.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub key: Option<PathBuf>,
}

impl TlsArgs {
    /// The certificate to serve with, `None` without `--tls`.
    ///
    /// # Errors
    /// A certificate or key file that cannot be used, or a data folder that cannot be written.
    pub fn server_tls(&self) -> Result<Option<Arc<ServerTls>>, TlsSetupError> {
        if !self.tls {
            return Ok(None);
        }
        let tls = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                let tls = ServerTls::from_pem_files(cert, key)?;
                // The user's own files: used, but a certificate others could replace, or a
                // key that is not private to them, is said, once, and only of files that work
                // (an error says enough of one that does not).
                for (path, file) in [(cert, TlsFile::Certificate), (key, TlsFile::Key)] {
                    if let Some(warning) = file_warning(path, file) {
                        serversocket_app::say!("server-app: {warning}");
                    }
                }
                tls
            }
            _ => ServerTls::self_signed_in(&data_folder(DATA_FOLDER_NAME))?,
        };
        if let Some(problem) = tls.date_problem(std::time::SystemTime::now()) {
            serversocket_app::say!("server-app: warning: {problem}");
        }
        Ok(Some(Arc::new(tls)))
    }
}

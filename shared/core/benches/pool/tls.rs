//! The TLS measures: `accept_rate_tls` and `throughput_tls`, our secure pool against a plain
//! tokio-rustls accept loop with the same certificate, the same provider (ring) and the same
//! client driver (tokio-rustls, a fresh client config for each server so neither resumes a
//! session the other made).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serversocket::seed::{Greeter, SERVER_GREETING};
use serversocket::tls::ServerTls;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use test_support::bench::{self, CONCURRENCY, Measure};

use super::{Counting, Ours, PATIENCE, reference};

/// The certificate both servers present, made once in a folder of the bench's own.
struct Certificate {
    folder: PathBuf,
    ours: Arc<ServerTls>,
}

impl Certificate {
    fn new() -> Self {
        let folder = std::env::temp_dir().join(format!("pool-bench-tls-{}", std::process::id()));
        let ours = Arc::new(ServerTls::self_signed_in(&folder).unwrap());
        Self { folder, ours }
    }

    fn cert(&self) -> PathBuf {
        self.folder.join("tls-cert.pem")
    }

    /// The reference server's rustls settings: the same chain and key.
    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let chain: Vec<_> = CertificateDer::pem_file_iter(self.cert())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = PrivateKeyDer::from_pem_file(self.folder.join("tls-key.pem")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// ring, as the library's configs use (its deprecation since rustls 0.23.48: see the library's
/// `tls::provider`).
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client driver: tokio-rustls trusting the certificate in `ca`.
fn connector(ca: &Path) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// One TLS client: connect, handshake, read the greeting.
async fn greeted(
    connector: tokio_rustls::TlsConnector,
    address: SocketAddr,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = tokio::time::timeout(PATIENCE, TcpStream::connect(address)).await??;
    let name = ServerName::from(address.ip());
    let mut stream = tokio::time::timeout(PATIENCE, connector.connect(name, tcp)).await??;
    let mut greeting = vec![0; SERVER_GREETING.len()];
    tokio::time::timeout(PATIENCE, stream.read_exact(&mut greeting)).await??;
    Ok(stream)
}

/// `total` connect–handshake–greet–close cycles, [`CONCURRENCY`] at a time; per second.
fn cycles_per_second(
    clients: &tokio::runtime::Runtime,
    address: SocketAddr,
    ca: &Path,
    total: usize,
) -> f64 {
    let connector = connector(ca);
    bench::cycles_per_second(clients, total, move || greeted(connector.clone(), address))
}

pub(crate) fn accept_rate_tls(clients: &tokio::runtime::Runtime, total: usize) -> Measure {
    let certificate = Certificate::new();
    let ours = Ours::start(CONCURRENCY * 2, |_| Greeter::default());
    ours.server.set_tls(Some(Arc::clone(&certificate.ours)));
    let ours_rate = cycles_per_second(clients, ours.address, &certificate.cert(), total);
    drop(ours);
    let acceptor = certificate.acceptor();
    let plain = reference(move |tcp: TcpStream| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut stream) = acceptor.accept(tcp).await else {
                return;
            };
            let _ = stream.write_all(SERVER_GREETING.as_bytes()).await;
            let _ = stream.flush().await;
            let mut buffer = [0_u8; 4096];
            while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
        }
    });
    let reference_rate = cycles_per_second(clients, plain.address, &certificate.cert(), total);
    drop(plain);
    Measure::once("accept_rate_tls", ours_rate, reference_rate, "conn/s")
}

/// Uploads `mib` MiB over TLS and waits until the server counted all of it; MiB a second.
fn upload(
    clients: &tokio::runtime::Runtime,
    address: SocketAddr,
    ca: &Path,
    counted: &AtomicU64,
    mib: u64,
) -> f64 {
    let connector = connector(ca);
    let total = mib * 1024 * 1024;
    let start = Instant::now();
    clients.block_on(async {
        let tcp = TcpStream::connect(address).await.unwrap();
        let mut stream = connector
            .connect(ServerName::from(address.ip()), tcp)
            .await
            .unwrap();
        let block = vec![0x5a_u8; 1024 * 1024];
        for _ in 0..mib {
            stream.write_all(&block).await.unwrap();
        }
        stream.flush().await.unwrap();
        for _ in 0..(PATIENCE.as_millis() as usize) {
            if counted.load(Ordering::Relaxed) >= total {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(stream);
    });
    assert_eq!(counted.load(Ordering::Relaxed), total, "every byte arrived");
    mib as f64 / start.elapsed().as_secs_f64()
}

pub(crate) fn throughput_tls(clients: &tokio::runtime::Runtime, mib: u64) -> Measure {
    let certificate = Certificate::new();
    let counted = Arc::new(AtomicU64::new(0));
    let ours_counter = Arc::clone(&counted);
    let ours = Ours::start(10, move |_| Counting(Arc::clone(&ours_counter)));
    ours.server.set_tls(Some(Arc::clone(&certificate.ours)));
    let ours_rate = upload(clients, ours.address, &certificate.cert(), &counted, mib);
    drop(ours);
    let reference_counted = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&reference_counted);
    let acceptor = certificate.acceptor();
    let plain = reference(move |tcp: TcpStream| {
        let (acceptor, counter) = (acceptor.clone(), Arc::clone(&counter));
        async move {
            let Ok(mut stream) = acceptor.accept(tcp).await else {
                return;
            };
            let mut buffer = vec![0_u8; 64 * 1024];
            while let Ok(n @ 1..) = stream.read(&mut buffer).await {
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    });
    let reference_rate = upload(
        clients,
        plain.address,
        &certificate.cert(),
        &reference_counted,
        mib,
    );
    drop(plain);
    Measure::once("throughput_tls", ours_rate, reference_rate, "MiB/s")
}

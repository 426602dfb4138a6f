//! A real TCP connection on loopback, both its ends, for the unit tests that need one.

use tokio::net::{TcpListener, TcpStream};

/// A connection on 127.0.0.1: (the end a listener accepted, the end that connected).
pub(crate) async fn loopback_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let connecting = TcpStream::connect(listener.local_addr().expect("address"))
        .await
        .expect("connect");
    let (accepted, _) = listener.accept().await.expect("accept");
    (accepted, connecting)
}

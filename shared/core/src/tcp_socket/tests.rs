//! A client's connect: a socket connected to itself, a connection kept, a peer gone before the
//! socket came up.

use super::*;

/// A socket bound to a loopback port and connected to that same port: the connection a
/// client gets when its OS picks the port it connects to as its own.
fn connected_to_itself() -> std::net::TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().expect("address").into())
        .expect("bind");
    let own = socket
        .local_addr()
        .expect("local address")
        .as_socket()
        .expect("an IP address");
    socket
        .connect(&own.into())
        .expect("simultaneous open with itself");
    socket.into()
}

#[tokio::test]
async fn a_socket_connected_to_itself_is_refused_in_plain_words() {
    let stream = connected_to_itself();
    stream.set_nonblocking(true).expect("non-blocking");
    let address = stream.local_addr().expect("local");
    assert_eq!(stream.peer_addr().expect("peer"), address);
    let stream = TcpStream::from_std(stream).expect("tokio stream");
    let error = refuse_self_connection(stream, address).expect_err("refused");
    assert_eq!(error, SocketError::ConnectedToItself { address });
    assert_eq!(error.code(), 102);
    assert!(error.to_string().contains("connected to itself"), "{error}");
}

/// A client whose peer resets the connection before the client's task looks at it: its
/// addresses are gone, and the connect is reported as failed (Error, then Closed), not as
/// abandoned (Closed alone).
#[tokio::test]
async fn a_peer_gone_before_the_socket_came_up_is_an_error() {
    let (accepted, stream) = crate::loopback_pair::loopback_pair().await;
    // Closed with linger 0: a reset, which the kernel applies to our end at once.
    socket2::SockRef::from(&accepted)
        .set_linger(Some(Duration::ZERO))
        .expect("linger");
    drop(accepted);
    let gone = test_support::within_patience(|| stream.peer_addr().is_err().then_some(()));
    assert!(gone.is_some(), "the reset reached the client");
    let (socket, mut commands) = TcpSocket::new(SocketId(0), SocketState::Connecting);
    let outcome = come_up(
        &stream,
        &socket.status,
        &mut commands,
        SocketState::Connected,
    );
    assert!(
        matches!(outcome, Err(NotUp::Vanished(SocketError::Os(ref words))) if words.contains("gone")),
        "{:?}",
        outcome
            .map(|_| ())
            .map_err(|e| matches!(e, NotUp::Vanished(_)))
    );
    assert_ne!(socket.status().state, SocketState::Connected);
}

#[tokio::test]
async fn a_connection_to_a_listener_is_kept() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let address = listener.local_addr().expect("address");
    let stream = TcpStream::connect(address).await.expect("connect");
    assert!(refuse_self_connection(stream, address).is_ok());
}

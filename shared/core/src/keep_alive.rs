//! TCP keepalive, and the options an accepted connection takes from its listener: so a peer
//! whose machine vanished frees its slot, and every write goes out at once.

use std::time::Duration;

/// When an accepted connection's peer has been silent this long, the OS starts asking whether
/// it is still there (TCP keepalive)...
const KEEPALIVE_TIME: Duration = Duration::from_secs(60);
/// ...asks again this often...
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// ...and after this many unanswered probes reports the connection broken.
const KEEPALIVE_RETRIES: u32 = 3;

/// Turns on TCP keepalive for an accepted connection, so a peer whose machine vanished without
/// a goodbye (power cut, cable pulled) is found out within about 90 s and frees its slot,
/// instead of holding it for ever. A peer that is there but silent answers the probes: only an
/// idle timeout ends that. Called on the listener where connections inherit it (Linux: see
/// [`crate::os_socket::bind`]), else on each accepted connection.
pub(crate) fn keep_alive(socket: &socket2::SockRef<'_>) {
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_TIME)
        .with_interval(KEEPALIVE_INTERVAL);
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    let keepalive = keepalive.with_retries(KEEPALIVE_RETRIES);
    // Best effort: without keepalive the connection still works.
    let _ = socket.set_tcp_keepalive(&keepalive);
}

/// Whether an accepted connection already has keepalive and TCP_NODELAY from its listener: on
/// Linux the kernel makes the connection as a copy of the listening socket, options included,
/// which spares each connection five setsockopt calls.
pub(crate) const OPTIONS_INHERITED: bool = cfg!(target_os = "linux");

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpStream;

    #[tokio::test]
    async fn accepted_connections_ask_the_os_to_check_on_a_silent_peer_and_send_at_once() {
        let listener =
            crate::os_socket::bind("127.0.0.1:0".parse().expect("address"), 16).expect("listener");
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let _client = TcpStream::connect(listener.local_addr().expect("address"))
            .await
            .expect("connect");
        let (accepted, _) = listener.accept().await.expect("accept");
        if !OPTIONS_INHERITED {
            keep_alive(&socket2::SockRef::from(&accepted));
            accepted.set_nodelay(true).expect("nodelay");
        }
        let accepted = socket2::SockRef::from(&accepted);
        assert!(accepted.keepalive().expect("read"));
        assert_eq!(accepted.tcp_keepalive_time().expect("read"), KEEPALIVE_TIME);
        assert_eq!(
            accepted.tcp_keepalive_interval().expect("read"),
            KEEPALIVE_INTERVAL
        );
        assert!(accepted.tcp_nodelay().expect("read"));
    }
}

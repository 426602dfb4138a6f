//! The seed's server, as the original ServerSocket example has it: a pool of sockets on port
//! 2002 (MinimumSocketsAvailable 2, MaximumSocketsConnected 10); each greets the client it is
//! handed, and every event is printed.
//!
//! Run it with `cargo run -p serversocket --example seed_server [PORT]`, then connect with
//! `nc 127.0.0.1 2002` or the `seed_client` example. Ctrl-C stops it.

mod arguments;

use std::time::Duration;

use serversocket::seed::Greeter;
use serversocket::{EventReceiver, Runtime, ServerSocket, SocketError, event_channel};

fn main() -> Result<(), SocketError> {
    let port = arguments::port(1, 2002)?;
    let runtime = Runtime::new()?;
    let (server, mut events) = listen(&runtime, port)?;
    println!("listening on {:?}", server.local_address());
    loop {
        if let Some(event) = events.recv_timeout(Duration::from_secs(3600)) {
            println!("{event:?}");
        }
    }
}

/// Listens on `port` (0: any free port) with the seed's greeting sockets.
fn listen(runtime: &Runtime, port: u16) -> Result<(ServerSocket, EventReceiver), SocketError> {
    let (events, receiver) = event_channel(None);
    // AddSocket: the pool asks for a new socket whenever it has fewer than Min idle.
    let mut server = ServerSocket::new(runtime, events, |_id| Greeter::default());
    server.set_port(port);
    server.set_limits(2, 10)?;
    server.listen()?;
    Ok((server, receiver))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use serversocket::seed::SERVER_GREETING;

    use super::*;

    #[test]
    fn a_client_is_greeted() {
        let runtime = Runtime::new().unwrap();
        let (server, _events) = listen(&runtime, 0).unwrap();
        let address = server.local_address().unwrap();
        let mut client = std::net::TcpStream::connect(address).unwrap();
        client
            .set_read_timeout(Some(test_support::PATIENCE))
            .unwrap();
        let mut greeting = vec![0; SERVER_GREETING.len()];
        client.read_exact(&mut greeting).unwrap();
        assert_eq!(greeting, SERVER_GREETING.as_bytes());
    }
}

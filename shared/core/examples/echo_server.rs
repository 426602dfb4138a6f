//! An echo server: every pooled socket writes back what it receives, byte for byte.
//!
//! Run it with `cargo run -p serversocket --example echo_server [PORT]` (default 7007), then
//! type into `nc 127.0.0.1 7007`. Ctrl-C stops it.

mod arguments;

use std::time::Duration;

use serversocket::{
    Event, Runtime, ServerSocket, Socket, SocketError, SocketHandler, event_channel,
};

/// A socket that echoes (the body of a Xojo TCPSocket subclass).
struct Echo;

impl SocketHandler for Echo {
    fn data_available(&mut self, socket: &mut Socket) {
        let received = socket.read_all();
        // A refused write (the peer stopped reading and 32 MiB wait) fires Error as well.
        let _ = socket.write(received);
    }
}

fn main() -> Result<(), SocketError> {
    let port = arguments::port(1, 7007)?;
    let runtime = Runtime::new()?;
    let (events, mut receiver) = event_channel(None);
    let server = listen(&runtime, events, port)?;
    println!("echoing on {:?}", server.local_address());
    loop {
        match receiver.recv_timeout(Duration::from_secs(3600)) {
            Some(Event::Connected { socket, remote, .. }) => println!("socket {socket}: {remote}"),
            Some(Event::Closed { socket }) => println!("socket {socket} closed"),
            _ => {}
        }
    }
}

/// Listens on `port` (0: any free port) with echoing sockets.
fn listen(
    runtime: &Runtime,
    events: serversocket::EventSender,
    port: u16,
) -> Result<ServerSocket, SocketError> {
    let mut server = ServerSocket::new(runtime, events, |_id| Echo);
    server.set_port(port);
    server.listen()?;
    Ok(server)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn what_is_sent_comes_back() {
        let runtime = Runtime::new().unwrap();
        let (events, _receiver) = event_channel(None);
        let server = listen(&runtime, events, 0).unwrap();
        let mut client = std::net::TcpStream::connect(server.local_address().unwrap()).unwrap();
        client
            .set_read_timeout(Some(test_support::PATIENCE))
            .unwrap();
        client.write_all(b"hello, echo\n").unwrap();
        let mut back = [0; 12];
        client.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello, echo\n");
    }
}

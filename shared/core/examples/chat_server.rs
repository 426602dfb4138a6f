//! A chat server: whatever one client sends, every connected client receives. The pooled
//! sockets only take the bytes in; the program's own loop, reading the events as a Xojo
//! window's code would, writes each message to every socket in ActiveConnections.
//!
//! Run it with `cargo run -p serversocket --example chat_server [PORT]` (default 7008), then
//! connect two or more `nc 127.0.0.1 7008` and type. Ctrl-C stops it.

mod arguments;

use std::time::Duration;

use serversocket::{
    Event, EventReceiver, Passive, Runtime, ServerSocket, SocketError, event_channel,
};

fn main() -> Result<(), SocketError> {
    let port = arguments::port(1, 7008)?;
    let runtime = Runtime::new()?;
    let (server, mut events) = listen(&runtime, port)?;
    println!("chatting on {:?}", server.local_address());
    loop {
        if let Some(event) = events.recv_timeout(Duration::from_secs(3600)) {
            relay(&server, &event);
        }
    }
}

/// Listens on `port` (0: any free port) with sockets that leave the talking to [`relay`].
fn listen(runtime: &Runtime, port: u16) -> Result<(ServerSocket, EventReceiver), SocketError> {
    let (events, receiver) = event_channel(None);
    // Passive sockets take what arrives and do nothing with it: the Data event carries it.
    let mut server = ServerSocket::new(runtime, events, |_id| Passive);
    server.set_port(port);
    server.set_limits(2, 50)?;
    server.listen()?;
    Ok((server, receiver))
}

/// Writes what one socket received to every connected socket, the sender's included.
fn relay(server: &ServerSocket, event: &Event) {
    // A Data event carries up to 16 KiB of its chunk, plenty for a chat line.
    if let Event::Data { socket, data, .. } = event {
        let line = [format!("{socket}: ").as_bytes(), data].concat();
        for member in server.active_connections() {
            // A member that just left refuses: nothing to do about it here.
            let _ = member.write(line.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn a_line_from_one_reaches_everyone() {
        let runtime = Runtime::new().unwrap();
        let (server, mut events) = listen(&runtime, 0).unwrap();
        let address = server.local_address().unwrap();
        let mut alice = std::net::TcpStream::connect(address).unwrap();
        let mut bob = std::net::TcpStream::connect(address).unwrap();
        for peer in [&alice, &bob] {
            peer.set_read_timeout(Some(test_support::PATIENCE)).unwrap();
        }
        // Both are in ActiveConnections before anyone talks.
        let mut connected = 0;
        test_support::received_within_patience(
            |left| events.recv_timeout(left),
            |event| {
                connected += usize::from(matches!(event, Event::Connected { .. }));
                (connected == 2).then_some(())
            },
        )
        .expect("two connected");
        alice.write_all(b"hi bob\n").unwrap();
        test_support::received_within_patience(
            |left| events.recv_timeout(left),
            |event| {
                relay(&server, &event);
                matches!(event, Event::Data { .. }).then_some(())
            },
        )
        .expect("alice's line");
        for peer in [&mut alice, &mut bob] {
            let mut line = [0; 10];
            peer.read_exact(&mut line).unwrap();
            assert_eq!(&line, b"0: hi bob\n");
        }
    }
}

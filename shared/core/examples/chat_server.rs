//! A chat server: whatever one client sends, every connected client receives. Each pooled
//! socket's handler takes what arrives with ReadAll and passes it to the program's own loop,
//! which writes it to every socket in ActiveConnections.
//!
//! Run it with `cargo run -p serversocket --example chat_server [PORT]` (default 7008), then
//! connect two or more `nc 127.0.0.1 7008` and type. Ctrl-C stops it.

mod arguments;

use std::sync::mpsc;

use bytes::Bytes;
use serversocket::{
    EventSender, Runtime, ServerSocket, Socket, SocketError, SocketHandler, SocketId, event_channel,
};

/// What a member sent, as its socket read it: who, and the bytes.
type Said = (SocketId, Bytes);

/// A member's socket (the body of a Xojo TCPSocket subclass): hands on what it receives.
struct Member {
    /// To the program's loop, which relays it to everyone.
    said: mpsc::Sender<Said>,
}

impl SocketHandler for Member {
    fn data_available(&mut self, socket: &mut Socket) {
        // ReadAll takes every byte received. An Event::Data only reports a chunk (of one
        // longer than 16 KiB, its start), so relaying events would cut long messages.
        // The loop is gone only when the program ends: nothing to tell then.
        let _ = self.said.send((socket.id(), socket.read_all()));
    }
}

fn main() -> Result<(), SocketError> {
    let port = arguments::port(1, 7008)?;
    let runtime = Runtime::new()?;
    // The chat needs no events: their receiver is dropped, so none wait to be read (a
    // receiver kept and never read would stop the sockets once the channel is full).
    let (events, _) = event_channel(None);
    let (server, said) = listen(&runtime, events, port)?;
    println!("chatting on {:?}", server.local_address());
    for (from, message) in said {
        relay(&server, from, &message);
    }
    Ok(())
}

/// Listens on `port` (0: any free port) with member sockets, whose messages come out of the
/// returned receiver.
fn listen(
    runtime: &Runtime,
    events: EventSender,
    port: u16,
) -> Result<(ServerSocket, mpsc::Receiver<Said>), SocketError> {
    let (said, heard) = mpsc::channel();
    let mut server = ServerSocket::new(runtime, events, move |_id| Member { said: said.clone() });
    server.set_port(port);
    server.set_limits(2, 50)?;
    server.listen()?;
    Ok((server, heard))
}

/// Writes what `from` sent to every connected socket, the sender's included, after its id.
/// TCP is a byte stream: a long message may arrive, and go on, in several pieces, each
/// after its sender's id.
fn relay(server: &ServerSocket, from: SocketId, message: &[u8]) {
    let line = Bytes::from([format!("{from}: ").as_bytes(), message].concat());
    for member in server.active_connections() {
        // A member that just left refuses: nothing to do about it here.
        let _ = member.write(line.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use serversocket::{Event, EventReceiver};

    use super::*;

    /// Two members, Alice and Bob, both in ActiveConnections.
    fn alice_and_bob(server: &ServerSocket, events: &mut EventReceiver) -> [TcpStream; 2] {
        let address = server.local_address().unwrap();
        let members = [(); 2].map(|()| TcpStream::connect(address).unwrap());
        for peer in &members {
            peer.set_read_timeout(Some(test_support::PATIENCE)).unwrap();
        }
        let mut connected = 0;
        test_support::received_within_patience(
            |left| events.recv_timeout(left),
            |event| {
                connected += usize::from(matches!(event, Event::Connected { .. }));
                (connected == 2).then_some(())
            },
        )
        .expect("two connected");
        members
    }

    /// Relays what the members said until `bytes` of it went on; returns what each member
    /// then receives.
    fn relay_until(server: &ServerSocket, said: &mpsc::Receiver<Said>, bytes: usize) -> Vec<u8> {
        let mut relayed = 0;
        let mut expected = Vec::new();
        test_support::received_within_patience(
            |left| said.recv_timeout(left).ok(),
            |(from, message)| {
                relay(server, from, &message);
                relayed += message.len();
                expected.extend_from_slice(format!("{from}: ").as_bytes());
                expected.extend_from_slice(&message);
                (relayed >= bytes).then_some(())
            },
        )
        .expect("everything said, relayed");
        expected
    }

    #[test]
    fn a_line_from_one_reaches_everyone() {
        let runtime = Runtime::new().unwrap();
        let (events, mut receiver) = event_channel(None);
        let (server, said) = listen(&runtime, events, 0).unwrap();
        let [mut alice, mut bob] = alice_and_bob(&server, &mut receiver);
        alice.write_all(b"hi bob\n").unwrap();
        relay_until(&server, &said, 7);
        for peer in [&mut alice, &mut bob] {
            let mut line = [0; 10];
            peer.read_exact(&mut line).unwrap();
            assert_eq!(&line, b"0: hi bob\n");
        }
    }

    /// A message longer than a Data event carries (16 KiB) reaches Bob whole: the old relay
    /// of `Event::Data` passed on 20,481 bytes of 60,000.
    #[test]
    fn a_long_message_reaches_everyone_whole() {
        let runtime = Runtime::new().unwrap();
        let (events, mut receiver) = event_channel(None);
        let (server, said) = listen(&runtime, events, 0).unwrap();
        let [mut alice, mut bob] = alice_and_bob(&server, &mut receiver);
        let long = vec![b'z'; 60_000];
        alice.write_all(&long).unwrap();
        let expected = relay_until(&server, &said, long.len());
        let mut received = vec![0; expected.len()];
        bob.read_exact(&mut received).unwrap();
        assert_eq!(received, expected);
        // Every byte of it, between the sender's ids.
        let message: Vec<u8> = received.into_iter().filter(|&byte| byte == b'z').collect();
        assert_eq!(message, long);
    }
}

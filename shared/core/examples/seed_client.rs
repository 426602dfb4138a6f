//! The seed's client: three sockets connect to the seed's server, each says hello, answers
//! what the server sends, and prints what it gets.
//!
//! Run `cargo run -p serversocket --example seed_server` first, then
//! `cargo run -p serversocket --example seed_client [HOST] [PORT]`.

mod arguments;

use std::time::Duration;

use serversocket::seed::Replier;
use serversocket::{Event, EventReceiver, Runtime, SocketIds, TcpSocket, event_channel};

fn main() -> Result<(), serversocket::SocketError> {
    let host = arguments::argument(1).unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = arguments::port(2, 2002)?;
    let runtime = Runtime::new()?;
    let (_sockets, mut events) = connect(&runtime, &host, port, 3);
    // Until nothing has happened for two seconds.
    while let Some(event) = events.recv_timeout(Duration::from_secs(2)) {
        if let Event::Data { socket, data, .. } = &event {
            println!("socket {socket} got: {}", String::from_utf8_lossy(data));
        } else {
            println!("{event:?}");
        }
    }
    Ok(())
}

/// Connects `count` seed client sockets to `host:port`.
fn connect(
    runtime: &Runtime,
    host: &str,
    port: u16,
    count: usize,
) -> (Vec<TcpSocket>, EventReceiver) {
    let (events, receiver) = event_channel(None);
    let ids = SocketIds::new();
    let sockets = (0..count)
        .map(|_| {
            TcpSocket::builder(host, port).connect(
                runtime,
                &ids,
                Replier::default(),
                events.clone(),
            )
        })
        .collect();
    (sockets, receiver)
}

#[cfg(test)]
mod tests {
    use serversocket::seed::SERVER_GREETING;

    use super::*;

    #[test]
    fn three_clients_each_get_the_greeting() {
        let (runtime, _server, _watch, address) = test_support::sockets::greeting_server(2, 10);
        let (_sockets, mut events) = connect(&runtime, "127.0.0.1", address.port(), 3);
        let mut greeted = std::collections::BTreeSet::new();
        let done = test_support::received_within_patience(
            |left| events.recv_timeout(left),
            |event| {
                if let Event::Data { socket, data, .. } = event
                    && data.starts_with(SERVER_GREETING.as_bytes())
                {
                    greeted.insert(socket);
                }
                (greeted.len() == 3).then_some(())
            },
        );
        assert!(done.is_some(), "greeted: {greeted:?}");
    }
}

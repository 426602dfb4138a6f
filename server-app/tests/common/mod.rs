//! What the headless server's tests share: its binary, run through `test_support::app`, and
//! plain clients that are greeted.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use test_support::PATIENCE;
pub use test_support::app::{App, is_event};

pub fn server_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_server-app"))
}

/// The server started headless on a free port, printing JSON, with `more` arguments; and the
/// address it listens on.
pub fn started(more: &[&str]) -> (App, String) {
    let args = [&["--headless", "--port", "0", "--json"], more].concat();
    let mut server = App::start(server_binary(), &args);
    let address = server.listening_address();
    (server, address)
}

/// A plain client of the server at `address`, with a read timeout ([`PATIENCE`]) so no test
/// can hang on it.
pub fn client_of(address: &str) -> std::net::TcpStream {
    let client = std::net::TcpStream::connect(address).unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    client
}

/// Connects, reads the greeting (within [`PATIENCE`]) and closes, `count` times in a row.
pub fn greet_one_after_another(address: &str, count: usize) {
    for n in 0..count {
        let mut client = client_of(address);
        let mut greeting = vec![0; "From the server socket, I connected to you.".len()];
        std::io::Read::read_exact(&mut client, &mut greeting)
            .unwrap_or_else(|e| panic!("client {n} was not greeted: {e}"));
    }
}

/// The server run by `prlimit` with its open-files limit set to `nofile` (`--nofile=SOFT:HARD`),
/// headless on a free port, with `more` arguments.
pub fn server_under_prlimit(nofile: &str, more: &[&str]) -> App {
    let server = server_binary();
    let mut all = vec![
        nofile,
        "--",
        server.to_str().unwrap(),
        "--headless",
        "--port",
        "0",
    ];
    all.extend(more);
    App::start(PathBuf::from("prlimit"), &all)
}

//! The server window driven as a user would, with egui_kittest, over real loopback sockets.
//!
//! # Layout
//! - `listening`: Listen and Stop, ports and limits refused or warned about, naive mode, the
//!   reply modes and the idle timeout.
//! - `log_and_timeline`: the log (export, copy, a socket's events), the timeline, the Stream view.
//! - `pipeline_view`: the pipeline and the pool's tiles, on small screens and large pools.
//! - `kernel_and_concepts`: the kernel's accept queue and TIME_WAIT, TLS handshakes, and the
//!   concepts panel that explains them.
//! - `controls`: labels, keyboard, remembered settings and the other app's window.
//! - `packets`: the Packets view of a captured connection, and its export as pcapng.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod controls;
mod hidden;
mod kernel_and_concepts;
mod listening;
mod log_and_timeline;
mod packets;
mod pipeline_view;

use std::net::{SocketAddr, TcpStream};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use test_support::kittest::{self, run_until};
use test_support::sockets;

use super::{ServerSettings, ServerWindow};

/// A window on port 0 (any free port) with the given limits, in a test harness.
fn window(min: usize, max: usize) -> Harness<'static, ServerWindow> {
    let settings = ServerSettings {
        port: "0".to_owned(),
        min,
        max,
        ..ServerSettings::default()
    };
    window_with(kittest::SIZE, settings)
}

/// A window with `settings`, of `size`, in a test harness.
fn window_with(size: egui::Vec2, settings: ServerSettings) -> Harness<'static, ServerWindow> {
    kittest::window(size, ServerWindow::new(settings).unwrap())
}

fn listen(harness: &mut Harness<'_, ServerWindow>) -> SocketAddr {
    harness.get_by_label("Listen").click();
    run_until(harness, "listening", |w| {
        w.server.log.contains("Added Socket")
    });
    harness.state().server.socket.local_address().unwrap()
}

/// A window (Min `min`, Max `max`) listening, and one client that has read its greeting.
fn with_a_greeted_client(min: usize, max: usize) -> (Harness<'static, ServerWindow>, TcpStream) {
    let mut harness = window(min, max);
    let address = listen(&mut harness);
    let client = greeted_client(address);
    (harness, client)
}

/// A window (Min `min`, Max `max`) listening, with one client that has read the greeting and
/// whose greeting the window has logged as sent (socket 0's row is in the table).
fn serving_one_client(min: usize, max: usize) -> (Harness<'static, ServerWindow>, TcpStream) {
    let (mut harness, client) = with_a_greeted_client(min, max);
    run_until(&mut harness, "the greeting sent", |w| {
        w.server.log.contains("Socket 0 send complete.")
    });
    (harness, client)
}

/// A window with `settings` on port 0 (any free port), listening, and its address.
fn listening_with(settings: ServerSettings) -> (Harness<'static, ServerWindow>, SocketAddr) {
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..settings
    };
    let mut harness = window_with(kittest::SIZE, settings);
    let address = listen(&mut harness);
    (harness, address)
}

/// How many of the window's log lines `wanted` takes.
fn logged(window: &ServerWindow, wanted: impl Fn(&str) -> bool) -> usize {
    window
        .server
        .log
        .lines()
        .into_iter()
        .filter(|line| wanted(line))
        .count()
}

/// The state of socket `socket`'s row, if the window has one.
fn row_state(window: &ServerWindow, socket: u64) -> Option<serversocket_ui::RowState> {
    window
        .server
        .rows
        .get(serversocket::SocketId(socket))
        .map(|row| row.state)
}

/// A window of `size` with `settings` on port 0, listening, and `count` clients it has
/// connected, each of which has read its greeting.
fn with_connected(
    size: egui::Vec2,
    settings: ServerSettings,
    count: usize,
) -> (Harness<'static, ServerWindow>, Vec<TcpStream>) {
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..settings
    };
    let mut harness = window_with(size, settings);
    let address = listen(&mut harness);
    let clients: Vec<TcpStream> = (0..count).map(|_| greeted_client(address)).collect();
    run_until(&mut harness, "every client connected", |w| {
        w.server.rows.count(serversocket_ui::RowState::Connected) == count
    });
    (harness, clients)
}

/// A client of the window's server that has read the greeting.
fn greeted_client(address: SocketAddr) -> TcpStream {
    let mut stream = sockets::client(address);
    sockets::read_greeting(&mut stream);
    stream
}

/// A failed wait shows the window's log.
impl kittest::Window for ServerWindow {
    fn draw(&mut self, ui: &mut egui::Ui) {
        self.ui(ui);
    }

    fn explain(&self) -> String {
        format!("log: {:#?}", self.server.log.lines())
    }
}

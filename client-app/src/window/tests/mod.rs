//! The client window driven as a user would, with egui_kittest, against a real ServerSocket
//! from the library on an ephemeral loopback port.
//!
//! # Layout
//! - `connecting`: Connect, bursts and "at once", refusals and unknown hosts, a naive server's
//!   losses, the accept queue, TLS pins, the keyboard shortcuts.
//! - `sending`: the send box, a file larger than the send queue, the log written to a file,
//!   the Stream view, the timeline.
//! - `layout_and_controls`: small screens, every control labelled, Tab, remembered settings.
//! - `packets`: the Packets window of a captured connection.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod connecting;
mod layout_and_controls;
mod packets;
mod sending;

use std::collections::BTreeMap;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::seed::{Greeter, SERVER_GREETING};
use serversocket::{Event, EventReceiver, Runtime, ServerSocket, SocketId, event_channel};
use test_support::kittest::{self, run_until};

use super::{ClientSettings, ClientWindow};

/// The seed's server, from the library, on a free loopback port.
struct Server {
    _server: ServerSocket,
    _runtime: Runtime,
    events: EventReceiver,
    port: u16,
}

impl Server {
    fn start() -> Self {
        let runtime = Runtime::new().unwrap();
        let (sender, events) = event_channel(None);
        let mut server = ServerSocket::new(&runtime, sender, |_| Greeter::default());
        server.set_port(0);
        let port = server.listen().unwrap().port();
        Self {
            _server: server,
            _runtime: runtime,
            events,
            port,
        }
    }

    /// What each server socket received, until every `expected` text is in one socket's
    /// stream (at most [`test_support::PATIENCE`]). Chunks of different sockets interleave, so
    /// they are kept apart.
    fn received_until(&mut self, expected: &[String]) -> Vec<String> {
        let mut streams: BTreeMap<SocketId, String> = BTreeMap::new();
        let all_in = |streams: &BTreeMap<SocketId, String>| {
            expected
                .iter()
                .all(|e| streams.values().any(|text| text.contains(e.as_str())))
        };
        if !all_in(&streams) {
            let got = test_support::received_within_patience(
                |left| self.events.recv_timeout(left),
                |event| {
                    if let Event::Data { socket, data, .. } = event {
                        let text = String::from_utf8_lossy(&data);
                        streams.entry(socket).or_default().push_str(&text);
                    }
                    all_in(&streams).then_some(())
                },
            );
            assert!(
                got.is_some(),
                "the server never received all of {expected:?}; it got {streams:?}"
            );
        }
        streams.into_values().collect()
    }
}

/// A failed wait shows the window's log.
impl kittest::Window for ClientWindow {
    fn draw(&mut self, ui: &mut egui::Ui) {
        self.ui(ui);
    }

    fn explain(&self) -> String {
        format!("log: {:#?}", self.client.log.lines())
    }
}

/// A TLS server of the seed (a pool of greeters) with a self-signed certificate, on an
/// ephemeral loopback port; its folder of certificates goes with it.
struct TlsServer {
    port: u16,
    /// The certificate's SHA-256 fingerprint.
    fingerprint: String,
    certs: std::path::PathBuf,
    server: ServerSocket,
    _runtime: Runtime,
}

impl TlsServer {
    fn start(name: &str) -> Self {
        let certs = test_support::empty_folder(name);
        let tls = serversocket::tls::ServerTls::self_signed_in(&certs).unwrap();
        let fingerprint = tls.fingerprint().to_owned();
        let runtime = Runtime::new().unwrap();
        let (sender, _events) = event_channel(None);
        let mut server = ServerSocket::new(&runtime, sender, |_| Greeter::default());
        server.set_port(0);
        server.set_tls(Some(std::sync::Arc::new(tls)));
        let port = server.listen().unwrap().port();
        Self {
            port,
            fingerprint,
            certs,
            server,
            _runtime: runtime,
        }
    }

    /// How many connections it accepted so far.
    fn accepted(&self) -> u64 {
        self.server.pool_status().accepted
    }

    /// A client window connecting to it with TLS, trusting as `args` say.
    fn window(&self, args: crate::tls_args::TlsArgs) -> Harness<'static, ClientWindow> {
        let mut harness = window(self.port);
        harness.state_mut().tls = crate::window::tls_setting::TlsSetting::new(
            &crate::window::tls_setting::SavedTls::default(),
            &crate::tls_args::TlsArgs { tls: true, ..args },
        );
        harness
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.certs);
    }
}

/// Ticks "accept any certificate (insecure)", and checks that the window says what that means.
fn accept_any_certificate(harness: &mut Harness<'static, ClientWindow>) {
    harness
        .get_by_label("accept any certificate (insecure)")
        .click();
    harness.run();
    assert!(
        harness
            .query_by_label("INSECURE: the server is not checked")
            .is_some()
    );
}

/// The row of socket `socket` (the test fails if the window has none).
fn client_row(window: &ClientWindow, socket: u64) -> &serversocket_ui::SocketRow {
    window
        .client
        .rows
        .get(SocketId(socket))
        .expect("a row for the socket")
}

/// Whether socket `socket` of the window logged the server's greeting.
fn greeted(window: &ClientWindow, socket: usize) -> bool {
    window
        .client
        .log
        .contains(&format!("Socket {socket}: {SERVER_GREETING}"))
}

fn window(port: u16) -> Harness<'static, ClientWindow> {
    let settings = ClientSettings {
        port: port.to_string(),
        ..ClientSettings::default()
    };
    window_with(kittest::SIZE, settings)
}

/// A window with `settings`, of `size`, in a test harness.
fn window_with(size: egui::Vec2, settings: ClientSettings) -> Harness<'static, ClientWindow> {
    kittest::window(size, ClientWindow::new(settings).unwrap())
}

/// Sets the burst to `count` sockets and clicks "Connect ×count", as a user would.
fn connect_burst(harness: &mut Harness<'static, ClientWindow>, count: usize) {
    harness.state_mut().settings.burst = count;
    harness.step();
    harness.get_by_label(&format!("Connect ×{count}")).click();
}

/// A window of `size` with three sockets connected to `server` and greeted.
fn three_connected(server: &Server, size: egui::Vec2) -> Harness<'static, ClientWindow> {
    greeted_burst(server, size, 3)
}

/// A window of `size` with `count` sockets connected to `server` and greeted.
fn greeted_burst(
    server: &Server,
    size: egui::Vec2,
    count: usize,
) -> Harness<'static, ClientWindow> {
    let settings = ClientSettings {
        port: server.port.to_string(),
        ..ClientSettings::default()
    };
    let mut harness = window_with(size, settings);
    connect_burst(&mut harness, count);
    run_until(&mut harness, "every socket greeted", |w| {
        (0..count).all(|i| greeted(w, i))
    });
    harness.run_steps(3);
    harness
}

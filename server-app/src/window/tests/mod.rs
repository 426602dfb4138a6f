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

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod controls;
mod kernel_and_concepts;
mod listening;
mod log_and_timeline;
mod pipeline_view;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::seed::SERVER_GREETING;
use test_support::kittest;

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
    kittest::harness(
        size,
        ServerWindow::new(settings).unwrap(),
        |ui, window: &mut ServerWindow| window.ui(ui),
    )
}

/// Runs frames until `done` holds (see [`kittest::run_until`]); a failure shows the log.
fn run_until(
    harness: &mut Harness<'_, ServerWindow>,
    what: &str,
    done: impl Fn(&ServerWindow) -> bool,
) {
    kittest::run_until(harness, what, done, |w| {
        format!("log: {:#?}", w.server.log.lines())
    });
}

fn listen(harness: &mut Harness<'_, ServerWindow>) -> SocketAddr {
    harness.get_by_label("Listen").click();
    run_until(harness, "listening", |w| {
        w.server.log.contains("Added Socket")
    });
    harness.state().server.socket.local_address().unwrap()
}

fn greeted_client(address: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(test_support::PATIENCE))
        .unwrap();
    let mut greeting = vec![0; SERVER_GREETING.len()];
    stream.read_exact(&mut greeting).unwrap();
    assert_eq!(greeting, SERVER_GREETING.as_bytes());
    stream
}

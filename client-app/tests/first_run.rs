//! A newcomer's first minute, with both windows in kittest harnesses: fresh settings, click
//! Listen in the server window, click Connect in the client window, and the seed's whole
//! conversation appears in both logs. (The server uses port 0 instead of 2002 so the test
//! cannot collide with a demo running on this machine; the client is told that port, as a
//! user would type it.)

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use client_app::window::{ClientSettings, ClientWindow};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use server_app::window::{ServerSettings, ServerWindow};

#[test]
fn listen_then_connect_holds_the_seed_conversation() {
    let server_settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let mut server = Harness::builder()
        .with_size(egui::vec2(700.0, 720.0))
        .build_ui_state(
            |ui, w: &mut ServerWindow| w.ui(ui),
            ServerWindow::new(server_settings).unwrap(),
        );
    server.step();
    assert!(
        server.query_by_label_contains("click Listen").is_some(),
        "the empty log says what to do"
    );
    server.get_by_label("Listen").click();
    server.step();
    let port = server.state().local_address().expect("listening").port();

    let client_settings = ClientSettings {
        port: port.to_string(),
        ..ClientSettings::default()
    };
    let mut client = Harness::builder()
        .with_size(egui::vec2(700.0, 720.0))
        .build_ui_state(
            |ui, w: &mut ClientWindow| w.ui(ui),
            ClientWindow::new(client_settings).unwrap(),
        );
    client.step();
    assert!(
        client.query_by_label_contains("click Connect").is_some(),
        "the empty log says what to do"
    );
    client.get_by_label("Connect").click();

    let server_lines = [
        "Added Socket",
        "Socket 0 connected.",
        "Socket 0 send complete.",
        "Socket 0 got: Socket 0 connected!",
        " I got something from you.",
    ];
    let client_lines = [
        "Socket 0 connected.",
        "Socket 0: From the server socket, I connected to you.",
        "Socket 0 send complete.",
    ];
    for _ in 0..1500 {
        server.step();
        client.step();
        let server_done = server_lines
            .iter()
            .all(|l| server.state().log().contains(l));
        let client_done = client_lines
            .iter()
            .all(|l| client.state().log().contains(l));
        if server_done && client_done {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let lines = |log: &serversocket_ui::EventLog| -> Vec<String> {
        log.entries().iter().map(|e| e.line.clone()).collect()
    };
    panic!(
        "the conversation did not complete; server: {:#?} client: {:#?}",
        lines(server.state().log()),
        lines(client.state().log())
    );
}

//! A newcomer's first minute, with both windows in kittest harnesses: fresh settings, click
//! Listen in the server window, click Connect in the client window, and the seed's whole
//! conversation appears in both logs. (The server uses port 0 instead of 2002 so the test
//! cannot collide with a demo running on this machine; the client is told that port, as a
//! user would type it.)

use client_app::window::{ClientSettings, ClientWindow};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use server_app::window::{ServerSettings, ServerWindow};
use test_support::kittest;
use test_support::kittest::shows;

/// Both windows side by side on a small screen.
const SIZE: egui::Vec2 = egui::vec2(700.0, 720.0);

/// `window` drawn by `ui` in a harness of [`SIZE`], one frame in: its empty log says what to
/// do first (`hint`).
fn fresh<W: 'static>(
    window: W,
    mut ui: impl FnMut(&mut W, &mut egui::Ui) + 'static,
    hint: &str,
) -> Harness<'static, W> {
    let mut harness = kittest::harness(SIZE, window, move |egui_ui, window: &mut W| {
        ui(window, egui_ui);
    });
    harness.step();
    assert!(shows(&harness, hint), "the empty log says what to do");
    harness
}

#[test]
fn listen_then_connect_holds_the_seed_conversation() {
    let server_settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let server_window = ServerWindow::new(server_settings).unwrap();
    let mut server = fresh(server_window, ServerWindow::ui, "click Listen");
    server.get_by_label("Listen").click();
    server.step();
    let port = server.state().local_address().expect("listening").port();

    let client_settings = ClientSettings {
        port: port.to_string(),
        ..ClientSettings::default()
    };
    let client_window = ClientWindow::new(client_settings).unwrap();
    let mut client = fresh(client_window, ClientWindow::ui, "click Connect");
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
    let held = kittest::frames_until(|| {
        server.step();
        client.step();
        server_lines
            .iter()
            .all(|l| server.state().log().contains(l))
            && client_lines
                .iter()
                .all(|l| client.state().log().contains(l))
    });
    assert!(
        held,
        "the conversation did not complete; server: {:#?} client: {:#?}",
        server.state().log().lines(),
        client.state().log().lines()
    );
}

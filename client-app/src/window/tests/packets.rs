//! The Packets window over real loopback sockets, captured (as root, as CI runs): Capture
//! packets on, Connect; the selected socket's handshake and greeting are drawn beside its
//! events.

use egui_kittest::kittest::Queryable;
use serversocket::SocketId;

use super::{Server, run_until, window};
use test_support::kittest::click;

#[test]
fn the_packets_window_draws_the_connection_of_the_selected_socket() {
    let server = Server::start();
    let mut harness = window(server.port);
    click(&mut harness, "Packets");
    click(&mut harness, "Capture packets");
    assert!(
        harness.state().packets.problem().is_none(),
        "this test captures packets and needs CAP_NET_RAW (CI runs as root): {:?}",
        harness.state().packets.problem()
    );
    // Closed again so it covers no button; capturing goes on.
    click(&mut harness, "Packets");
    assert!(!harness.state().packets_window.open, "the toggle closed it");
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "the greeting's segment captured", |w| {
        w.packets
            .of_socket(SocketId(0))
            .iter()
            .any(|seen| seen.segment.len == 43)
    });
    harness.state_mut().log_view.toggle_socket(SocketId(0));
    click(&mut harness, "Packets");
    for drawn in test_support::kittest::HANDSHAKE_DRAWN {
        harness.get_by_label(drawn);
    }
    drop(server);
}

/// A connection made before Capture packets was turned on is its socket's all the same (no
/// Connected comes for it again, and a client keeps only the connections it can tie).
#[test]
fn a_connection_made_before_the_capture_is_tied_to_its_socket() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.state_mut().settings.reply = false;
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "connected", |w| {
        w.client.rows.count(serversocket_ui::RowState::Connected) == 1
    });
    click(&mut harness, "Packets");
    click(&mut harness, "Capture packets");
    click(&mut harness, "Packets");
    harness.get_by_label("Send:").click();
    harness.get_by_label("Send:").type_text("after");
    harness.step();
    harness.get_by_label("Send to sockets").click();
    run_until(&mut harness, "the send's segment captured", |w| {
        w.packets
            .of_socket(SocketId(0))
            .iter()
            .any(|seen| seen.segment.len == 5)
    });
    drop(server);
}

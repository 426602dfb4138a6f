//! What the kernel holds (the accept queue beyond Max or while paused, TIME_WAIT after the
//! server closes first), a TLS handshake under way, and the concepts panel that names them.

use std::io::Read;
use std::net::TcpStream;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use serversocket_ui::RowState;
use test_support::kittest;

use super::{listen, run_until, serving_one_client, window, with_a_greeted_client};
use crate::window::ServerWindow;
use test_support::kittest::shows;

#[test]
fn the_concepts_panel_points_at_the_idle_sockets_and_closes() {
    let mut harness = window(2, 10);
    listen(&mut harness);
    run_until(&mut harness, "two idle", |w| {
        w.server.socket.pool_status().idle.len() == 2
    });
    assert!(
        harness.query_by_label("The pool and AddSocket").is_none(),
        "closed at first"
    );
    kittest::open_concepts(&mut harness, &["The pool and AddSocket"]);
    assert!(
        harness
            .query_by_label("Now: sockets 0 and 1 are idle in the pool (their tiles say idle).")
            .is_some()
    );
    run_until(&mut harness, "the first accept queue sample", |w| {
        w.server.kernel.queue().is_some() || w.server.kernel.unavailable().is_some()
    });
    harness.get_by_label("Accept queue and backlog").click();
    harness.run_steps(3);
    let capacity = harness.state().server.kernel.queue().map(|q| q.capacity);
    if let Some(capacity) = capacity {
        let now = format!(
            "Now: 0 waiting of a capacity of {capacity} (the pool accepts at once); the purple tiles."
        );
        assert!(harness.query_by_label(&now).is_some(), "{now}");
    }
    // Why a few clients of a burst hang against naive mode: the kernel, in plain words (the
    // accept queue's concept folded again, so the floating window has room for it).
    harness.get_by_label("Accept queue and backlog").click();
    // One click a frame: a folded header moves the ones below it.
    harness.run_steps(2);
    harness.get_by_label("The pool and AddSocket").click();
    harness.run_steps(2);
    harness.get_by_label("Naive mode").click();
    harness.run_steps(3);
    assert!(shows(
        &harness,
        "with a SYN cookie, lets a client believe it is connected"
    ),);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(3);
    assert!(harness.query_by_label("The pool and AddSocket").is_none());
    assert!(!harness.state().settings.show_concepts);
}

#[cfg(target_os = "linux")]
#[test]
fn clients_beyond_max_show_as_waiting_in_the_kernels_accept_queue_until_resumed() {
    let mut harness = window(1, 2);
    let address = listen(&mut harness);
    harness.get_by_label("Kernel queue").click();
    harness.run_steps(2);
    harness.get_by_label("Pause accepting").click();
    harness.run_steps(2);
    assert!(harness.state().server.socket.is_accepting_paused());
    let clients: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(address).unwrap())
        .collect();
    run_until(&mut harness, "3 waiting", |w| {
        w.server.kernel.queue().is_some_and(|q| q.waiting == 3)
    });
    let capacity = harness
        .state()
        .server
        .kernel
        .queue()
        .map_or(0, |q| q.capacity);
    assert!(
        harness
            .query_by_label(&format!("3\u{a0}waiting (capacity\u{a0}{capacity})"))
            .is_some()
    );
    assert!(
        harness
            .state()
            .server
            .socket
            .pool_status()
            .connected
            .is_empty()
    );
    // Resumed, the pool takes two (its Max); the third waits on.
    harness.get_by_label("Pause accepting").click();
    run_until(&mut harness, "1 waiting", |w| {
        w.server.kernel.queue().is_some_and(|q| q.waiting == 1)
    });
    assert_eq!(
        harness.state().server.socket.pool_status().connected.len(),
        2
    );
    drop(clients);
}

/// After the server closed socket 0 first: `client` reads to the end and leaves (answering the
/// server's FIN with its own), and frames run until socket 0's row is closed with its
/// connection in the kernel's TIME_WAIT.
fn into_time_wait(harness: &mut Harness<'static, ServerWindow>, mut client: TcpStream) {
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    drop(client);
    run_until(harness, "socket 0 closed and in TIME_WAIT", |w| {
        w.server.rows.get(SocketId(0)).is_some_and(|row| {
            row.state == RowState::Closed
                && row
                    .kernel
                    .is_some_and(|view| view.state == serversocket_kernel::TcpState::TimeWait)
        })
    });
}

/// A window (Min 1, Max 5) that served one client and disconnected it (Disconnect: the server
/// closed first), run until socket 0's connection is in the kernel's TIME_WAIT.
fn disconnected_into_time_wait() -> Harness<'static, ServerWindow> {
    let (mut harness, client) = serving_one_client(1, 5);
    harness.step();
    harness.get_by_label("Disconnect").click();
    run_until(&mut harness, "socket 0 closed", |w| {
        w.server.log.contains("Socket 0 closed.")
    });
    into_time_wait(&mut harness, client);
    harness
}

#[cfg(target_os = "linux")]
#[test]
fn a_socket_the_server_closed_first_follows_its_connection_into_time_wait() {
    let (mut harness, client) = with_a_greeted_client(1, 4);
    run_until(&mut harness, "socket 0 established in the kernel", |w| {
        w.server
            .rows
            .get(SocketId(0))
            .and_then(|row| row.kernel)
            .is_some_and(|view| view.state == serversocket_kernel::TcpState::Established)
    });
    harness.get_by_label("Disconnect").click();
    run_until(&mut harness, "socket 0 closed", |w| {
        w.server.rows.state_of(SocketId(0)) == Some(RowState::Closed)
    });
    into_time_wait(&mut harness, client);
}

/// The server closes first (Disconnect), so its side of the connection waits out TIME_WAIT:
/// the closed socket's row stays in Active connections with the kernel's TIME_WAIT, and the
/// concepts panel's TIME_WAIT entry names it, from the kernel's view rather than a count.
#[test]
fn a_connection_the_server_closed_first_stays_in_its_table_through_time_wait() {
    let mut harness = disconnected_into_time_wait();
    harness.run_steps(2);
    kittest::assert_shown(
        &harness,
        &[
            (
                "TIME_WAIT",
                "the closed socket's row shows the kernel's TIME_WAIT",
            ),
            (
                "Disconnect",
                "socket 0's row is still in Active connections",
            ),
        ],
    );
    harness.get_by_label("Concepts").click();
    harness.run_steps(2);
    // The concept's header, not the table's TIME_WAIT cell.
    harness
        .get_by_role_and_label(egui::accesskit::Role::DisclosureTriangle, "TIME_WAIT")
        .click();
    harness.run_steps(3);
    assert!(shows(
        &harness,
        "Now: the kernel holds socket 0's connection in TIME_WAIT: this server closed first."
    ));
}

/// The connected sockets come first in Active connections, the closed ones the kernel still
/// keeps after them: after Disconnect all, the closed rows filled the view and the sockets
/// then serving were below them, out of sight.
#[test]
fn connected_sockets_come_before_closed_ones_in_the_table() {
    use egui_kittest::kittest::NodeT as _;
    let mut harness = disconnected_into_time_wait();
    let address = harness
        .state()
        .server
        .socket
        .pool_status()
        .listening
        .unwrap();
    let _second = TcpStream::connect(address).unwrap();
    run_until(&mut harness, "a second socket connected", |w| {
        w.server.rows.count(RowState::Connected) == 1
    });
    harness.run_steps(2);
    let tops = |disabled: bool| -> Vec<f32> {
        harness
            .query_all_by_label("Disconnect")
            .filter(|button| button.accesskit_node().is_disabled() == disabled)
            .map(|button| button.rect().top())
            .collect()
    };
    let (connected, closed) = (tops(false), tops(true));
    assert_eq!(
        (connected.len(), closed.len()),
        (1, 1),
        "{connected:?} {closed:?}"
    );
    assert!(
        connected[0] < closed[0],
        "the connected row ({connected:?}) above the closed one ({closed:?})"
    );
}

/// The window (Min 2, Max 10) with TLS on, from the certificate and key files a self-signed
/// identity wrote in `certs` (`tls-cert.pem`, `tls-key.pem`).
fn window_with_tls_files(certs: &std::path::Path) -> Harness<'static, ServerWindow> {
    let mut harness = window(2, 10);
    harness.state_mut().tls = crate::window::tls_setting::TlsSetting::new(
        &crate::window::tls_setting::SavedTls::default(),
        &crate::tls_args::TlsArgs {
            tls: true,
            cert: Some(certs.join("tls-cert.pem")),
            key: Some(certs.join("tls-key.pem")),
        },
    );
    harness
}

/// A key file other users can read still serves (the user chose it), and the window says so
/// in the words `--key` prints, beside the fingerprint.
#[cfg(unix)]
#[test]
fn a_key_file_other_users_can_read_is_warned_of_beside_the_fingerprint() {
    use std::os::unix::fs::PermissionsExt as _;

    let certs = test_support::empty_folder("server-window-tls-open-key");
    serversocket::tls::ServerTls::self_signed_in(&certs).unwrap();
    let key = certs.join("tls-key.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut harness = window_with_tls_files(&certs);
    listen(&mut harness);
    harness.step();
    let warning = format!(
        "warning: the key {} can be read by other users of this machine (mode 644): run `chmod 600 {}`",
        key.display(),
        key.display()
    );
    assert!(
        harness.query_by_label(&warning).is_some(),
        "the window warns: {warning}"
    );
    assert!(
        harness.query_by_label_contains("SHA-256 ").is_some(),
        "and serves with the certificate"
    );
}

#[test]
fn with_tls_a_client_is_handshaking_in_its_own_colour_then_connected_with_its_protocol() {
    let certs = test_support::empty_folder("server-window-tls");
    let made = serversocket::tls::ServerTls::self_signed_in(&certs).unwrap();
    let mut harness = window_with_tls_files(&certs);
    let address = listen(&mut harness);
    harness.step();
    assert!(
        harness
            .query_by_label(&format!("SHA-256 {}…", &made.fingerprint()[..16]))
            .is_some(),
        "the fingerprint is shown"
    );
    assert!(
        harness.query_by_label("Copy").is_some(),
        "with a copy button"
    );

    // A client that says nothing: TCP is up, the handshake waits for its first message.
    let _silent = TcpStream::connect(address).unwrap();
    run_until(&mut harness, "handshaking", |w| {
        w.server.rows.count(RowState::Handshaking) == 1
    });
    harness.step();
    assert!(
        harness
            .query_by_label("Socket 0 tile: handshaking")
            .is_some()
    );

    // A TLS client that pins the certificate is connected, and its row shows the protocol.
    let runtime = serversocket::Runtime::new().unwrap();
    let (events, _receiver) = serversocket::event_channel(None);
    let trust = serversocket::tls::Trust::pin(made.fingerprint()).unwrap();
    let _client = serversocket::TcpSocket::builder("127.0.0.1", address.port())
        .timeout(test_support::PATIENCE)
        .tls(std::sync::Arc::new(
            serversocket::tls::ClientTls::new(trust).unwrap(),
        ))
        .connect(
            &runtime,
            &serversocket::SocketIds::new(),
            serversocket::Passive,
            events,
        );
    run_until(&mut harness, "the TLS client connected", |w| {
        w.server
            .rows
            .get(SocketId(1))
            .is_some_and(|row| row.state == RowState::Connected && row.tls.is_some())
    });
    harness.step();
    assert!(
        harness.query_by_label("TLS1.3").is_some(),
        "the protocol in the row"
    );
    // The concepts panel explains the handshake among the others.
    harness.state_mut().settings.show_concepts = true;
    harness.run();
    assert!(harness.query_by_label("TLS handshake").is_some());
    assert!(harness.query_by_label("close_notify").is_some());
    let _ = std::fs::remove_dir_all(&certs);
}

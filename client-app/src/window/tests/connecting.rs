//! Connecting: one socket or a burst, "at once", refused ports and unknown hosts, a naive
//! server's losses, a connect waiting in the server's accept queue, TLS pins and the insecure
//! choice, and the keyboard shortcuts.

use std::net::TcpListener;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::seed::{CLIENT_REPLY, Greeter, SERVER_GREETING, client_hello};
use serversocket::{Runtime, SocketId, event_channel};
use serversocket_ui::RowState;
use test_support::kittest;

use super::{
    Server, accept_any_certificate, client_row, connect_burst, greeted, run_until, window,
};
use test_support::kittest::click;
use test_support::kittest::shows;

#[test]
fn three_connects_make_three_connected_rows_each_greeted_and_the_seed_conversation() {
    let mut server = Server::start();
    let mut harness = window(server.port);
    for _ in 0..3 {
        harness.get_by_label("Connect").click();
        harness.step();
    }
    run_until(&mut harness, "three greetings", |w| {
        (0..3).all(|i| greeted(w, i))
    });
    let window = harness.state();
    assert_eq!(window.client.rows.count(RowState::Connected), 3);
    assert_eq!(window.client.rows.len(), 3);
    // The server got each socket's hello and reply: the seed's conversation.
    let conversations: Vec<String> = (0..3)
        .map(|index| format!("{}{CLIENT_REPLY}", client_hello(index)))
        .collect();
    let received = server.received_until(&conversations);
    assert_eq!(
        received.len(),
        3,
        "one server socket per client socket: {received:?}"
    );
    harness.step();
    assert_eq!(
        harness.query_all_by_label("connected").count(),
        3,
        "three rows say connected"
    );
}

#[test]
fn send_from_the_selected_sockets_details_arrives_at_the_server_and_close_closes_it() {
    let mut server = Server::start();
    let mut harness = window(server.port);
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "connected", |w| {
        w.client.log.contains("Socket 0 connected.")
    });
    harness.step();
    // The row is named by the client's own port, the one the server sees as its peer's.
    let port = client_row(harness.state(), 0).local.unwrap().port();
    harness.get_by_label(&format!("0 · client :{port}")).click();
    harness.run_steps(2);
    assert!(
        shows(&harness, &format!("Socket 0 · client :{port}")),
        "the details pane"
    );
    harness.get_by_label("Text for socket 0").click();
    harness
        .get_by_label("Text for socket 0")
        .type_text(r"typed in a row\x21\n");
    harness.step();
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Send")
        .click();
    harness.step();
    // The send box's escapes: a line-based peer gets its line (the text went out as typed).
    server.received_until(&["typed in a row!\n".to_owned()]);

    harness.get_by_label("Close").click();
    run_until(&mut harness, "closed", |w| {
        w.client.log.contains("Socket 0 closed.")
    });
    assert_eq!(client_row(harness.state(), 0).state, RowState::Closed);
    harness.get_by_label("Remove closed").click();
    harness.step();
    assert!(harness.state().client.rows.is_empty());
    assert!(harness.state().client.sockets.is_empty());
}

#[test]
fn a_refused_port_and_an_unknown_host_show_their_errors_with_codes() {
    let free_port = test_support::free_port();
    let mut harness = window(free_port);
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "refused", |w| {
        w.client
            .log
            .contains("Socket 0: Error = 102 (connection refused)")
    });
    harness.state_mut().settings.address = "no-such-host.invalid".to_owned();
    harness.step();
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "unknown host", |w| {
        w.client
            .log
            .contains("Socket 1: Error = 103 (name resolution failed)")
    });
    harness.step();
    assert_eq!(harness.state().client.rows.count(RowState::Failed), 2);
    assert_eq!(
        harness.state().client.rows.refused(),
        1,
        "only the first was refused"
    );
    for chip in ["2 failed", "1 refused", "0 dropped unserved"] {
        assert!(
            harness.query_by_label(chip).is_some(),
            "the status chip {chip}"
        );
    }
    assert!(
        harness
            .query_by_label("Error 102 (connection refused)")
            .is_some(),
        "row 0 says why"
    );
    assert!(
        harness
            .query_by_label("Error 103 (name resolution failed)")
            .is_some(),
        "row 1 says why"
    );
}

#[test]
fn a_bad_port_is_explained_and_connect_is_off() {
    let mut harness = window(2002);
    harness.state_mut().settings.port = "0".to_owned();
    harness.step();
    assert!(shows(&harness, "a client must name one"));
    harness.get_by_label("Connect").click();
    harness.run_steps(2);
    assert!(harness.state().client.sockets.is_empty());
}

#[test]
fn connect_times_n_opens_a_burst_served_in_full_by_the_pool() {
    let server = Server::start();
    let mut harness = window(server.port);
    connect_burst(&mut harness, 10);
    run_until(&mut harness, "ten greetings", |w| {
        (0..10).all(|i| greeted(w, i))
    });
    assert_eq!(harness.state().client.rows.count(RowState::Failed), 0);
}

#[test]
fn the_logging_toggles_silence_their_lines_but_not_the_rows() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.get_by_label("SendComplete").click();
    harness.step();
    assert!(!harness.state().settings.log_send_complete);
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "the greeting", |w| {
        w.client.log.contains(SERVER_GREETING)
    });
    run_until(&mut harness, "the reply sent", |w| {
        w.client
            .rows
            .get(SocketId(0))
            .is_some_and(|row| row.bytes_out > 0)
    });
    assert!(!harness.state().client.log.contains("send complete"));
}

#[test]
fn keyboard_shortcuts_connect_one_or_a_burst_and_clear_the_log() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.state_mut().settings.burst = 3;
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    run_until(&mut harness, "one socket", |w| greeted(w, 0));
    assert_eq!(harness.state().client.sockets.len(), 1);
    harness.key_press_modifiers(
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
        egui::Key::N,
    );
    // Every socket of the burst is greeted before the log is cleared: a greeting that came
    // after Ctrl+K would be a new line, not one the clear missed.
    run_until(&mut harness, "the burst", |w| {
        (1..=3).all(|n| {
            w.client
                .log
                .contains(&format!("Socket {n}: {SERVER_GREETING}"))
        })
    });
    assert_eq!(
        harness.state().client.sockets.len(),
        4,
        "Ctrl+Shift+N opened 3, not 3 + 1"
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    harness.step();
    assert!(
        !harness.state().client.log.contains(SERVER_GREETING),
        "Ctrl+K cleared the log"
    );
}

#[test]
fn a_naive_burst_shows_its_losses_refused_or_dropped_unserved() {
    let runtime = Runtime::new().unwrap();
    let (events, _receiver) = event_channel(None);
    // Its gap outlasts the test: once its single socket took the first client, nothing listens,
    // so exactly one client is served whatever the timing. (With a short gap how many are lost
    // depends on where each SYN retry falls, and sometimes none is.)
    let (naive, address) = serversocket::naive::NaiveServer::listen(
        &runtime,
        events,
        "127.0.0.1:0".parse().unwrap(),
        Duration::from_secs(3600),
        |_| Greeter::default(),
    )
    .unwrap();
    let mut harness = window(address.port());
    connect_burst(&mut harness, 20);
    run_until(&mut harness, "every socket settled", |w| {
        w.client.rows.count(RowState::Connecting) == 0
            && w.client.rows.count(RowState::Connected) + w.client.rows.count(RowState::Failed)
                == 20
            && w.client
                .rows
                .iter()
                .filter(|row| row.state == RowState::Connected)
                .all(|row| row.bytes_in > 0)
    });
    let window = harness.state();
    let lost = window.client.rows.refused() + window.client.rows.dropped_unserved();
    assert_eq!(
        window.client.rows.count(RowState::Connected),
        1,
        "one served"
    );
    assert_eq!(lost, 19, "the rest refused or dropped unserved");
    assert_eq!(lost, window.client.rows.count(RowState::Failed));
    assert_eq!(window.timeline().total(crate::window::FAILED), lost as u64);
    drop(naive);
}

/// "at once" 1: Connect ×3 starts each socket only once the one before it has failed.
#[test]
fn connects_beyond_at_once_wait_for_the_ones_under_way() {
    let free_port = test_support::free_port();
    let mut harness = window(free_port);
    harness.state_mut().settings.burst = 3;
    harness.state_mut().settings.in_flight = 1;
    harness.step();
    harness.get_by_label("Connect ×3").click();
    run_until(&mut harness, "three closed", |w| {
        w.client.log.contains("Socket 2 closed.")
    });
    let lines: Vec<String> = harness
        .state()
        .client
        .log
        .entries()
        .iter()
        .map(|e| e.line.clone())
        .collect();
    let position = |wanted: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(wanted))
            .unwrap_or_else(|| panic!("no {wanted:?} in {lines:#?}"))
    };
    for socket in 1..3 {
        assert!(
            position(&format!("Socket {} closed.", socket - 1))
                < position(&format!("Socket {socket} connecting")),
            "{lines:#?}"
        );
    }
}

/// The window's "at once" field holds only what `--in-flight` accepts.
#[test]
fn at_once_stays_within_the_command_lines_bounds() {
    let mut harness = window(2002);
    for (set, kept) in [(0, 1), (5000, serversocket::bounds::IN_FLIGHT_CEILING)] {
        harness.state_mut().settings.in_flight = set;
        harness.run_steps(2);
        assert_eq!(harness.state().settings.in_flight, kept);
        assert!(harness.state().settings.validated_in_flight().is_ok());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_client_waiting_in_the_servers_accept_queue_is_told_apart_until_accepted() {
    // A listener that accepts only when told: the client's connect completes in its kernel.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut harness = window(listener.local_addr().unwrap().port());
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "in the accept queue", |w| {
        w.client
            .rows
            .get(SocketId(0))
            .is_some_and(serversocket_ui::kernel_view::in_accept_queue)
    });
    harness.step();
    assert!(harness.query_by_label("in accept queue").is_some());
    // The chips count what the rows show: not connected yet, waiting in the queue.
    assert!(harness.query_by_label("0 connected").is_some());
    assert!(harness.query_by_label("1 in accept queue").is_some());
    // Selected, its details say so too (their header said "connected").
    harness.state_mut().log_view.toggle_socket(SocketId(0));
    harness.run_steps(2);
    assert_eq!(
        harness.query_all_by_label("in accept queue").count(),
        2,
        "the row and the details"
    );
    assert!(harness.query_by_label("connected").is_none());
    harness.state_mut().log_view.toggle_socket(SocketId(0));
    harness.run_steps(2);
    let (_accepted, _) = listener.accept().unwrap();
    run_until(&mut harness, "accepted by the server", |w| {
        w.client
            .rows
            .get(SocketId(0))
            .and_then(|row| row.kernel)
            .is_some_and(|view| view.peer_accepted == Some(true))
    });
    harness.step();
    assert!(harness.query_by_label("in accept queue").is_none());
    assert!(harness.query_by_label("1 connected").is_some());
    assert!(!shows(&harness, "in accept queue"));
    assert_eq!(client_row(harness.state(), 0).state, RowState::Connected);
}

/// A secure client whose server's kernel holds it unaccepted is in the accept queue too, its
/// TLS hello waiting with it: the row said "handshaking", no chip counted it, and it failed
/// after the handshake timeout saying the server did not answer.
#[cfg(target_os = "linux")]
#[test]
fn a_secure_client_waiting_in_the_servers_accept_queue_is_told_apart() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut harness = window(listener.local_addr().unwrap().port());
    harness.state_mut().tls = crate::window::tls_setting::TlsSetting::new(
        &crate::window::tls_setting::SavedTls::default(),
        &crate::tls_args::TlsArgs {
            tls: true,
            tls_insecure: true,
            ..crate::tls_args::TlsArgs::default()
        },
    );
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "in the accept queue", |w| {
        w.client
            .rows
            .get(SocketId(0))
            .is_some_and(serversocket_ui::kernel_view::in_accept_queue)
    });
    assert_eq!(client_row(harness.state(), 0).state, RowState::Handshaking);
    harness.step();
    assert!(harness.query_by_label("in accept queue").is_some());
    assert!(harness.query_by_label("1 in accept queue").is_some());
    assert!(harness.query_by_label("0 connecting").is_some());
    assert!(harness.query_by_label("0 connected").is_some());
    drop(listener);
}

#[test]
fn a_tls_connect_with_a_wrong_pin_fails_saying_so_and_accepting_any_certificate_is_marked_insecure()
{
    let server = super::TlsServer::start("client-window-tls");
    let mut harness = server.window(crate::tls_args::TlsArgs {
        pin: Some("00".repeat(32)),
        ..crate::tls_args::TlsArgs::default()
    });
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "the handshake refused", |w| {
        w.client.rows.state_of(SocketId(0)) == Some(RowState::Failed)
    });
    assert_eq!(
        client_row(harness.state(), 0).last_error,
        Some((102, "TLS: pin mismatch"))
    );

    accept_any_certificate(&mut harness);
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "connected over TLS", |w| {
        w.client.rows.get(SocketId(1)).is_some_and(|row| {
            row.state == RowState::Connected && row.bytes_in >= SERVER_GREETING.len() as u64
        })
    });

    // The concepts panel's TLS part points at that handshake and at the insecure choice.
    let protocol = client_row(harness.state(), 1).tls.clone().unwrap().protocol;
    kittest::open_concepts(&mut harness, &["TLS handshake", "Certificate check"]);
    assert!(
        harness
            .query_by_label_contains("Now: socket 1's handshake took")
            .and_then(|line| line.value())
            .is_some_and(|text| text.contains(protocol.as_str())),
        "the handshake's line names socket 1 and its protocol {protocol}"
    );
    assert!(shows(
        &harness,
        "Now: any certificate is accepted (insecure)"
    ));
}

#[test]
fn a_close_by_the_server_is_drawn_as_the_normal_end_and_keeps_the_seeds_line() {
    use std::io::Write as _;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut harness = window(listener.local_addr().unwrap().port());
    harness.get_by_label("Connect").click();
    harness.run_steps(2);
    let (mut accepted, _) = listener.accept().unwrap();
    accepted.write_all(b"bye\r\n").unwrap();
    // The server closes in good order: its FIN, after reading all the client wrote (unread
    // bytes would make the kernel reset the connection instead).
    accepted.shutdown(std::net::Shutdown::Write).unwrap();
    accepted
        .set_read_timeout(Some(test_support::PATIENCE))
        .unwrap();
    let mut leftover = Vec::new();
    std::io::Read::read_to_end(&mut accepted, &mut leftover).expect("the client's close");
    run_until(&mut harness, "socket 0 closed", |w| {
        w.client.rows.state_of(SocketId(0)) == Some(RowState::Closed)
    });
    harness.run();
    assert!(harness.query_by_label("closed by the server").is_some());
    let log = harness.state().client.log.entries();
    let error = log
        .iter()
        .find(|entry| matches!(entry.event, serversocket::Event::Error { .. }))
        .expect("the seed's Error 102 is still logged");
    assert!(
        error.line.contains("Error = 102 (lost connection)"),
        "{}",
        error.line
    );
    assert!(
        !error.is_error(),
        "drawn in the log's neutral colour, not red"
    );
}

/// A window connected with TLS on, trusting the system's roots only, to `server`'s
/// self-signed certificate: refused, and offering to trust it.
fn refused_with_an_offer(
    server: &super::TlsServer,
) -> Harness<'static, crate::window::ClientWindow> {
    let mut harness = server.window(crate::tls_args::TlsArgs::default());
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "the unknown CA refused", |w| {
        w.client
            .rows
            .get(SocketId(0))
            .is_some_and(|row| row.last_error == Some((102, "TLS: unknown CA")))
    });
    // The window shows the certificate the server presented, as ssh shows a host key.
    run_until(
        &mut harness,
        "the presented certificate's fingerprint",
        |w| {
            w.trust_offer
                .as_ref()
                .and_then(super::super::trust_offer::TrustOffer::fingerprint)
                .is_some()
        },
    );
    harness
}

/// Clicks Connect and waits until `socket` is connected over TLS.
fn connect_over_tls(harness: &mut Harness<'static, crate::window::ClientWindow>, socket: SocketId) {
    harness.get_by_label("Connect").click();
    run_until(harness, "connected over TLS", |w| {
        w.client
            .rows
            .get(socket)
            .is_some_and(|row| row.state == RowState::Connected && row.tls.is_some())
    });
}

/// A handshake that succeeds another way ("accept any certificate") takes the offer away: it
/// stayed, saying the certificate was not trusted, beside a secure socket.
#[test]
fn a_secure_connect_takes_the_trust_offer_away() {
    let server = super::TlsServer::start("client-window-offer-gone");
    let mut harness = refused_with_an_offer(&server);
    accept_any_certificate(&mut harness);
    connect_over_tls(&mut harness, SocketId(1));
    harness.run_steps(2);
    assert!(harness.state().trust_offer.is_none());
}

#[test]
fn a_certificate_of_an_unknown_ca_is_offered_for_trust_and_trusting_it_connects() {
    let server = super::TlsServer::start("client-window-offer");
    let presented = server.fingerprint.clone();
    // TLS on, trusting the system's roots only: the self-signed certificate is refused.
    let mut harness = refused_with_an_offer(&server);
    let offered = harness
        .state()
        .trust_offer
        .as_ref()
        .and_then(|offer| offer.fingerprint().map(str::to_owned));
    assert_eq!(offered.as_deref(), Some(presented.as_str()));
    assert_eq!(
        server.accepted(),
        1,
        "read from the refused handshake: the server saw no second connection"
    );
    harness.run();
    assert!(shows(&harness, &format!("SHA-256 {}…", &presented[..16])));
    click(&mut harness, "Trust this certificate");
    assert!(harness.state().trust_offer.is_none());

    // Pinned, the next socket connects over TLS.
    connect_over_tls(&mut harness, SocketId(1));
}

/// A lesson started again (Start, Reset, or a step's Close all) closes and forgets every
/// socket; what those sockets still report (an error on its way as they closed) is the old
/// run's, and does not count in the new one (lesson 4's count of failures was one too many
/// when a failure of the burst before a Reset arrived after it).
#[test]
fn a_lesson_does_not_hear_the_sockets_a_fresh_start_forgot() {
    let server = Server::start();
    let mut harness = super::three_connected(&server, kittest::SIZE);
    assert!(!harness.state().client.rows.forgot(SocketId(2)));
    crate::window::lessons::apply(
        harness.state_mut(),
        &serversocket_lessons::Settings {
            close_all: Some(true),
            ..serversocket_lessons::Settings::default()
        },
    );
    let rows = &harness.state().client.rows;
    assert!(rows.forgot(SocketId(2)), "a socket the fresh start forgot");
    assert!(!rows.forgot(SocketId(3)), "the first socket of the new run");
}

//! The client window driven as a user would, with egui_kittest, against a real ServerSocket
//! from the library on an ephemeral loopback port.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::seed::{CLIENT_REPLY, Greeter, SERVER_GREETING, client_hello};
use serversocket::{Event, EventReceiver, Runtime, ServerSocket, SocketId, event_channel};
use serversocket_ui::RowState;
use test_support::kittest;
use test_support::kittest::MemoryStorage;

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
    /// stream (at most 15 s). Chunks of different sockets interleave, so they are kept apart.
    fn received_until(&self, expected: &[String]) -> Vec<String> {
        let mut streams: BTreeMap<SocketId, String> = BTreeMap::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while !expected
            .iter()
            .all(|e| streams.values().any(|text| text.contains(e.as_str())))
        {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.events.recv_timeout(left) {
                Some(Event::Data { socket, data, .. }) => {
                    let text = String::from_utf8_lossy(&data);
                    streams.entry(socket).or_default().push_str(&text);
                }
                Some(_) => {}
                None => panic!("the server never received all of {expected:?}; it got {streams:?}"),
            }
        }
        streams.into_values().collect()
    }
}

fn window(port: u16) -> Harness<'static, ClientWindow> {
    let settings = ClientSettings {
        port: port.to_string(),
        ..ClientSettings::default()
    };
    kittest::harness(
        kittest::SIZE,
        ClientWindow::new(settings).unwrap(),
        |ui, window: &mut ClientWindow| window.ui(ui),
    )
}

/// Runs frames until `done` holds (see [`kittest::run_until`]); a failure shows the log.
fn run_until(
    harness: &mut Harness<'_, ClientWindow>,
    what: &str,
    done: impl Fn(&ClientWindow) -> bool,
) {
    kittest::run_until(harness, what, done, |w| {
        format!("log: {:#?}", w.client.log.lines())
    });
}

#[test]
fn three_connects_make_three_connected_rows_each_greeted_and_the_seed_conversation() {
    let server = Server::start();
    let mut harness = window(server.port);
    for _ in 0..3 {
        harness.get_by_label("Connect").click();
        harness.step();
    }
    run_until(&mut harness, "three greetings", |w| {
        (0..3).all(|i| {
            w.client
                .log
                .contains(&format!("Socket {i}: {SERVER_GREETING}"))
        })
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
    let server = Server::start();
    let mut harness = window(server.port);
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "connected", |w| {
        w.client.log.contains("Socket 0 connected.")
    });
    harness.step();
    // The row is named by the client's own port, the one the server sees as its peer's.
    let port = harness
        .state()
        .client
        .rows
        .get(SocketId(0))
        .unwrap()
        .local
        .unwrap()
        .port();
    harness.get_by_label(&format!("0 · client :{port}")).click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains(&format!("Socket 0 · client :{port}"))
            .is_some(),
        "the details pane"
    );
    harness.get_by_label("Text for socket 0").click();
    harness
        .get_by_label("Text for socket 0")
        .type_text("typed in a row");
    harness.step();
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Send")
        .click();
    harness.step();
    server.received_until(&["typed in a row".to_owned()]);

    harness.get_by_label("Close").click();
    run_until(&mut harness, "closed", |w| {
        w.client.log.contains("Socket 0 closed.")
    });
    assert_eq!(
        harness.state().client.rows.get(SocketId(0)).unwrap().state,
        RowState::Closed
    );
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
    assert!(
        harness
            .query_by_label_contains("a client must name one")
            .is_some()
    );
    harness.get_by_label("Connect").click();
    harness.run_steps(2);
    assert!(harness.state().client.sockets.is_empty());
}

#[test]
fn connect_times_n_opens_a_burst_served_in_full_by_the_pool() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.state_mut().settings.burst = 10;
    harness.step();
    harness.get_by_label("Connect ×10").click();
    run_until(&mut harness, "ten greetings", |w| {
        (0..10).all(|i| {
            w.client
                .log
                .contains(&format!("Socket {i}: {SERVER_GREETING}"))
        })
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
    run_until(&mut harness, "one socket", |w| {
        w.client
            .log
            .contains(&format!("Socket 0: {SERVER_GREETING}"))
    });
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
fn the_timeline_counts_a_refused_burst_and_marks_it() {
    let free_port = test_support::free_port();
    let mut harness = window(free_port);
    harness.state_mut().settings.burst = 3;
    harness.step();
    harness.get_by_label("Connect ×3").click();
    run_until(&mut harness, "three refusals", |w| {
        w.timeline().total(super::FAILED) == 3
    });
    let timeline = harness.state().timeline();
    assert_eq!(timeline.total(super::CONNECTS), 0);
    assert_eq!(timeline.level(super::CONNECTING), Some(0.0));
    assert_eq!(timeline.markers().collect::<Vec<_>>(), vec!["Connect ×3"]);
}

#[test]
fn the_timeline_follows_sockets_connecting_and_connected() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.state_mut().settings.burst = 4;
    harness.step();
    harness.get_by_label("Connect ×4").click();
    run_until(&mut harness, "four connected", |w| {
        w.timeline().level(super::CONNECTED) == Some(4.0)
    });
    assert_eq!(harness.state().timeline().total(super::CONNECTS), 4);
    assert_eq!(harness.state().timeline().total(super::FAILED), 0);
    harness.get_by_label("Close all").click();
    run_until(&mut harness, "none connected", |w| {
        w.timeline().level(super::CONNECTED) == Some(0.0)
    });
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
    harness.state_mut().settings.burst = 20;
    harness.step();
    harness.get_by_label("Connect ×20").click();
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
    assert_eq!(window.timeline().total(super::FAILED), lost as u64);
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

#[test]
fn the_send_box_writes_escapes_to_every_connected_socket_repeated_and_keeps_a_history() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.state_mut().settings.reply = false;
    for _ in 0..2 {
        harness.get_by_label("Connect").click();
        harness.step();
    }
    run_until(&mut harness, "two connected", |w| {
        w.client.rows.count(RowState::Connected) == 2
    });
    harness.state_mut().send_box.times = 3;
    harness.state_mut().send_box.interval_ms = 0;
    harness.step();
    harness.get_by_label("Send:").click();
    harness.get_by_label("Send:").type_text(r"ping\x21;");
    harness.step();
    harness.get_by_label("Send to sockets").click();
    harness.step();
    let received = server.received_until(&[
        format!("{}ping!;ping!;ping!;", client_hello(0)),
        format!("{}ping!;ping!;ping!;", client_hello(1)),
    ]);
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(harness.state().send_box.history, [r"ping\x21;"]);
    harness.step();
    assert!(
        harness.query_by_label(r"ping\x21;").is_some(),
        "the history button"
    );

    // The history outlives the window: saved with the settings, back in the next run's box.
    let storage = MemoryStorage::saved_by(harness.state_mut());
    let remembered: ClientSettings =
        eframe::get_value(&storage, eframe::APP_KEY).expect("settings saved");
    let next_run = ClientWindow::new(remembered).unwrap();
    assert_eq!(next_run.send_box.history, [r"ping\x21;"]);
}

#[test]
fn send_file_sends_a_file_larger_than_the_send_queue_whole_with_a_progress_bar() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.state_mut().settings.reply = false;
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "connected", |w| {
        w.client.rows.count(RowState::Connected) == 1
    });
    let size = serversocket::handler::SEND_QUEUE_LIMIT + 4 * 1024 * 1024;
    let path = std::env::temp_dir().join(format!("send-box-{}.txt", std::process::id()));
    std::fs::write(&path, b"0123456789abcdef".repeat(size / 16)).unwrap();
    harness.state_mut().send_box.file = path.display().to_string();
    harness.step();
    harness.get_by_label("Send file").click();
    harness.step();
    assert_eq!(harness.state().client.file_sends.len(), 1, "a progress bar");
    // Everything the server's socket receives: the hello, then the whole file.
    let expected = client_hello(0).len() + size;
    let mut received = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while received < expected {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match server.events.recv_timeout(left) {
            Some(Event::Data { bytes, .. }) => received += bytes,
            Some(_) => {}
            None => panic!("the server got {received} of {expected} bytes"),
        }
        harness.step();
    }
    assert_eq!(received, expected);
    run_until(&mut harness, "the bar gone once all was sent", |w| {
        w.client.file_sends.is_empty()
    });
    assert!(
        !harness.state().client.log.contains("Error"),
        "no error logged"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_log_is_written_to_a_file_as_it_happens_and_copied_as_text() {
    let server = Server::start();
    let mut harness = window(server.port);
    let path = std::env::temp_dir().join(format!("client-live-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    harness.state_mut().log_view.to_file.path = path.display().to_string();
    harness.get_by_label("Log file…").click();
    harness.step();
    harness.get_by_label("Write to file").click();
    harness.step();
    assert!(harness.state().client.log.file().is_some(), "writing");
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "greeted", |w| {
        w.client
            .log
            .contains(&format!("Socket 0: {SERVER_GREETING}"))
    });
    // The writer thread is asynchronous: wait (bounded) until the file holds the greeting.
    let wanted = format!("Socket 0: {SERVER_GREETING}");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !std::fs::read_to_string(&path).is_ok_and(|text| text.contains(&wanted)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the file lacks {wanted}"
        );
        harness.step();
    }
    // With nothing selected, Copy takes every shown line ("Copy N shown").
    harness.get_by_label_contains(" shown").click();
    harness.step();
    let copied = kittest::copied_text(&harness);
    assert!(
        copied.as_deref().is_some_and(|text| text.contains(&wanted)),
        "{copied:?}"
    );
    harness.get_by_label("Write to file").click();
    harness.step();
    assert!(harness.state().client.log.file().is_none(), "stopped");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_stream_views_segments_match_the_writes_and_reads_and_the_lines_are_found() {
    let mut harness = window(1);
    harness.get_by_label("Stream").click();
    harness.run();
    harness.get_by_label("Stop reading").click();
    harness.run();
    // Three writes of "hello\n" while the receiver does not read…
    harness.get_by_label("Write ×3").click();
    run_until(&mut harness, "three writes", |w| {
        w.stream.view.writes.len() == 3
    });
    // The kernel's view: the 18 bytes wait in the receiver's Recv-Q, unread.
    #[cfg(target_os = "linux")]
    {
        run_until(&mut harness, "18 bytes in the receiver's Recv-Q", |w| {
            w.stream.view.queues == Some((18, 0))
        });
        harness.run();
        assert!(
            harness
                .query_by_label_contains("receiver's Recv-Q 18 bytes unread")
                .is_some()
        );
    }
    // …then it reads again: however the reads fell, they hold the same 18 bytes in order.
    harness.get_by_label("Stop reading").click();
    run_until(&mut harness, "all 18 bytes read", |w| {
        w.stream
            .view
            .reads
            .last()
            .is_some_and(|r| r.start + r.len == 18)
    });
    harness.run();
    let view = &harness.state().stream.view;
    let writes = view.writes.clone();
    let reads = view.reads.clone();
    assert_eq!(view.reassembler.messages, ["hello", "hello", "hello"]);
    for (lane, segments) in [("write", &writes), ("read", &reads)] {
        let mut next = 0;
        for (number, segment) in (1..).zip(segments.iter()) {
            assert_eq!(
                (segment.index, segment.start),
                (number, next),
                "{lane}s in order"
            );
            next += segment.len;
            let label = format!(
                "{lane} {number}: bytes {} to {} ({} bytes)",
                segment.start, next, segment.len
            );
            assert!(harness.query_by_label(&label).is_some(), "drawn: {label}");
        }
        assert_eq!(next, 18, "{lane}s cover the stream");
    }
    assert!(writes.iter().all(|w| w.len == 6));
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
    assert_eq!(
        harness.state().client.rows.get(SocketId(0)).unwrap().state,
        RowState::Connected
    );
}

#[test]
fn a_tls_connect_with_a_wrong_pin_fails_saying_so_and_accepting_any_certificate_is_marked_insecure()
{
    let certs = std::env::temp_dir().join(format!("client-window-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&certs);
    let tls = serversocket::tls::ServerTls::self_signed_in(&certs).unwrap();
    let runtime = Runtime::new().unwrap();
    let (sender, _events) = event_channel(None);
    let mut server = ServerSocket::new(&runtime, sender, |_| Greeter::default());
    server.set_port(0);
    server.set_tls(Some(std::sync::Arc::new(tls)));
    let port = server.listen().unwrap().port();

    let mut harness = window(port);
    harness.state_mut().tls = super::tls_setting::TlsSetting::new(
        &super::tls_setting::SavedTls::default(),
        &crate::tls_args::TlsArgs {
            tls: true,
            pin: Some("00".repeat(32)),
            ..crate::tls_args::TlsArgs::default()
        },
    );
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "the handshake refused", |w| {
        w.client
            .rows
            .get(SocketId(0))
            .is_some_and(|row| row.state == RowState::Failed)
    });
    assert_eq!(
        harness
            .state()
            .client
            .rows
            .get(SocketId(0))
            .unwrap()
            .last_error,
        Some((102, "TLS: pin mismatch"))
    );

    harness
        .get_by_label("accept any certificate (insecure)")
        .click();
    harness.run();
    assert!(
        harness
            .query_by_label("INSECURE: the server is not checked")
            .is_some()
    );
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "connected over TLS", |w| {
        w.client.rows.get(SocketId(1)).is_some_and(|row| {
            row.state == RowState::Connected && row.bytes_in >= SERVER_GREETING.len() as u64
        })
    });

    // The concepts panel's TLS part points at that handshake and at the insecure choice.
    let protocol = harness
        .state()
        .client
        .rows
        .get(SocketId(1))
        .unwrap()
        .tls
        .clone()
        .unwrap()
        .protocol;
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(2);
    harness.get_by_label("TLS handshake").click();
    harness.run_steps(2);
    harness.get_by_label("Certificate check").click();
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label_contains("Now: socket 1's handshake took")
            .and_then(|line| line.value())
            .is_some_and(|text| text.contains(protocol.as_str())),
        "the handshake's line names socket 1 and its protocol {protocol}"
    );
    assert!(
        harness
            .query_by_label_contains("Now: any certificate is accepted (insecure)")
            .is_some()
    );
    let _ = std::fs::remove_dir_all(&certs);
}

/// A window of `size` with three sockets connected to `server` and greeted.
fn three_connected(server: &Server, size: egui::Vec2) -> Harness<'static, ClientWindow> {
    let settings = ClientSettings {
        port: server.port.to_string(),
        ..ClientSettings::default()
    };
    let mut harness = kittest::harness(
        size,
        ClientWindow::new(settings).unwrap(),
        |ui, window: &mut ClientWindow| window.ui(ui),
    );
    harness.state_mut().settings.burst = 3;
    harness.step();
    harness.get_by_label("Connect ×3").click();
    run_until(&mut harness, "three greetings", |w| {
        (0..3).all(|i| {
            w.client
                .log
                .contains(&format!("Socket {i}: {SERVER_GREETING}"))
        })
    });
    harness.run_steps(3);
    harness
}

#[test]
fn on_small_screens_the_essential_columns_show_the_log_keeps_room_and_nothing_overlaps() {
    let server = Server::start();
    // 1024×600 and 800×600 screens, less a title bar; with the Lessons panel open too.
    for size in [egui::vec2(1024.0, 568.0), egui::vec2(800.0, 568.0)] {
        for lessons in [false, true] {
            let mut harness = three_connected(&server, size);
            if lessons {
                harness.get_by_label("Lessons").click();
                harness.run_steps(3);
            }
            let case = format!("{size:?}, lessons {lessons}");
            // The main view ends where the Lessons panel begins.
            let right = if lessons {
                harness.get_by_label("Lesson:").rect().left()
            } else {
                size.x
            };
            let inside = |rect: egui::Rect| {
                rect.left() >= 0.0
                    && rect.right() <= right
                    && rect.top() >= 0.0
                    && rect.bottom() <= size.y
            };
            let columns: Vec<egui::Rect> = ["Socket", "State", "In / out", "Last event"]
                .iter()
                .map(|column| {
                    let rect = harness.get_by_label(column).rect();
                    assert!(inside(rect), "{column} at {case}: {rect:?}");
                    rect
                })
                .collect();
            for pair in columns.windows(2) {
                assert!(
                    pair[0].right() <= pair[1].left(),
                    "columns overlap at {case}"
                );
            }
            let rows: Vec<egui::Rect> = harness
                .query_all_by_label("Close")
                .map(|button| button.rect())
                .filter(|rect| inside(*rect))
                .collect();
            assert!(rows.len() >= 2, "{} table rows at {case}", rows.len());
            // The log's toolbar (one row, or two in a narrow window) ends above its lines.
            let toolbar = ["Filter:", "Clear log", "Export", "Export to…"]
                .iter()
                .map(|tool| harness.get_by_label(tool).rect())
                .fold(egui::Rect::NOTHING, egui::Rect::union);
            // Whole lines under the toolbar (a line scrolled half out of view is clipped).
            let log_lines = harness
                .query_all_by_label_contains("  Socket ")
                .map(|node| node.rect())
                .filter(|rect| inside(*rect) && rect.top() >= toolbar.bottom())
                .count();
            assert!(log_lines >= 2, "{log_lines} log lines at {case}");
            // Top to bottom, none over the next: the connect row, the table's header, its
            // rows, the log's toolbar.
            let connect = harness.get_by_label("Connect").rect();
            let header = columns[0];
            assert!(
                connect.bottom() <= header.top(),
                "connect row over the table at {case}"
            );
            for row in &rows {
                assert!(header.bottom() <= row.top(), "header over a row at {case}");
                assert!(
                    row.bottom() <= toolbar.top() + 1.0,
                    "a row over the log at {case}"
                );
            }
            assert!(inside(toolbar), "the log's toolbar at {case}: {toolbar:?}");
        }
    }
}

/// The client window with every optional part shown: TLS with its CA file and pin, the
/// Lessons panel, the concepts, the Stream view, the timeline, the log file row, and a
/// connected socket selected (its details pane).
#[test]
fn every_control_of_the_client_window_has_a_label() {
    let server = Server::start();
    let mut harness = three_connected(&server, kittest::SIZE);
    for toggle in [
        "TLS",
        "Lessons",
        "Stream",
        "Concepts",
        "Timeline",
        "Log file…",
    ] {
        harness.get_by_label(toggle).click();
        harness.run_steps(2);
    }
    assert!(harness.query_by_label("CA file").is_some());
    assert!(harness.query_by_label("pin").is_some());
    harness.state_mut().log_view.toggle_socket(SocketId(0));
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Text for socket 0").is_some(),
        "details"
    );
    let unlabelled = kittest::unlabelled_controls(&harness);
    assert!(unlabelled.is_empty(), "{unlabelled:#?}");
}

#[test]
fn tab_reaches_connect_and_enter_presses_it() {
    let server = Server::start();
    let mut harness = window(server.port);
    harness.run_steps(2);
    assert!(
        kittest::tab_to(&mut harness, "Connect", 80),
        "Tab never reached Connect"
    );
    harness.key_press(egui::Key::Enter);
    run_until(&mut harness, "socket 0 greeted", |w| {
        w.client
            .log
            .contains(&format!("Socket 0: {SERVER_GREETING}"))
    });
    assert_eq!(harness.state().client.rows.count(RowState::Connected), 1);
}

#[test]
fn the_tls_choice_is_remembered_for_the_next_run_and_still_marked_insecure() {
    let mut harness = window(1);
    harness.get_by_label("TLS").click();
    harness.run();
    harness
        .get_by_label("accept any certificate (insecure)")
        .click();
    harness.run();

    let storage = MemoryStorage::saved_by(harness.state_mut());
    let remembered: ClientSettings =
        eframe::get_value(&storage, eframe::APP_KEY).expect("settings saved");
    let mut next_run = kittest::harness(
        kittest::SIZE,
        ClientWindow::new(remembered).unwrap(),
        |ui, window: &mut ClientWindow| window.ui(ui),
    );
    next_run.run();
    let toggled = |label: &str| {
        egui_kittest::kittest::NodeT::accesskit_node(&next_run.get_by_label(label)).toggled()
    };
    assert_eq!(toggled("TLS"), Some(egui::accesskit::Toggled::True));
    assert_eq!(
        toggled("accept any certificate (insecure)"),
        Some(egui::accesskit::Toggled::True)
    );
    assert!(
        next_run
            .query_by_label("INSECURE: the server is not checked")
            .is_some(),
        "a remembered insecure choice is still marked"
    );
}

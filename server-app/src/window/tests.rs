//! The server window driven as a user would, with egui_kittest, over real loopback sockets.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use serversocket::seed::SERVER_GREETING;
use serversocket_ui::RowState;
use test_support::kittest;

use super::{ServerSettings, ServerWindow, Serving};

/// A window on port 0 (any free port) with the given limits, in a test harness.
fn window(min: usize, max: usize) -> Harness<'static, ServerWindow> {
    let settings = ServerSettings {
        port: "0".to_owned(),
        min,
        max,
        ..ServerSettings::default()
    };
    kittest::harness(
        kittest::SIZE,
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
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut greeting = vec![0; SERVER_GREETING.len()];
    stream.read_exact(&mut greeting).unwrap();
    assert_eq!(greeting, SERVER_GREETING.as_bytes());
    stream
}

#[test]
fn listen_then_a_client_connects_and_is_greeted() {
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    assert!(
        harness
            .query_by_label(&format!("Listening on {address}"))
            .is_some()
    );
    let _client = greeted_client(address);
    run_until(&mut harness, "the greeting sent", |w| {
        w.server.log.contains("Socket 0 connected.")
            && w.server.log.contains("Socket 0 send complete.")
    });
    let window = harness.state();
    assert_eq!(
        window.server.rows.get(SocketId(0)).unwrap().state,
        RowState::Connected
    );
    assert_eq!(
        window.server.rows.count(RowState::Idle),
        2,
        "the pool refilled"
    );
    harness.step();
    assert!(
        harness.query_by_label("Socket 0 tile: connected").is_some(),
        "socket 0's tile"
    );
    assert!(
        harness.query_by_label("Disconnect").is_some(),
        "socket 0's row"
    );
}

#[test]
fn a_waiting_client_is_served_after_a_disconnect_once_max_is_lowered() {
    let mut harness = window(1, 5);
    let address = listen(&mut harness);
    harness.state_mut().settings.max = 1;
    harness.state_mut().apply_limits();
    run_until(&mut harness, "the new limit", |w| {
        w.server.log.contains("MaximumSocketsConnected 1.")
    });

    let _first = greeted_client(address);
    let mut second = TcpStream::connect(address).unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0; 1];
    let waiting = second
        .read(&mut byte)
        .expect_err("at the maximum, the second client waits");
    assert!(matches!(
        waiting.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));

    run_until(&mut harness, "socket 0 in the table", |w| {
        w.server.log.contains("Socket 0 send complete.")
    });
    harness.step();
    harness.get_by_label("Disconnect").click();
    run_until(&mut harness, "the waiting client served", |w| {
        w.server.log.contains("Socket 1 connected.")
    });
    second
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut greeting = vec![0; SERVER_GREETING.len()];
    second.read_exact(&mut greeting).unwrap();
    assert!(harness.state().server.log.contains("Socket 0 closed."));
}

#[test]
fn stop_listening_closes_the_listener() {
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    harness.get_by_label("Stop Listening").click();
    run_until(&mut harness, "stopped", |w| {
        w.server.log.contains("Stopped listening.")
    });
    harness.step();
    assert!(harness.query_by_label("Not listening").is_some());
    assert!(harness.query_by_label("Listen").is_some());
    assert_eq!(
        TcpStream::connect(address).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    assert_eq!(
        harness.state().server.rows.count(RowState::Closed),
        2,
        "the idle pool was released"
    );
}

#[test]
fn a_bad_port_shows_its_reason_and_listen_does_not_start() {
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = "70000".to_owned();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("out of range").is_some());
    harness.get_by_label("Listen").click();
    harness.run_steps(3);
    assert!(!harness.state().server.socket.is_listening());
    harness.state_mut().settings.port = "http".to_owned();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("not a number").is_some());
}

/// The window refuses the counts the command line refuses, in the same words; its fields do
/// not go past the command line's ceilings.
#[test]
fn counts_past_their_bounds_are_refused_in_the_command_lines_words() {
    use serversocket::bounds::{Count, MAXIMUM_SOCKETS_CONNECTED_CEILING};
    let mut harness = window(2, 10);
    harness.state_mut().settings.max = 0;
    harness.state_mut().apply_limits();
    harness.run_steps(2);
    let words = Count::MaximumSocketsConnected
        .check(0)
        .unwrap_err()
        .to_string();
    assert!(
        harness.query_by_label_contains(&words).is_some(),
        "no {words:?}"
    );
    harness.get_by_label("Listen").click();
    harness.run_steps(3);
    assert!(!harness.state().server.socket.is_listening());

    harness.state_mut().settings.max = MAXIMUM_SOCKETS_CONNECTED_CEILING + 1;
    harness.run_steps(2);
    assert_eq!(
        harness.state().settings.max,
        MAXIMUM_SOCKETS_CONNECTED_CEILING
    );
}

/// A port in the OS's ephemeral range gets a warning that says why Listen may fail there.
#[cfg(target_os = "linux")]
#[test]
fn a_port_in_the_ephemeral_range_is_warned_about() {
    let range = serversocket_kernel::ports::ephemeral_port_range().unwrap();
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = range.start().to_string();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("from which the OS picks the ports of outgoing connections")
            .is_some()
    );
    harness.state_mut().settings.port = "2002".to_owned();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("ports of outgoing connections")
            .is_none()
    );
}

#[test]
fn a_port_in_use_shows_error_105() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = taken.local_addr().unwrap().port().to_string();
    harness.step();
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "the error", |w| {
        w.server.log.contains("Error = 105 (address in use)")
    });
    harness.step();
    assert!(
        harness
            .query_by_label_contains("Error 105 (address in use)")
            .is_some(),
        "status line"
    );
    assert!(!harness.state().server.socket.is_listening());
    // Reported once: a Listen that works next shows no second copy of the failed one's error.
    drop(taken);
    harness.state_mut().settings.port = "0".to_owned();
    harness.step();
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "listening", |w| {
        w.server.log.contains("Listening on")
    });
    let errors = harness
        .state()
        .server
        .log
        .lines()
        .into_iter()
        .filter(|line| line.contains("Error = 105"))
        .count();
    assert_eq!(errors, 1, "{:#?}", harness.state().server.log.lines());
}

#[test]
fn ctrl_l_listens_and_stops() {
    let mut harness = window(2, 10);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    run_until(&mut harness, "listening", |w| {
        w.server.socket.is_listening()
    });
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    run_until(&mut harness, "stopped", |w| {
        w.server.log.contains("Stopped listening.")
    });
    assert!(!harness.state().server.socket.is_listening());
}

#[test]
fn naive_mode_closes_its_single_socket_on_each_connection_and_listens_again() {
    // The port must be known before listening to connect to it: take a free one.
    let port = test_support::free_port();
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = port.to_string();
    harness.step();
    harness.get_by_label("Naive (one socket)").click();
    harness.step();
    assert!(harness.state().settings.naive);
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "listening", |w| {
        w.server.log.contains("Listening on")
    });
    assert!(
        harness
            .query_by_label_contains("Naive mode: one socket")
            .is_some()
    );
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut client = greeted_client(address);
    run_until(&mut harness, "the socket closed to hand off", |w| {
        w.server.log.contains("Socket 0 connected.") && w.server.log.contains("Listener closed:")
    });
    run_until(&mut harness, "listening again", |w| {
        w.server
            .log
            .contains("Listening again (new listening socket")
    });
    // A gap is not a Stop: the log says Listening once and never Stopped listening.
    assert!(!harness.state().server.log.contains("Stopped listening."));
    assert_eq!(
        harness
            .state()
            .server
            .log
            .entries()
            .iter()
            .filter(|e| e.line.starts_with("Listening on"))
            .count(),
        1
    );
    harness.step();
    assert_eq!(
        harness.state().server.listener_gaps.0,
        1,
        "one gap: closed, then open again"
    );
    assert!(
        harness
            .query_by_label_contains("listener closed 1 time,")
            .is_some()
    );
    assert_eq!(
        harness.state().timeline().level(super::LISTENER_OPEN),
        Some(1.0)
    );
    // The connection it handed off outlives the re-listen, and Disconnect reaches it.
    assert_eq!(
        harness
            .state()
            .server
            .rows
            .get(SocketId(0))
            .map(|row| row.state),
        Some(RowState::Connected)
    );
    harness.get_by_label("Disconnect").click();
    run_until(&mut harness, "socket 0 disconnected", |w| {
        w.server.log.contains("Socket 0 closed.")
    });
    let mut rest = Vec::new();
    assert_eq!(client.read_to_end(&mut rest).unwrap(), 0, "end of stream");
    harness.get_by_label("Stop Listening").click();
    harness.run_steps(2);
    assert!(matches!(harness.state().server.serving, Serving::Pool));
    assert!(harness.query_by_label("Listen").is_some());
}

#[test]
fn export_writes_the_log_as_ndjson_without_stalling_the_window() {
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    let _client = greeted_client(address);
    run_until(&mut harness, "the greeting sent", |w| {
        w.server.log.contains("Socket 0 send complete.")
    });
    let path = std::env::temp_dir().join(format!(
        "server-window-export-{}.ndjson",
        std::process::id()
    ));
    harness.state_mut().log_view.export_path = path.display().to_string();
    harness.get_by_label("Export").click();
    run_until(&mut harness, "the export", |w| {
        w.log_view
            .export_result
            .lock()
            .unwrap()
            .as_deref()
            .is_some_and(|r| r.starts_with("wrote"))
    });
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let events: Vec<String> = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["event"].to_string())
        .collect();
    for expected in [
        "\"listening\"",
        "\"add_socket\"",
        "\"connected\"",
        "\"send_complete\"",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected} missing from {events:?}"
        );
    }
}

#[test]
fn the_timeline_is_fed_by_listen_connections_and_limit_changes() {
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    let client = greeted_client(address);
    run_until(&mut harness, "one connected on the timeline", |w| {
        w.timeline().level(super::CONNECTED) == Some(1.0)
    });
    let timeline = harness.state().timeline();
    assert_eq!(timeline.total(super::ACCEPTS), 1);
    assert_eq!(timeline.level(super::LISTENER_OPEN), Some(1.0));
    run_until(&mut harness, "the pool refilled", |w| {
        w.timeline().level(super::IDLE) == Some(2.0)
    });
    harness.state_mut().settings.max = 5;
    harness.state_mut().apply_limits();
    run_until(&mut harness, "the limits marker", |w| {
        w.timeline().markers().any(|m| m == "Min 2 / Max 5")
    });
    drop(client);
    run_until(&mut harness, "none connected", |w| {
        w.timeline().level(super::CONNECTED) == Some(0.0)
    });
    harness.get_by_label("Stop Listening").click();
    run_until(&mut harness, "the listener closed", |w| {
        w.timeline().level(super::LISTENER_OPEN) == Some(0.0)
    });
    let markers: Vec<&str> = harness.state().timeline().markers().collect();
    assert_eq!(markers, vec!["Listen", "Min 2 / Max 5", "Stop Listening"]);
}

/// The window's idle timeout closes a silent client, and the concepts panel's Max entry says
/// why a silent client is a problem.
#[test]
fn a_silent_client_is_closed_after_the_windows_idle_timeout() {
    let settings = ServerSettings {
        port: "0".to_owned(),
        idle_timeout_seconds: 1,
        ..ServerSettings::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(900.0, 800.0))
        .build_ui_state(
            |ui, window: &mut ServerWindow| window.ui(ui),
            ServerWindow::new(settings).unwrap(),
        );
    let address = listen(&mut harness);
    let mut silent = greeted_client(address);
    run_until(&mut harness, "the idle timeout", |w| {
        w.server.log.contains("Error = 102 (idle timeout)")
    });
    let mut rest = Vec::new();
    let _ = silent.read_to_end(&mut rest);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(2);
    harness.get_by_label("MaximumSocketsConnected").click();
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label_contains("ten silent clients fill the default Max of 10")
            .is_some()
    );
}

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
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(2);
    harness.get_by_label("The pool and AddSocket").click();
    harness.run_steps(3);
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
    assert!(
        harness
            .query_by_label_contains("with a SYN cookie, lets a client believe it is connected")
            .is_some(),
    );
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(3);
    assert!(harness.query_by_label("The pool and AddSocket").is_none());
    assert!(!harness.state().settings.show_concepts);
}

#[test]
fn slow_motion_shows_the_connection_waiting_then_handed_to_a_pooled_socket() {
    let settings = ServerSettings {
        port: "0".to_owned(),
        handoff_delay_ms: 700,
        ..ServerSettings::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(900.0, 800.0))
        .build_ui_state(
            |ui, window: &mut ServerWindow| window.ui(ui),
            ServerWindow::new(settings).unwrap(),
        );
    let address = listen(&mut harness);
    let client = std::thread::spawn(move || greeted_client(address));
    run_until(&mut harness, "a connection waiting", |w| {
        w.server.waiting.is_some()
    });
    harness.step();
    assert!(
        harness
            .query_by_label_contains("Connection from 127.0.0.1:")
            .is_some(),
        "a dashed tile for the waiting connection"
    );
    assert!(
        harness
            .state()
            .server
            .log
            .contains("handing it to a pooled socket in 700 ms")
    );
    run_until(&mut harness, "the handoff", |w| {
        w.server.waiting.is_none() && w.server.rows.count(RowState::Connected) == 1
    });
    client.join().unwrap();
}

#[test]
fn clicking_a_tile_shows_that_sockets_events_in_order() {
    let mut harness = window(1, 10);
    let address = listen(&mut harness);
    let _client = greeted_client(address);
    run_until(&mut harness, "the greeting sent", |w| {
        w.server.log.contains("Socket 0 send complete.")
    });
    harness.get_by_label("Socket 0 tile: connected").click();
    harness.run_steps(2);
    let steps: Vec<String> = harness
        .state()
        .log_view
        .sequence()
        .steps()
        .iter()
        .map(|step| step.name.clone())
        .collect();
    assert_eq!(steps, vec!["AddSocket", "Connected", "SendComplete"]);
    assert!(harness.query_by_label("Socket 0:").is_some());
    assert_eq!(harness.state().log_view.socket_filter, Some(SocketId(0)));
}

#[test]
fn with_many_connections_the_log_keeps_its_room() {
    // The size the windows open at side by side, with more connections than the table shows.
    let size = egui::vec2(680.0, 720.0);
    let settings = ServerSettings {
        port: "0".to_owned(),
        max: 60,
        ..ServerSettings::default()
    };
    let mut harness = Harness::builder().with_size(size).build_ui_state(
        |ui, window: &mut ServerWindow| window.ui(ui),
        ServerWindow::new(settings).unwrap(),
    );
    let address = listen(&mut harness);
    let _clients: Vec<TcpStream> = (0..40).map(|_| greeted_client(address)).collect();
    run_until(&mut harness, "40 connections", |w| {
        w.server.rows.count(RowState::Connected) == 40
    });
    // A few frames for the layout to settle (the log sticks to its bottom as lines arrive).
    for _ in 0..3 {
        harness.step();
    }
    let in_view = |rect: egui::Rect| rect.top() >= 0.0 && rect.bottom() <= size.y;
    let table_rows = harness
        .query_all_by_label("Disconnect")
        .filter(|button| in_view(button.rect()))
        .count();
    // Log lines read "07:44:15.058  Socket 3 got: …"; tiles ("Socket 3 tile: …") and the
    // table's last-event column are told apart by the time at the start.
    let log_lines = harness
        .query_all_by_label_contains("  Socket ")
        .filter(|node| in_view(node.rect()))
        .count();
    assert!(table_rows >= 3, "the table shows a few rows ({table_rows})");
    // Before the fix the table took all but one line; the status line above can wrap, so the
    // log's share varies by a line or so.
    assert!(
        log_lines >= 3,
        "the log shows at least 3 lines, not a sliver under a tall table ({log_lines})"
    );
}

#[test]
fn socket_ids_stay_unique_across_listens_and_a_switch_to_naive_mode() {
    let port = test_support::free_port();
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = port.to_string();
    harness.step();
    let address = listen(&mut harness);
    // Pool: sockets 0 and 1 wait idle; the client gets 0 and socket 2 refills the pool.
    let pooled = greeted_client(address);
    run_until(&mut harness, "socket 0 connected", |w| {
        w.server.log.contains("Socket 0 connected.")
    });
    harness.get_by_label("Stop Listening").click();
    run_until(&mut harness, "stopped", |w| {
        w.server.log.contains("Stopped listening.")
    });
    harness.get_by_label("Naive (one socket)").click();
    harness.step();
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "naive listening", |w| {
        w.server
            .log
            .entries()
            .iter()
            .filter(|e| e.line.starts_with("Listening on"))
            .count()
            >= 2
    });
    let naive = greeted_client(address);
    run_until(&mut harness, "the naive socket connected", |w| {
        w.server.log.contains("Socket 3 connected.")
    });
    let connected_zero = harness
        .state()
        .server
        .log
        .entries()
        .iter()
        .filter(|e| e.line == "Socket 0 connected.")
        .count();
    assert_eq!(connected_zero, 1, "socket 0 was never reused");
    assert_eq!(
        harness
            .state()
            .server
            .rows
            .get(SocketId(0))
            .map(|row| row.state),
        Some(RowState::Connected),
        "the pool's connection keeps its own row"
    );
    drop((pooled, naive));
}

#[test]
fn choosing_echo_while_listening_makes_the_idle_sockets_echo_and_a_bad_rule_is_shown() {
    use std::io::Write;
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    // The pool's idle sockets were made in greeting mode; they read the mode when they connect.
    harness.get_by_label("Echo").click();
    harness.run();
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    // Text, not binary: the log shows what arrives, and the test fonts have no glyph for the
    // replacement character that binary data would show as.
    let data: Vec<u8> = (b'a'..=b'z').cycle().take(300_000).collect();
    let mut writer = stream.try_clone().unwrap();
    let sent = data.clone();
    let sending = std::thread::spawn(move || {
        writer.write_all(&sent).unwrap();
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    sending.join().unwrap();
    assert!(
        back == data,
        "{} of {} bytes echoed",
        back.len(),
        data.len()
    );

    harness.get_by_label("Rules").click();
    harness.run();
    let rules = "Rules, one per line (REGEX => TEMPLATE; $1, ${name}, \\r\\n):";
    harness.get_by_label(rules).click();
    harness.run();
    harness.get_by_label(rules).type_text(r"^GET (\S+ => x");
    harness.run();
    assert!(
        harness
            .state()
            .server
            .reply_problem
            .as_deref()
            .is_some_and(|p| p.contains("rule 1")),
        "{:?}",
        harness.state().server.reply_problem
    );
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
            .query_by_label(&format!("3 waiting (capacity {capacity})"))
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

#[cfg(target_os = "linux")]
#[test]
fn a_socket_the_server_closed_first_follows_its_connection_into_time_wait() {
    let mut harness = window(1, 4);
    let address = listen(&mut harness);
    let mut client = greeted_client(address);
    run_until(&mut harness, "socket 0 established in the kernel", |w| {
        w.server
            .rows
            .get(SocketId(0))
            .and_then(|row| row.kernel)
            .is_some_and(|view| view.state == serversocket_kernel::TcpState::Established)
    });
    harness.get_by_label("Disconnect").click();
    run_until(&mut harness, "socket 0 closed", |w| {
        w.server
            .rows
            .get(SocketId(0))
            .is_some_and(|row| row.state == RowState::Closed)
    });
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    drop(client);
    run_until(&mut harness, "socket 0's connection in TIME_WAIT", |w| {
        w.server.rows.get(SocketId(0)).is_some_and(|row| {
            row.state == RowState::Closed
                && row
                    .kernel
                    .is_some_and(|view| view.state == serversocket_kernel::TcpState::TimeWait)
        })
    });
}

/// The server closes first (Disconnect), so its side of the connection waits out TIME_WAIT:
/// the closed socket's row stays in Active connections with the kernel's TIME_WAIT, and the
/// concepts panel's TIME_WAIT entry names it, from the kernel's view rather than a count.
#[test]
fn a_connection_the_server_closed_first_stays_in_its_table_through_time_wait() {
    let mut harness = window(1, 5);
    let address = listen(&mut harness);
    let mut client = greeted_client(address);
    run_until(&mut harness, "socket 0 in the table", |w| {
        w.server.log.contains("Socket 0 send complete.")
    });
    harness.step();
    harness.get_by_label("Disconnect").click();
    run_until(&mut harness, "socket 0 closed", |w| {
        w.server.log.contains("Socket 0 closed.")
    });
    // The client answers the server's FIN with its own, so the server's side reaches TIME_WAIT.
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    drop(client);
    run_until(&mut harness, "socket 0 closed and in TIME_WAIT", |w| {
        w.server.rows.get(SocketId(0)).is_some_and(|row| {
            row.state == RowState::Closed
                && row
                    .kernel
                    .is_some_and(|view| view.state == serversocket_kernel::TcpState::TimeWait)
        })
    });
    harness.run_steps(2);
    assert!(
        harness.query_by_label("TIME_WAIT").is_some(),
        "the closed socket's row shows the kernel's TIME_WAIT"
    );
    assert!(
        harness.query_by_label("Disconnect").is_some(),
        "socket 0's row is still in Active connections"
    );
    harness.get_by_label("Concepts").click();
    harness.run_steps(2);
    // The concept's header, not the table's TIME_WAIT cell.
    harness
        .get_by_role_and_label(egui::accesskit::Role::DisclosureTriangle, "TIME_WAIT")
        .click();
    harness.run_steps(3);
    assert!(
        harness
            .query_by_label_contains(
                "Now: the kernel holds socket 0's connection in TIME_WAIT: this server closed first."
            )
            .is_some()
    );
}

/// Clicking a log line selects it, and Copy then says (and copies) the selected lines only.
#[test]
fn a_clicked_log_line_is_what_copy_takes() {
    let mut harness = window(2, 10);
    listen(&mut harness);
    harness.run_steps(2);
    let shown = harness.state().log_view.visible_count();
    assert!(
        harness
            .query_by_label(&format!("Copy {shown} shown"))
            .is_some(),
        "with no selection Copy takes every shown line"
    );
    harness
        .get_by_label_contains("(MinimumSocketsAvailable 2, MaximumSocketsConnected 10)")
        .click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Copy 1 selected").is_some());
    let copied = harness
        .state()
        .log_view
        .selected_text(&harness.state().server.log);
    assert_eq!(copied.lines().count(), 1, "{copied}");
    assert!(copied.contains("Listening on 127.0.0.1:"), "{copied}");
    harness.get_by_label("Copy 1 selected").click();
    harness.step();
    assert_eq!(kittest::copied_text(&harness), Some(copied));
}

/// The server window opens the same Stream view as the client's (one shared component): its
/// writes and reads are drawn as segments.
#[test]
fn the_server_window_has_the_stream_view_too() {
    let mut harness = window(2, 10);
    harness.get_by_label("Stream").click();
    harness.run_steps(3);
    harness.get_by_label("Write ×3").click();
    run_until(&mut harness, "three writes read back", |w| {
        w.stream.view.writes.len() == 3
            && w.stream
                .view
                .reads
                .last()
                .is_some_and(|r| r.start + r.len == 18)
    });
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("write 1: bytes 0 to 6 (6 bytes)")
            .is_some()
    );
}

#[test]
fn past_a_few_hundred_sockets_the_pool_is_cells_with_exact_counts_and_a_click_selects() {
    const CLIENTS: usize = 350;
    let mut harness = window(2, 400);
    let address = listen(&mut harness);
    let _clients: Vec<TcpStream> = (0..CLIENTS).map(|_| greeted_client(address)).collect();
    run_until(&mut harness, "350 connections", |w| {
        w.server.rows.count(RowState::Connected) == CLIENTS
    });
    harness.run_steps(2);
    // No tile per socket any more: one grid of cells, and the counts stay exact.
    assert!(harness.query_by_label_contains(" tile: ").is_none());
    let cells = harness.get_by_label_contains("Dense pool: ").rect();
    let idle = harness.state().server.rows.count(RowState::Idle);
    assert!(
        harness
            .query_by_label_contains(&format!("{idle} idle · {CLIENTS} connected of at most 400"))
            .is_some()
    );
    // The first cell is the oldest socket, 0: clicking it selects it.
    let first_cell = cells.min + egui::vec2(3.0, 3.0);
    harness.hover_at(first_cell);
    harness.step();
    harness.drag_at(first_cell);
    harness.drop_at(first_cell);
    harness.run_steps(2);
    assert_eq!(harness.state().log_view.socket_filter, Some(SocketId(0)));
}

/// A window of `size` listening with three clients connected and greeted.
fn three_connected(size: egui::Vec2) -> (Harness<'static, ServerWindow>, Vec<TcpStream>) {
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let mut harness = Harness::builder().with_size(size).build_ui_state(
        |ui, window: &mut ServerWindow| window.ui(ui),
        ServerWindow::new(settings).unwrap(),
    );
    let address = listen(&mut harness);
    let clients: Vec<TcpStream> = (0..3).map(|_| greeted_client(address)).collect();
    run_until(&mut harness, "3 connections greeted", |w| {
        w.server.rows.count(RowState::Connected) == 3
            && w.server.log.contains("Socket 2 send complete.")
    });
    // The connections' moves through the pipeline are drawn to their end.
    run_until(&mut harness, "the pipeline still", |w| {
        !w.pipeline.is_moving()
    });
    harness.run_steps(2);
    (harness, clients)
}

/// The stages of the pool's pipeline, by the start of their names.
const STAGES: [&str; 5] = [
    "Clients arriving:",
    "Kernel:",
    "Listening socket:",
    "Idle pool:",
    "Connected:",
];

#[test]
fn on_small_screens_the_essential_columns_show_the_log_keeps_room_and_nothing_overlaps() {
    // 1024×600 and 800×600 screens, less a title bar: the windows take the whole screen there;
    // with the Lessons panel open too, which takes a third of the width.
    for size in [egui::vec2(1024.0, 568.0), egui::vec2(800.0, 568.0)] {
        for lessons in [false, true] {
            let (mut harness, _clients) = three_connected(size);
            if lessons {
                harness.get_by_label("Lessons").click();
                harness.run_steps(3);
            }
            let case = format!("{size:?}, lessons {lessons}");
            let inside = |rect: egui::Rect| {
                rect.left() >= 0.0
                    && rect.right() <= size.x
                    && rect.top() >= 0.0
                    && rect.bottom() <= size.y
            };
            for column in ["Socket", "State", "In / out", "Last event"] {
                let rect = harness.get_by_label(column).rect();
                assert!(inside(rect), "{column} at {case}: {rect:?}");
            }
            let rows_in_view = harness
                .query_all_by_label("Disconnect")
                .filter(|button| inside(button.rect()))
                .count();
            assert!(rows_in_view >= 2, "{rows_in_view} table rows at {case}");
            let log_lines = harness
                .query_all_by_label_contains("  Socket ")
                .filter(|node| inside(node.rect()))
                .count();
            assert!(log_lines >= 2, "{log_lines} log lines at {case}");
            // The pipeline's stages sit side by side inside the window, above the tabs.
            let stages: Vec<egui::Rect> = STAGES
                .iter()
                .map(|stage| harness.get_by_label_contains(stage).rect())
                .collect();
            let tabs = harness.get_by_label("Pool tiles").rect();
            for (index, stage) in stages.iter().enumerate() {
                assert!(inside(*stage), "stage {index} at {case}");
                assert!(
                    stage.bottom() <= tabs.top(),
                    "stage {index} over the tabs at {case}"
                );
                if let Some(next) = stages.get(index + 1) {
                    assert!(
                        stage.right() <= next.left(),
                        "stages {index} and {} overlap at {case}",
                        index + 1
                    );
                }
            }
            // Every word a stage shows stays inside its box: none is cut at its edge.
            let texts = stage_texts(&harness, &stages);
            assert!(texts.len() >= 3 * STAGES.len(), "{texts:?}");
            for (stage, text, rect) in &texts {
                assert!(
                    stages[*stage].expand(1.0).contains_rect(*rect),
                    "{text:?} sticks out of stage {stage} at {case}: {rect:?} in {:?}",
                    stages[*stage]
                );
            }
            let listen = harness.get_by_label("Stop Listening").rect();
            assert!(
                listen.bottom() <= stages[0].top(),
                "the top bar over the pipeline at {case}"
            );
        }
    }
}

/// The words drawn in each stage's box (whose top-left corner falls in it): the stage, the
/// text, and where it was drawn.
fn stage_texts(
    harness: &Harness<'_, ServerWindow>,
    stages: &[egui::Rect],
) -> Vec<(usize, String, egui::Rect)> {
    let mut texts = Vec::new();
    for clipped in &harness.output().shapes {
        let egui::Shape::Text(text) = &clipped.shape else {
            continue;
        };
        let rect = text.visual_bounding_rect();
        if let Some(stage) = stages
            .iter()
            .position(|stage| stage.contains(rect.center()))
        {
            texts.push((stage, text.galley.text().to_owned(), rect));
        }
    }
    texts
}

#[test]
fn selecting_a_socket_in_the_pipeline_selects_it_in_the_table_tiles_and_log() {
    let (mut harness, clients) = three_connected(egui::vec2(1024.0, 568.0));
    let port = clients[1].local_addr().unwrap().port();
    // The pipeline's connected stage names socket 1 by its client's port.
    harness.get_by_label(&format!("1:{port}")).click();
    harness.run_steps(2);
    assert_eq!(harness.state().log_view.socket_filter, Some(SocketId(1)));
    // The details pane under the table shows it, by the same client port.
    assert!(
        harness
            .query_by_label_contains(&format!("Socket 1 · client :{port}"))
            .is_some(),
        "the details pane"
    );
    assert!(
        harness.query_by_label("Text for socket 1").is_some(),
        "Send in the details pane"
    );
    // The log shows only its lines.
    let shown = harness.state().log_view.visible_count();
    assert!(
        shown > 0 && shown < harness.state().server.log.entries().len(),
        "{shown} lines"
    );
    // Clicking its row again in the table clears the selection everywhere.
    harness.get_by_label(&format!("1 · client :{port}")).click();
    harness.run_steps(2);
    assert_eq!(harness.state().log_view.socket_filter, None);
    assert!(harness.query_by_label("Text for socket 1").is_none());
}

#[test]
fn a_connection_moves_through_the_pipeline_and_the_open_concept_lights_its_stage() {
    let (mut harness, _clients) = three_connected(egui::vec2(1024.0, 568.0));
    assert!(
        harness
            .query_by_label_contains("Connected: 3 / 10")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Idle pool: 2 Min 2")
            .is_some()
    );
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(2);
    harness.get_by_label("MaximumSocketsConnected").click();
    harness.run_steps(2);
    assert_eq!(harness.state().lit, Some(super::pipeline::Stage::Connected));
}

#[test]
fn the_timeline_draws_levels_as_steps_not_bands() {
    // The server's series, fed at set times: none connected, then three at once 20 s later;
    // drawn 40 s after the start in the default one-minute view.
    let mut timeline = serversocket_ui::Timeline::new(
        &[(super::CONNECTED, RowState::Connected.color())],
        &[(super::ACCEPTS, serversocket_ui::theme::RATE)],
    );
    let start = std::time::Instant::now();
    timeline.set(super::CONNECTED, start + Duration::from_secs(1), 0.0);
    timeline.set(super::CONNECTED, start + Duration::from_secs(21), 3.0);
    let now = start + Duration::from_secs(40);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(800.0, 200.0))
        .build_ui_state(
            |ui, timeline: &mut serversocket_ui::Timeline| timeline.contents_ui(ui, now),
            timeline,
        );
    harness.run_steps(3);
    let connected = RowState::Connected.color();
    let mut paths = Vec::new();
    for clipped in &harness.output().shapes {
        match &clipped.shape {
            egui::Shape::Band(_) => panic!("a level drawn as a band"),
            egui::Shape::Path(path)
                if path.stroke.color == egui::epaint::ColorMode::Solid(connected) =>
            {
                paths.push(path.points.clone());
            }
            _ => {}
        }
    }
    // A staircase: level at 0 for 20 s, an upright to 3, level at 3 up to now.
    let pairs = || paths.iter().flat_map(|points| points.windows(2));
    let upright = pairs()
        .any(|pair| (pair[0].x - pair[1].x).abs() < 0.01 && (pair[0].y - pair[1].y).abs() > 10.0);
    let levels = pairs()
        .filter(|pair| (pair[0].y - pair[1].y).abs() < 0.01 && (pair[0].x - pair[1].x).abs() > 50.0)
        .count();
    assert!(upright && levels == 2, "steps: {paths:?}");
}

#[test]
fn with_tls_a_client_is_handshaking_in_its_own_colour_then_connected_with_its_protocol() {
    let certs = std::env::temp_dir().join(format!("server-window-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&certs);
    let made = serversocket::tls::ServerTls::self_signed_in(&certs).unwrap();
    let mut harness = window(2, 10);
    harness.state_mut().tls = super::tls_setting::TlsSetting::new(
        &super::tls_setting::SavedTls::default(),
        &crate::tls_args::TlsArgs {
            tls: true,
            cert: Some(certs.join("tls-cert.pem")),
            key: Some(certs.join("tls-key.pem")),
        },
    );
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

/// Where the pipeline draws the thing named `name` now, if it draws it.
fn drawn_at(harness: &Harness<'_, ServerWindow>, name: &str) -> Option<egui::Pos2> {
    harness
        .query_by_label_contains(name)
        .map(|node| node.rect().center())
}

#[test]
fn each_new_socket_and_connection_is_drawn_moving_through_the_pipeline_slowly_on_demand() {
    let mut harness = kittest::harness(
        egui::vec2(1024.0, 568.0),
        ServerWindow::new(ServerSettings {
            port: "0".to_owned(),
            ..ServerSettings::default()
        })
        .unwrap(),
        |ui, window: &mut ServerWindow| window.ui(ui),
    );
    harness.get_by_label("Slow animation").click();
    harness.step();
    assert!(*harness.state_mut().pipeline.slow_mut());
    // Listen: AddSocket's idle sockets slide into the pool, one after another.
    let address = listen(&mut harness);
    harness.step();
    let sliding = drawn_at(&harness, "sliding into the pool").is_some()
        || kittest::frames_until(|| {
            harness.step();
            drawn_at(&harness, "sliding into the pool").is_some()
        });
    assert!(sliding, "{:?}", harness.state().pipeline.moving());
    run_until(&mut harness, "the pool filled", |w| !w.pipeline.is_moving());
    assert!(drawn_at(&harness, "sliding into the pool").is_none());

    // A client connects: its dot, named by its port, moves stage by stage to Connected.
    let client = greeted_client(address);
    let name = format!(
        "Connection :{} moving to Connected",
        client.local_addr().unwrap().port()
    );
    run_until(&mut harness, "the connection moving", |w| {
        w.pipeline.moving().contains(&name)
    });
    let mut path = Vec::new();
    // Slow animation: 4 stages of 1.2 s each, a quarter of a second a frame.
    for _ in 0..40 {
        harness.step();
        match drawn_at(&harness, &name) {
            Some(at) => path.push(at),
            None if !path.is_empty() => break,
            None => {}
        }
    }
    assert!(
        path.len() >= 10,
        "drawn slowly, frame after frame: {path:?}"
    );
    assert!(
        path.windows(2).all(|pair| pair[1].x >= pair[0].x),
        "left to right: {path:?}"
    );
    let connected = harness.get_by_label_contains("Connected: 1").rect();
    let first = path[0];
    let last = path[path.len() - 1];
    assert!(
        first.x < connected.left(),
        "it sets off before Connected: {path:?}"
    );
    assert!(connected.contains(last), "it ends in Connected: {path:?}");
    // Once there, nothing moves and the window asks for no more frames.
    assert!(!harness.state().pipeline.is_moving());
    harness.step();
    assert!(drawn_at(&harness, &name).is_none());
}

/// The server window with every optional part shown: TLS from files, the Lessons panel, the
/// concepts, the Stream view, the log file row, a connection selected (its details pane).
fn everything_shown() -> (Harness<'static, ServerWindow>, TcpStream) {
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    let client = greeted_client(address);
    run_until(&mut harness, "the greeting sent", |w| {
        w.server.log.contains("Socket 0 send complete.")
    });
    harness.get_by_label("Stop Listening").click();
    harness.run_steps(2);
    for toggle in ["TLS", "files", "Lessons", "Stream", "Log file…"] {
        harness.get_by_label(toggle).click();
        harness.run_steps(2);
    }
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(2);
    harness.state_mut().log_view.toggle_socket(SocketId(0));
    harness.run_steps(2);
    (harness, client)
}

#[test]
fn every_control_of_the_server_window_has_a_label() {
    let (mut harness, _client) = everything_shown();
    assert!(
        harness.query_by_label("certificate").is_some(),
        "the TLS files"
    );
    assert!(
        harness.query_by_label("Text for socket 0").is_some(),
        "details"
    );
    for tab in ["Pool tiles", "Timeline", "Kernel queue"] {
        harness.get_by_label(tab).click();
        harness.run_steps(2);
        let unlabelled = kittest::unlabelled_controls(&harness);
        assert!(unlabelled.is_empty(), "with {tab}: {unlabelled:#?}");
    }
}

#[test]
fn tab_reaches_listen_and_enter_presses_it_space_toggles_the_concepts() {
    let mut harness = window(2, 10);
    harness.run_steps(2);
    assert!(
        kittest::tab_to(&mut harness, "Listen", 80),
        "Tab never reached Listen"
    );
    harness.key_press(egui::Key::Enter);
    // Until the kernel's first sample a chip is missing before Concepts: its appearing would
    // give Concepts another place in the row, and the focus would not follow.
    run_until(&mut harness, "listening, the kernel sampled", |w| {
        w.server.socket.is_listening() && w.server.kernel.queue().is_some()
    });
    assert!(
        kittest::tab_to(&mut harness, "Concepts", 80),
        "Tab never reached Concepts"
    );
    harness.key_press(egui::Key::Space);
    harness.run_steps(2);
    assert!(
        harness.state().settings.show_concepts,
        "Space toggled the concepts"
    );
}

fn show_client_enabled(harness: &Harness<'_, ServerWindow>) -> bool {
    use egui_kittest::kittest::NodeT as _;
    !harness
        .get_by_label("Show the client window")
        .accesskit_node()
        .is_disabled()
}

#[test]
fn show_the_client_window_asks_the_client_app_to_come_to_the_front() {
    use serversocket_lessons::Side as LessonSide;
    use serversocket_ui::other_window::OtherWindow;
    let mut harness = window(2, 10);
    harness.run_steps(2);
    // A window of a test follows nothing: the button says the other app is out of reach.
    assert!(!show_client_enabled(&harness));

    let dir = std::env::temp_dir().join(format!("server-window-other-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    harness.state_mut().shell.other = OtherWindow::linked(LessonSide::Server, &dir);
    // The client app's side, in a context of its own.
    let mut client = OtherWindow::linked(LessonSide::Client, &dir);
    let client_ctx = egui::Context::default();
    let mut client_frame = || {
        let mut output = client_ctx.run_ui(egui::RawInput::default(), |ui| client.tick(ui.ctx()));
        output.textures_delta.clear();
        output
            .viewport_output
            .values()
            .any(|viewport| viewport.commands.contains(&egui::ViewportCommand::Focus))
    };
    assert!(!client_frame());
    let enabled = kittest::frames_until(|| {
        harness.step();
        show_client_enabled(&harness)
    });
    assert!(enabled, "the client app is seen open");
    harness.get_by_label("Show the client window").click();
    harness.step();
    assert!(
        kittest::frames_until(&mut client_frame),
        "the client window never asked for the focus"
    );
    // F6 does the same.
    harness.key_press(egui::Key::F6);
    harness.step();
    assert!(kittest::frames_until(&mut client_frame), "F6");
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_tls_choice_is_remembered_for_the_next_run() {
    let mut harness = window(2, 10);
    harness.get_by_label("TLS").click();
    harness.run();
    harness.get_by_label("files").click();
    harness.run();

    let storage = test_support::kittest::MemoryStorage::saved_by(harness.state_mut());
    let remembered: ServerSettings =
        eframe::get_value(&storage, eframe::APP_KEY).expect("settings saved");
    let mut next_run = kittest::harness(
        kittest::SIZE,
        ServerWindow::new(remembered).unwrap(),
        |ui, window: &mut ServerWindow| window.ui(ui),
    );
    next_run.run();
    let toggled = |label: &str| {
        egui_kittest::kittest::NodeT::accesskit_node(&next_run.get_by_label(label)).toggled()
    };
    assert_eq!(toggled("TLS"), Some(egui::accesskit::Toggled::True));
    assert_eq!(toggled("files"), Some(egui::accesskit::Toggled::True));
    assert_eq!(toggled("generate"), Some(egui::accesskit::Toggled::False));
}

/// How soon the last frame asked for the next one (`Duration::MAX`: it did not).
fn next_frame_in(harness: &Harness<'_, ServerWindow>) -> Duration {
    harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay
}

#[test]
fn once_the_pool_has_slid_in_an_idle_listening_window_asks_for_no_frame() {
    let mut harness = window(2, 10);
    listen(&mut harness);
    // AddSocket's new sockets slide into the pool: the window draws while they move.
    assert!(harness.state().pipeline.is_moving());
    assert!(next_frame_in(&harness) < Duration::from_secs(1));
    run_until(&mut harness, "the pool still", |w| {
        w.server.rows.count(RowState::Idle) == 2 && !w.pipeline.is_moving()
    });
    harness.step();
    // Nothing moves and nothing happens: no frame is asked for (the idle_repaints bench).
    assert_eq!(
        next_frame_in(&harness),
        Duration::MAX,
        "{:?}",
        harness.ctx.repaint_causes()
    );
}

//! Listen and Stop Listening, the port and limits the window refuses or warns about, naive
//! mode's single socket, the reply modes and the idle timeout.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use serversocket::seed::SERVER_GREETING;
use serversocket_ui::RowState;
use test_support::kittest;

use super::{
    greeted_client, listen, listening_with, logged, row_state, run_until, serving_one_client,
    window,
};
use crate::window::{ServerSettings, ServerWindow, Serving};
use test_support::kittest::click;
use test_support::kittest::shows;

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
    kittest::assert_shown(
        &harness,
        &[
            ("Socket 0 tile: connected", "socket 0's tile"),
            ("Disconnect", "socket 0's row"),
        ],
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
    test_support::sockets::assert_not_served(
        &mut second,
        "at the maximum, the second client waits",
    );

    run_until(&mut harness, "socket 0 in the table", |w| {
        w.server.log.contains("Socket 0 send complete.")
    });
    harness.step();
    harness.get_by_label("Disconnect").click();
    run_until(&mut harness, "the waiting client served", |w| {
        w.server.log.contains("Socket 1 connected.")
    });
    second
        .set_read_timeout(Some(test_support::PATIENCE))
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
        harness.state().server.rows.count(RowState::Released),
        2,
        "the idle pool was released"
    );
    assert_eq!(
        harness.state().server.rows.count(RowState::Closed),
        0,
        "no connection closed"
    );
}

#[test]
fn a_bad_port_shows_its_reason_and_listen_does_not_start() {
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = "70000".to_owned();
    harness.run_steps(2);
    assert!(shows(&harness, "out of range"));
    harness.get_by_label("Listen").click();
    harness.run_steps(3);
    assert!(!harness.state().server.socket.is_listening());
    harness.state_mut().settings.port = "http".to_owned();
    harness.run_steps(2);
    assert!(shows(&harness, "not a number"));
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
    assert!(shows(&harness, &words), "no {words:?}");
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
    assert!(shows(
        &harness,
        "from which the OS picks the ports of outgoing connections"
    ));
    harness.state_mut().settings.port = "2002".to_owned();
    harness.run_steps(2);
    assert!(!shows(&harness, "ports of outgoing connections"));
}

/// A window whose Listen failed on a port another listener holds (returned with it).
fn failed_on_a_taken_port() -> (Harness<'static, ServerWindow>, TcpListener) {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = taken.local_addr().unwrap().port().to_string();
    harness.step();
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "the error", |w| {
        w.server.log.contains("Error = 105 (address in use)")
    });
    harness.step();
    (harness, taken)
}

#[test]
fn a_port_in_use_shows_error_105() {
    let (mut harness, taken) = failed_on_a_taken_port();
    assert!(shows(&harness, "Error 105 (address in use)"), "status line");
    assert!(!harness.state().server.socket.is_listening());
    // Reported once: a Listen that works next shows no second copy of the failed one's error.
    drop(taken);
    harness.state_mut().settings.port = "0".to_owned();
    harness.step();
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "listening", |w| {
        w.server.log.contains("Listening on")
    });
    let errors = logged(harness.state(), |line| line.contains("Error = 105"));
    assert_eq!(errors, 1, "{:#?}", harness.state().server.log.lines());
}

/// A lesson's start (or Reset) takes the error chip of a Listen before it away: "Error 105"
/// stayed beside the fresh start's "Not listening", as if the step had failed.
#[test]
fn a_lesson_start_forgets_a_failed_listens_error() {
    use serversocket_ui::shell::AppWindow;

    let (mut harness, _taken) = failed_on_a_taken_port();
    assert!(shows(&harness, "Error 105 (address in use)"));
    harness
        .state_mut()
        .apply_lesson_settings(&serversocket_lessons::Settings::fresh_start(
            &serversocket_lessons::Settings::default(),
        ));
    harness.run_steps(2);
    assert!(!shows(&harness, "Error 105 (address in use)"));
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

/// A window (Min 2, Max 10) set to a free port, not listening yet: a test that must know the
/// port before listening (to connect to it across a switch of mode).
fn window_on_a_free_port() -> (Harness<'static, ServerWindow>, u16) {
    let port = test_support::free_port();
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = port.to_string();
    harness.step();
    (harness, port)
}

#[test]
fn naive_mode_closes_its_single_socket_on_each_connection_and_listens_again() {
    let (mut harness, port) = window_on_a_free_port();
    harness.get_by_label("Naive (one socket)").click();
    harness.step();
    assert!(harness.state().settings.naive);
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "listening", |w| {
        w.server.log.contains("Listening on")
    });
    assert!(shows(&harness, "Naive mode: one socket"));
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
    assert!(shows(&harness, "listener closed 1 time,"));
    assert_eq!(
        harness
            .state()
            .timeline()
            .level(crate::window::LISTENER_OPEN),
        Some(1.0)
    );
    // The connection it handed off outlives the re-listen, and Disconnect reaches it.
    assert_eq!(row_state(harness.state(), 0), Some(RowState::Connected));
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
    // The log says it stopped, as in pool mode.
    run_until(&mut harness, "stopped listening", |w| {
        w.server.log.contains("Stopped listening.")
    });
}

#[test]
fn socket_ids_stay_unique_across_listens_and_a_switch_to_naive_mode() {
    let (mut harness, _port) = window_on_a_free_port();
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
        logged(w, |line| line.starts_with("Listening on")) >= 2
    });
    let naive = greeted_client(address);
    run_until(&mut harness, "the naive socket connected", |w| {
        w.server.log.contains("Socket 3 connected.")
    });
    let connected_zero = logged(harness.state(), |line| line == "Socket 0 connected.");
    assert_eq!(connected_zero, 1, "socket 0 was never reused");
    assert_eq!(
        row_state(harness.state(), 0),
        Some(RowState::Connected),
        "the pool's connection keeps its own row"
    );
    drop((pooled, naive));
}

/// The window's idle timeout closes a silent client, and the concepts panel's Max entry says
/// why a silent client is a problem.
#[test]
fn a_silent_client_is_closed_after_the_windows_idle_timeout() {
    let (mut harness, address) = listening_with(ServerSettings {
        idle_timeout_seconds: 1,
        ..ServerSettings::default()
    });
    let mut silent = greeted_client(address);
    run_until(&mut harness, "the idle timeout", |w| {
        w.server.log.contains("Error = 102 (idle timeout)")
    });
    let mut rest = Vec::new();
    let _ = silent.read_to_end(&mut rest);
    kittest::open_concepts(&mut harness, &["MaximumSocketsConnected"]);
    assert!(shows(
        &harness,
        "ten silent clients fill the default Max of 10"
    ));
}

#[test]
fn choosing_echo_while_listening_makes_the_idle_sockets_echo_and_a_bad_rule_is_shown() {
    use std::io::Write;
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    // Listening, the settings keep to one row: the reply is one click away.
    assert!(harness.query_by_label("Echo").is_none());
    click(&mut harness, "All settings");
    // The pool's idle sockets were made in greeting mode; they read the mode when they connect.
    click(&mut harness, "Echo");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(test_support::PATIENCE))
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

    click(&mut harness, "Rules");
    let rules = "Rules, one per line (REGEX => TEMPLATE; $1, ${name}, \\r\\n):";
    click(&mut harness, rules);
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

/// Rules with no rule cannot listen: Listen is off and the row says why in the window's
/// words (it listened with the greeting while the row said Rules, and the fold after Listen
/// hid the command line's "--reply rules needs --rule").
#[test]
fn rules_without_a_rule_cannot_listen_and_say_why() {
    use egui_kittest::kittest::NodeT as _;

    let mut harness = window(2, 10);
    click(&mut harness, "Rules");
    harness.run_steps(2);
    assert!(
        harness
            .get_by_label("Listen")
            .accesskit_node()
            .is_disabled()
    );
    assert!(shows(&harness, "Rules needs at least one rule"));
    let rules = "Rules, one per line (REGEX => TEMPLATE; $1, ${name}, \\r\\n):";
    click(&mut harness, rules);
    harness.get_by_label(rules).type_text(r"^ping$ => pong\n");
    harness.run_steps(2);
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "listening", |w| {
        w.server.socket.is_listening()
    });
}

#[test]
fn a_new_listen_shows_no_closed_tiles_of_the_last_one() {
    let (mut harness, client) = serving_one_client(2, 10);
    drop(client);
    run_until(&mut harness, "socket 0 closed", |w| {
        row_state(w, 0) == Some(RowState::Closed)
    });
    harness.get_by_label("Stop Listening").click();
    run_until(&mut harness, "stopped", |w| {
        w.server.log.contains("Stopped listening.")
    });
    assert!(harness.state().server.rows.count(RowState::Closed) >= 1);
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "listening again", |w| {
        logged(w, |line| line.starts_with("Listening on")) >= 2
    });
    harness.run();
    let rows = &harness.state().server.rows;
    assert_eq!(
        rows.count(RowState::Closed),
        0,
        "the last Listen's closed sockets"
    );
    assert_eq!(rows.count(RowState::Failed), 0);
    assert!(
        rows.count(RowState::Idle) >= 2,
        "the new pool's own sockets"
    );
    // The log keeps the history.
    assert!(harness.state().server.log.contains("Socket 0 closed."));
}

/// A Max typed and not entered counts once the window is left: Max 2 typed, then a click in
/// the other window, left the pool at Max 10 while the field said 2.
#[test]
fn a_max_typed_counts_once_the_window_is_left() {
    let mut harness = window(2, 10);
    listen(&mut harness);
    harness.get_by_label("Max:").focus();
    harness.run();
    harness.get_by_label("Max:").type_text("2");
    harness.run();
    assert_eq!(harness.state().settings.max, 10, "not yet entered");
    harness.input_mut().focused = false;
    run_until(&mut harness, "Max 2 in force", |w| {
        w.server.log.contains("MaximumSocketsConnected 2.")
    });
    assert_eq!(harness.state().server.socket.maximum_sockets_connected(), 2);
}

/// A Max typed while listening counts once Enter is pressed, not at each key: typing 40 ran
/// the pool at Max 4 on the way (its log said `MaximumSocketsConnected 4.`).
#[test]
fn a_max_typed_while_listening_counts_once_entered_not_at_each_key() {
    let mut harness = window(2, 10);
    listen(&mut harness);
    harness.get_by_label("Max:").focus();
    harness.run();
    for key in ["4", "0"] {
        harness.get_by_label("Max:").type_text(key);
        harness.run();
    }
    assert_eq!(harness.state().settings.max, 10, "not yet entered");
    harness.key_press(egui::Key::Enter);
    run_until(&mut harness, "Max 40 in force", |w| {
        w.server.log.contains("MaximumSocketsConnected 40.")
    });
    assert!(
        !harness
            .state()
            .server
            .log
            .contains("MaximumSocketsConnected 4."),
        "Max 4 was never in force"
    );
    assert_eq!(harness.state().settings.max, 40);
}

/// Limits the pool refuses turn Listen off, as a bad port does, the reason shown beside them:
/// Max 0 left Listen on, and its click logged Error 106.
#[test]
fn limits_the_pool_refuses_turn_listen_off_until_mended() {
    use egui_kittest::kittest::NodeT as _;

    let mut harness = window(0, 10);
    harness.state_mut().settings.max = 0;
    harness.state_mut().apply_limits();
    harness.run_steps(2);
    assert!(
        harness
            .get_by_label("Listen")
            .accesskit_node()
            .is_disabled()
    );
    assert!(shows(&harness, "must be at least 1"));
    // Greyed, Listen says why on hover.
    harness.get_by_label("Listen").hover();
    let told = test_support::kittest::frames_until(|| {
        harness.step();
        shows(&harness, "Not now: a setting cannot be used")
    });
    assert!(told, "the greyed Listen says why");
    harness.hover_at(egui::pos2(1.0, 1.0));
    harness.state_mut().settings.max = 3;
    harness.state_mut().apply_limits();
    harness.run_steps(2);
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "listening", |w| {
        w.server.socket.is_listening()
    });
    assert!(!harness.state().server.log.contains("Error"));
}

/// Each field's mistake is said, and each field applies as far as it can on its own: with Max
/// 0 and then Min 30, only Max's mistake showed, and no Min applied until Max was mended.
#[test]
fn each_limit_says_its_own_mistake_and_applies_on_its_own() {
    let mut harness = window(2, 10);
    type_limits(&mut harness, None, Some(0));
    type_limits(&mut harness, Some(30), None);
    assert!(shows(&harness, "must be at least 1"), "Max's mistake");
    assert!(
        shows(&harness, "30 is more than MaximumSocketsConnected (10)"),
        "Min's mistake, against the Max in force"
    );
    // A Min that fits the Max in force is taken while Max's mistake stands.
    assert_eq!(type_limits(&mut harness, Some(5), None), (5, 10));
    assert!(shows(&harness, "must be at least 1"));
    assert!(!shows(&harness, "is more than MaximumSocketsConnected"));
    // A pair at odds with itself applies what it can: Min 6 fits the Max in force; Max 4
    // fits neither Min, and says so.
    assert_eq!(type_limits(&mut harness, Some(6), Some(4)), (6, 10));
    assert!(shows(
        &harness,
        "6 is more than MaximumSocketsConnected (4)"
    ));
    assert!(!shows(&harness, "must be at least 1"));
}

/// Types Min and/or Max into their fields as the window takes them (on Enter), draws, and
/// returns the (Min, Max) then in force.
fn type_limits(
    harness: &mut Harness<'_, ServerWindow>,
    min: Option<usize>,
    max: Option<usize>,
) -> (usize, usize) {
    let settings = &mut harness.state_mut().settings;
    settings.min = min.unwrap_or(settings.min);
    settings.max = max.unwrap_or(settings.max);
    harness.state_mut().apply_limits();
    harness.run_steps(2);
    let socket = &harness.state().server.socket;
    (
        socket.minimum_sockets_available(),
        socket.maximum_sockets_connected(),
    )
}

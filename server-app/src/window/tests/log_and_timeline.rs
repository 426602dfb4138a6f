//! The log (export as NDJSON, copy, one socket's events in order, its room beside a large
//! table), the timeline's series and how it draws them, and the Stream view.

use std::time::{Duration, SystemTime};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use serversocket_ui::RowState;
use test_support::kittest;

use super::{
    greeted_client, listen, run_until, serving_one_client, window, window_with,
    with_a_greeted_client,
};
use crate::window::ServerSettings;
use test_support::kittest::click;

#[test]
fn export_writes_the_log_as_ndjson_without_stalling_the_window() {
    let (mut harness, _client) = serving_one_client(2, 10);
    let path = std::env::temp_dir().join(format!(
        "server-window-export-{}.ndjson",
        std::process::id()
    ));
    harness.state_mut().log_view.export_path = path.display().to_string();
    harness.get_by_label("Export").click();
    until_exported(&mut harness);
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

/// Steps the window until its export says it wrote the file.
fn until_exported(harness: &mut Harness<'static, crate::window::ServerWindow>) {
    run_until(harness, "the export", |w| {
        w.log_view
            .export_result
            .lock()
            .unwrap()
            .as_deref()
            .is_some_and(|r| r.starts_with("wrote"))
    });
}

/// Export onto a file the window did not write asks first: the first click says the file
/// exists and leaves it whole (it was replaced without a word), the second replaces it.
#[test]
fn export_asks_before_replacing_a_file_it_did_not_write() {
    let (mut harness, _client) = serving_one_client(2, 10);
    let dir = test_support::empty_folder("server-window-export-replace");
    let path = dir.join("notes.txt");
    std::fs::write(&path, "KEEP ME\n").unwrap();
    harness.state_mut().log_view.export_path = path.display().to_string();
    harness.get_by_label("Export").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("already exists: click Export again to replace it")
            .is_some()
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "KEEP ME\n");
    harness.get_by_label("Export").click();
    until_exported(&mut harness);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"listening\"")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_timeline_is_fed_by_listen_connections_and_limit_changes() {
    let (mut harness, client) = with_a_greeted_client(2, 10);
    run_until(&mut harness, "one connected on the timeline", |w| {
        w.timeline().level(crate::window::CONNECTED) == Some(1.0)
    });
    let timeline = harness.state().timeline();
    assert_eq!(timeline.total(crate::window::ACCEPTS), 1);
    assert_eq!(timeline.level(crate::window::LISTENER_OPEN), Some(1.0));
    run_until(&mut harness, "the pool refilled", |w| {
        w.timeline().level(crate::window::IDLE) == Some(2.0)
    });
    harness.state_mut().settings.max = 5;
    harness.state_mut().apply_limits();
    run_until(&mut harness, "the limits marker", |w| {
        w.timeline().markers().any(|m| m == "Min 2 / Max 5")
    });
    drop(client);
    run_until(&mut harness, "none connected", |w| {
        w.timeline().level(crate::window::CONNECTED) == Some(0.0)
    });
    harness.get_by_label("Stop Listening").click();
    run_until(&mut harness, "the listener closed", |w| {
        w.timeline().level(crate::window::LISTENER_OPEN) == Some(0.0)
    });
    let markers: Vec<&str> = harness.state().timeline().markers().collect();
    assert_eq!(markers, vec!["Listen", "Min 2 / Max 5", "Stop Listening"]);
}

#[test]
fn clicking_a_tile_shows_that_sockets_events_in_order() {
    let (mut harness, _client) = serving_one_client(1, 10);
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
        max: 60,
        ..ServerSettings::default()
    };
    let (mut harness, _clients) = super::with_connected(size, settings, 40);
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

/// Clicking a log line selects it, and Copy then copies the selected lines only, and says so.
/// With no line to copy, Copy is greyed (it said "Copied 0 lines" and emptied the clipboard).
#[test]
fn a_clicked_log_line_is_what_copy_takes() {
    use egui_kittest::kittest::NodeT as _;
    let mut harness = window(2, 10);
    harness.run_steps(2);
    assert!(
        harness
            .get_by_label("Copy 0 shown")
            .accesskit_node()
            .is_disabled(),
        "nothing to copy"
    );
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
    // The words show over the window from the next frame on (an area is measured first).
    harness.run();
    assert!(
        harness.query_by_label("Copied 1 line").is_some(),
        "the window says what went to the clipboard"
    );
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
        w.stream.view.lanes.writes.len() == 3
            && w.stream
                .view
                .lanes
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
fn the_timeline_draws_levels_as_steps_not_bands() {
    // The server's series, fed at set times: none connected, then three at once 20 s later;
    // drawn 40 s after the start in the default one-minute view.
    let mut timeline = serversocket_ui::Timeline::new(
        &[(crate::window::CONNECTED, RowState::Connected.color())],
        &[(crate::window::ACCEPTS, serversocket_ui::theme::RATE)],
    );
    let start = std::time::Instant::now();
    timeline.set(
        crate::window::CONNECTED,
        start + Duration::from_secs(1),
        0.0,
    );
    timeline.set(
        crate::window::CONNECTED,
        start + Duration::from_secs(21),
        3.0,
    );
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
fn the_timeline_follows_the_last_burst_until_the_learner_asks_for_the_last_minute() {
    let (mut harness, _client) = super::serving_one_client(2, 10);
    click(&mut harness, "Timeline");
    assert!(harness.state().timeline().follows_the_last_burst());
    click(&mut harness, "Last minute");
    assert!(!harness.state().timeline().follows_the_last_burst());
    click(&mut harness, "Zoom to last burst");
    assert!(harness.state().timeline().follows_the_last_burst());
}

/// The timeline's legend fits a window half a 1366-point screen wide: a swatch and its name
/// move whole to the next line ("accepts per second" was cut at the window's edge).
#[test]
fn the_timeline_legend_moves_whole_names_to_the_next_line() {
    let width = 683.0;
    let mut harness = super::window_with(
        egui::vec2(width, 740.0),
        ServerSettings {
            port: "0".to_owned(),
            ..ServerSettings::default()
        },
    );
    listen(&mut harness);
    click(&mut harness, "Timeline");
    for name in [
        "sockets idle in the pool",
        "sockets connected",
        "listener open",
        "waiting in the kernel's accept queue",
        "accepts per second",
    ] {
        let rect = harness.get_by_label(name).rect();
        assert!(rect.right() <= width, "{name}: {rect:?}");
    }
}

/// "Copy N shown" counts the lines of the frame it is drawn in, as "N lines" beside it does:
/// in every frame while a client's events arrive (it lagged the frame's events behind).
#[test]
fn copy_counts_the_lines_of_the_frame_it_is_drawn_in() {
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    harness.run_steps(2);
    let before = harness.state().server.log.entries().len();
    let _client = std::net::TcpStream::connect(address).unwrap();
    let arrived = test_support::within_patience(|| {
        harness.step();
        let lines = harness.state().server.log.entries().len();
        assert!(
            harness
                .query_by_label(&format!("Copy {lines} shown"))
                .is_some(),
            "Copy does not count the {lines} lines of this frame"
        );
        (lines > before).then_some(())
    });
    assert!(arrived.is_some(), "the client's lines never came");
}

#[test]
fn events_taken_in_one_frame_keep_the_moments_they_happened() {
    let mut harness = window(2, 10);
    let address = listen(&mut harness);
    // Two clients served between two frames: the window takes both Connected in one frame.
    let _first = greeted_client(address);
    // Socket 0 said Connected before it sent the greeting just read; socket 1 will say it
    // after this.
    let between = SystemTime::now();
    let _second = greeted_client(address);
    run_until(&mut harness, "both clients logged", |w| {
        w.server.log.contains("Socket 1 connected.")
    });
    let at = |line: &str| {
        let log = &harness.state().server.log;
        log.entries()
            .iter()
            .find(|entry| entry.line == line)
            .map_or_else(
                || panic!("{line:?} logged: {:#?}", log.lines()),
                |entry| entry.at,
            )
    };
    let (first, second) = (at("Socket 0 connected."), at("Socket 1 connected."));
    assert!(
        first <= between && between < second,
        "each line keeps when its socket said it ({first:?}, {second:?}), not when the \
         frame took both (both after {between:?})"
    );
}

/// Copy keeps its words on one line beside the Lessons panel at half a 1366 screen (greyed, it
/// broke into "Copy 0" / "shown").
#[test]
fn copy_keeps_one_line_beside_the_lessons_panel() {
    let mut harness = window_with(egui::vec2(683.0, 736.0), ServerSettings::default());
    harness.run_steps(2);
    harness.get_by_label("Lessons").click();
    harness.run_steps(3);
    let copy = harness.get_by_label("Copy 0 shown").rect();
    let listen = harness.get_by_label("Listen").rect();
    assert!(
        copy.height() <= listen.height() + 0.5,
        "Copy {copy:?} against Listen {listen:?}"
    );
}

/// The kernel counts the drops of every listener of the machine: the timeline's mark says
/// "system-wide", as the log's line does (it read as this server's own drops).
#[test]
fn the_timelines_overflow_mark_says_it_is_system_wide() {
    let mut harness = window(2, 10);
    harness.state_mut().record_event(
        serversocket::Event::AcceptQueue {
            waiting: 0,
            capacity: 1024,
            syn_recv: 0,
            overflows: 5,
        },
        serversocket_ui::drain::Happened::now(),
    );
    let markers: Vec<&str> = harness.state().timeline().markers().collect();
    assert_eq!(markers, vec!["5 dropped system-wide (overflow)"]);
}

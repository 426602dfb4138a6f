//! The log and its view without a window: limits, selection, filters, export.

use serversocket::{Event, SocketError, SocketId};
use serversocket_report::Role;

use super::*;

/// A log of `n` AddSocket lines for sockets 0.., and a view that has seen them.
fn lines(n: u64) -> (EventLog, LogView) {
    let mut log = EventLog::new(Role::Client);
    for id in 0..n {
        log.push(
            Event::Closed {
                socket: SocketId(id),
            },
            SystemTime::now(),
        );
    }
    let mut view = LogView::new(Role::Client);
    view.refresh(&log);
    (log, view)
}

/// The socket numbers of the copied lines ("… Socket 3 closed." → 3).
fn copied(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|line| {
            line.split("Socket ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn copy_takes_the_selected_lines_click_shift_click_and_ctrl_click() {
    let (log, mut view) = lines(6);
    let none = egui::Modifiers::NONE;
    assert_eq!(view.selected_count(&log), 0);
    assert_eq!(copied(&view.shown_text(&log)), [0, 1, 2, 3, 4, 5]);
    view.click_line(&log, 1, none);
    assert_eq!(copied(&view.selected_text(&log)), [1]);
    view.click_line(&log, 3, egui::Modifiers::SHIFT);
    assert_eq!(copied(&view.selected_text(&log)), [1, 2, 3]);
    view.click_line(&log, 5, egui::Modifiers::COMMAND);
    view.click_line(&log, 2, egui::Modifiers::COMMAND);
    assert_eq!(copied(&view.selected_text(&log)), [1, 3, 5]);
    assert_eq!(view.selected_count(&log), 3);
    // A plain click starts again; clicking the only selected line clears.
    view.click_line(&log, 4, none);
    assert_eq!(copied(&view.selected_text(&log)), [4]);
    view.click_line(&log, 4, none);
    assert_eq!(view.selected_count(&log), 0);
}

#[test]
fn a_selection_survives_older_lines_being_dropped_and_forgets_the_dropped() {
    let (mut log, mut view) = lines(3);
    view.click_line(&log, 0, egui::Modifiers::NONE);
    view.click_line(&log, 2, egui::Modifiers::COMMAND);
    log.clear();
    assert_eq!(view.selected_count(&log), 0);
    assert_eq!(view.selected_text(&log), "");
}

#[test]
fn export_writes_the_headless_json_schema_one_object_per_line() {
    let mut log = EventLog::new(Role::Server);
    log.push(
        Event::AddSocket {
            socket: SocketId(0),
        },
        SystemTime::now(),
    );
    log.push(
        Event::data(SocketId(0), &bytes::Bytes::from_static(b"hi\n\xff")),
        SystemTime::now(),
    );
    // Progress is not logged; it is not in the schema either.
    log.push(
        Event::SendProgress {
            socket: SocketId(0),
            sent: 1,
            left: 0,
        },
        SystemTime::now(),
    );
    log.push(
        Event::Error {
            socket: Some(SocketId(0)),
            error: SocketError::ConnectionRefused {
                address: "127.0.0.1:1".into(),
                cause: None,
            },
        },
        SystemTime::now(),
    );
    let path = std::env::temp_dir().join(format!("log-export-{}.ndjson", std::process::id()));
    assert_eq!(log.export_ndjson(&path).expect("written"), 3);
    let text = std::fs::read_to_string(&path).expect("readable");
    let _ = std::fs::remove_file(&path);
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["event"], "add_socket");
    assert_eq!(records[1]["event"], "data");
    assert_eq!(records[1]["bytes"], 4);
    assert_eq!(records[1]["text"], "hi\n\u{fffd}");
    assert_eq!(records[2]["code"], 102);
    assert_eq!(records[2]["meaning"], "connection refused");
    assert!(records.iter().all(|r| r["ts"].is_string()));
}

#[test]
fn the_log_drops_its_oldest_lines_past_the_line_limit_and_the_view_follows() {
    let mut log = EventLog::new(Role::Client);
    let closed = |n: usize| Event::Closed {
        socket: SocketId(n as u64),
    };
    // A filtered view: sockets 7, 70…79, 700…799 and so on.
    let mut view = LogView::new(Role::Server);
    view.text_filter = "Socket 7".to_owned();
    for n in 0..MAX_LINES {
        log.push(closed(n), SystemTime::now());
    }
    view.refresh(&log);
    let before = view.visible_count();
    assert_eq!(log.dropped(), 0);
    log.push(closed(MAX_LINES), SystemTime::now());
    assert_eq!(log.entries().len(), MAX_LINES + 1 - MAX_LINES / 10);
    assert_eq!(log.dropped(), (MAX_LINES / 10) as u64);
    let first = log.entries().front().map(|e| e.line.clone());
    assert_eq!(
        first.as_deref(),
        Some(&*format!("Socket {} closed.", MAX_LINES / 10))
    );
    // The view's indices moved with the dropped lines: it starts over and stays in range.
    view.refresh(&log);
    let expected = log
        .entries()
        .iter()
        .filter(|e| e.line.contains("Socket 7"))
        .count();
    assert_eq!(view.visible_count(), expected);
    assert!(
        expected < before,
        "the dropped lines are gone from the view"
    );
    assert!(view.visible.iter().all(|&i| i < log.entries().len()));
    log.clear();
    assert_eq!(log.dropped(), 0, "a cleared log starts counting again");
}

#[test]
fn the_log_keeps_at_most_its_data_budget_of_received_chunks() {
    let mut log = EventLog::new(Role::Server);
    // A Data event keeps at most this much of its chunk.
    let chunk = bytes::Bytes::from(vec![0x5a_u8; serversocket::DATA_EVENT_BYTES]);
    let pushes = MAX_DATA_BYTES / chunk.len() + 8;
    for _ in 0..pushes {
        log.push(Event::data(SocketId(0), &chunk.clone()), SystemTime::now());
    }
    let kept: usize = log.entries().iter().map(|e| data_len(&e.event)).sum();
    assert_eq!(kept, log.data_bytes);
    assert!(kept <= MAX_DATA_BYTES, "{kept} bytes kept");
    assert!(log.dropped() > 0);
    assert_eq!(log.entries().len() as u64 + log.dropped(), pushes as u64);
}

#[test]
fn a_long_chunk_shows_its_whole_size_in_text_and_in_hex() {
    let mut log = EventLog::new(Role::Server);
    log.push(
        Event::data(SocketId(4), &bytes::Bytes::from(vec![0xab_u8; 128 * 1024])),
        SystemTime::now(),
    );
    let mut view = LogView::new(Role::Server);
    let entry = &log.entries()[0];
    assert!(entry.line.ends_with("… (131072 bytes)"), "{}", entry.line);
    view.hex = true;
    let hex = view.line_text(entry);
    assert!(hex.contains("Socket 4 got 131072: ab ab "), "{hex}");
    assert!(hex.ends_with("… (131072 bytes)"), "{hex}");
}

#[test]
fn the_view_filters_by_socket_and_text() {
    let mut log = EventLog::new(Role::Client);
    for socket in 0..3 {
        log.push(
            Event::Closed {
                socket: SocketId(socket),
            },
            SystemTime::now(),
        );
    }
    let mut view = LogView::new(Role::Server);
    view.refresh(&log);
    assert_eq!(view.visible_count(), 3);
    view.toggle_socket(SocketId(1));
    view.refresh(&log);
    assert_eq!(view.visible_count(), 1);
    view.toggle_socket(SocketId(1));
    view.text_filter = "Socket 2".to_owned();
    view.refresh(&log);
    assert_eq!(view.visible_count(), 1);
    log.clear();
    view.refresh(&log);
    assert_eq!(view.visible_count(), 0);
}

#[test]
fn the_window_log_escapes_characters_that_would_reorder_or_split_a_line() {
    let mut log = EventLog::new(Role::Server);
    log.push(
        Event::data(
            SocketId(0),
            &bytes::Bytes::from("evil\u{202e}txt.exe\u{2028}next\u{200b}\u{feff}"),
        ),
        SystemTime::now(),
    );
    let line = &log.entries()[0].line;
    assert_eq!(
        line,
        "Socket 0 got: evil\\u{202e}txt.exe\\u{2028}next\\u{200b}\\u{feff}"
    );
}

#[test]
fn each_window_exports_to_its_own_default_file() {
    let server = LogView::new(Role::Server).export_path;
    let client = LogView::new(Role::Client).export_path;
    assert_ne!(server, client);
    assert!(
        server.ends_with("serversocket-server-log.ndjson"),
        "{server}"
    );
    assert!(
        client.ends_with("serversocket-client-log.ndjson"),
        "{client}"
    );
}

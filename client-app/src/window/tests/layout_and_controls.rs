//! The window on small screens, every control labelled, Tab and Enter, and the TLS choice
//! remembered for the next run.

use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use serversocket_ui::RowState;
use test_support::kittest;

use super::{
    Server, accept_any_certificate, connect_burst, greeted, greeted_burst, run_until,
    three_connected, window, window_with,
};
use crate::window::ClientSettings;
use test_support::kittest::click;

#[test]
fn on_small_screens_the_essential_columns_show_the_log_keeps_room_and_nothing_overlaps() {
    let server = Server::start();
    // 1024×600 and 800×600 screens, less a title bar, and the client's window on 800×600 (a
    // title bar lower than the server's); with the Lessons panel open too.
    for size in [
        egui::vec2(1024.0, 568.0),
        egui::vec2(800.0, 568.0),
        egui::vec2(800.0, 536.0),
    ] {
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
                .filter_map(|column| {
                    // A table narrower than every column gives the bytes in the socket's hover.
                    let Some(node) = harness.query_by_label(column) else {
                        assert!(*column == "In / out" && lessons, "no {column} at {case}");
                        return None;
                    };
                    let rect = node.rect();
                    assert!(inside(rect), "{column} at {case}: {rect:?}");
                    Some(rect)
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
            // Enough to see a lesson's sockets: two served and a third waiting (one row and
            // the timeline's header was all a 600-high screen showed with the Lessons panel).
            assert!(rows.len() >= 3, "{} table rows at {case}", rows.len());
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

/// A lesson's sockets in view on a 600-high screen: with the Lessons panel open and sockets
/// waiting in the server's accept queue (lesson 3), the client's window there (800×536, a
/// title bar lower than the server's) showed one row of its table under the timeline.
#[test]
fn a_lessons_sockets_stay_in_view_on_a_600_high_screen() {
    let server = Server::start();
    let size = egui::vec2(800.0, 536.0);
    let settings = ClientSettings {
        port: server.port.to_string(),
        ..ClientSettings::default()
    };
    let mut harness = window_with(size, settings);
    harness.get_by_label("Lessons").click();
    harness.run_steps(2);
    // Two more than the server's Max: they wait in its accept queue, and say so in a chip.
    connect_burst(&mut harness, 12);
    run_until(&mut harness, "every socket connected", |w| {
        w.client.rows.count(RowState::Connected) == 12
    });
    harness.run_steps(3);
    let rows_in_view = rows_in_view(&harness);
    assert!(rows_in_view >= 3, "{rows_in_view} rows in view");
}

/// How many rows of the Sockets table show whole between its header and the send box.
fn rows_in_view(harness: &egui_kittest::Harness<'_, crate::window::ClientWindow>) -> usize {
    let header = harness.get_by_label("Last event").rect();
    let send = harness.get_by_label("Send:").rect();
    harness
        .query_all_by_label("Close")
        .map(|button| button.rect())
        .filter(|rect| rect.top() >= header.bottom() && rect.bottom() <= send.top())
        .count()
}

/// However many sockets there are, the send box stays in view under them, in a panel of its
/// own above the log (under the rows, at half a 1366×768 screen six rows pushed its File row
/// below the fold, and at 800×600 three did).
#[test]
fn the_send_box_stays_in_view_under_many_sockets() {
    let server = Server::start();
    // Half a 1366×768 screen, 1024×600 and 800×600, less a title bar, and the window a
    // window manager gives the client on 800×600 (offset by the server's title bar).
    for size in [
        egui::vec2(683.0, 736.0),
        egui::vec2(1024.0, 568.0),
        egui::vec2(800.0, 568.0),
        egui::vec2(770.0, 540.0),
    ] {
        let harness = greeted_burst(&server, size, 10);
        let log_top = harness.get_by_label("Filter:").rect().top();
        for control in ["Send to sockets", "Send file"] {
            let rect = harness.get_by_label(control).rect();
            assert!(
                rect.top() >= 0.0 && rect.bottom() <= log_top,
                "{control} at {size:?}: {rect:?}, the log from {log_top}"
            );
        }
        let rows_in_view = rows_in_view(&harness);
        assert!(rows_in_view >= 2, "{rows_in_view} rows in view at {size:?}");
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
    kittest::press_by_keyboard(&mut harness, "Connect", egui::Key::Enter);
    run_until(&mut harness, "socket 0 greeted", |w| greeted(w, 0));
    assert_eq!(harness.state().client.rows.count(RowState::Connected), 1);
}

#[test]
fn the_tls_choice_is_remembered_for_the_next_run_and_still_marked_insecure() {
    let mut harness = window(1);
    click(&mut harness, "TLS");
    harness
        .get_by_label("accept any certificate (insecure)")
        .click();
    harness.run();

    let next_run = kittest::next_run(harness.state_mut(), |settings: ClientSettings| {
        window_with(kittest::SIZE, settings)
    });
    let toggled = |label: &str| kittest::toggled(&next_run, label);
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

/// Connect stays where it is when TLS is ticked and when any certificate is accepted: it is
/// on the top row (under the TLS row, ticking TLS opened its fields and moved it a line down,
/// under the pointer).
#[test]
fn connect_stays_where_it_is_when_tls_and_the_insecure_choice_are_ticked() {
    // 1024×600, 800×600, and half a 1366×768 screen (where it moved 5 points, then 19).
    for size in [
        egui::vec2(1024.0, 568.0),
        egui::vec2(800.0, 568.0),
        egui::vec2(683.0, 736.0),
    ] {
        let mut harness = window_with(size, ClientSettings::default());
        let connect = harness.get_by_label("Connect").rect();
        let concepts = harness.get_by_label("Concepts").rect();
        click(&mut harness, "TLS");
        assert_eq!(harness.get_by_label("Connect").rect(), connect, "{size:?}");
        accept_any_certificate(&mut harness);
        assert_eq!(harness.get_by_label("Connect").rect(), connect, "{size:?}");
        assert_eq!(
            harness.get_by_label("Concepts").rect(),
            concepts,
            "{size:?}"
        );
    }
}

/// Every button of the top row is on one line at 800 points and at half a 1366 screen, as the
/// server's are (Connect ×N's N and "at once" took the room, and put Lessons, or Show the
/// server window, on a second line).
#[test]
fn the_top_rows_buttons_share_one_line_on_a_small_screen() {
    for size in [egui::vec2(800.0, 568.0), egui::vec2(683.0, 736.0)] {
        let harness = window_with(size, ClientSettings::default());
        let line = harness.get_by_label("Connect").rect().center().y;
        for label in [
            "Stream",
            "Packets",
            "Concepts",
            "Lessons",
            "Show the server window",
        ] {
            let rect = harness.get_by_label(label).rect();
            assert!(
                rect.y_range().contains(line),
                "{label} at {rect:?}, off Connect's line at {size:?}"
            );
        }
    }
}

/// A lesson title longer than the picker is cut, not wrapped: wrapped, it made the picker two
/// lines high and moved Start from under the pointer (800×600). Start stays put, and Reset
/// lesson, wider, takes its place when the lesson starts.
#[test]
fn start_stays_put_whatever_lesson_is_picked_and_when_it_starts() {
    for size in [
        egui::vec2(800.0, 568.0),
        egui::vec2(1024.0, 568.0),
        egui::vec2(1366.0, 736.0),
    ] {
        let mut harness = window_with(size, ClientSettings::default());
        harness.get_by_label("Lessons").click();
        harness.run_steps(3);
        let start = harness.get_by_label("Start").rect();
        harness.get_by_label("Lesson:").click();
        harness.run_steps(2);
        harness
            .get_by_label("6. Closing: TIME_WAIT and CLOSE_WAIT")
            .click();
        harness.run_steps(3);
        assert_eq!(harness.get_by_label("Start").rect(), start, "{size:?}");
        harness.get_by_label("Start").click();
        harness.run_steps(3);
        let reset = harness.get_by_label("Reset lesson").rect();
        assert_eq!(reset.left_top(), start.left_top(), "{size:?}");
    }
}

/// The TLS row keeps no blank line for the insecure warning (it kept one while TLS was on, to
/// keep Connect still under it): the chips follow it. At 800 points "INSECURE" stands for the
/// warning's words where they do not fit on the row.
#[test]
fn the_tls_row_keeps_no_blank_line() {
    for size in [egui::vec2(800.0, 568.0), egui::vec2(683.0, 736.0)] {
        let mut harness = window_with(size, ClientSettings::default());
        click(&mut harness, "TLS");
        let tls = harness.get_by_label("TLS").rect();
        let chips = harness.get_by_label("0 connecting").rect();
        assert!(
            chips.top() - tls.bottom() < tls.height(),
            "a line between the TLS row {tls:?} and the chips {chips:?} at {size:?}"
        );
    }
    let mut harness = window_with(egui::vec2(800.0, 568.0), ClientSettings::default());
    click(&mut harness, "TLS");
    accept_any_certificate(&mut harness);
    let chips = harness.get_by_label("0 connecting").rect();
    let warning = harness.get_by_label("INSECURE: the server is not checked");
    assert!(
        warning.rect().center().y < chips.top(),
        "the warning on the TLS row"
    );
    let short = warning.rect().width();
    // A tall window, half a 1366×768 screen, has the line to spare: its words show whole.
    let mut tall = window_with(egui::vec2(683.0, 736.0), ClientSettings::default());
    click(&mut tall, "TLS");
    accept_any_certificate(&mut tall);
    let whole = tall
        .get_by_label("INSECURE: the server is not checked")
        .rect()
        .width();
    assert!(
        whole > 2.0 * short,
        "{whole} against {short}: the words, not INSECURE"
    );
}

/// A TLS setting that cannot be used says why above the sockets, not in the TLS row: its two
/// lines there pushed Connect down, and the next click landed on the error or on Lessons.
#[test]
fn connect_stays_where_it_is_when_the_tls_settings_are_refused() {
    let mut harness = window_with(egui::vec2(1024.0, 568.0), ClientSettings::default());
    click(&mut harness, "TLS");
    let connect = harness.get_by_label("Connect").rect();
    harness.get_by_label("pin").click();
    harness.get_by_label("pin").type_text("xyz");
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("TLS: ").is_none());
    harness.get_by_label("Connect").click();
    harness.run_steps(3);
    assert!(
        harness.query_by_label_contains("TLS: ").is_some(),
        "the refusal is said"
    );
    assert_eq!(harness.get_by_label("Connect").rect(), connect);
}

/// The insecure warning and the log's line count are phrases: on a narrow screen each moves
/// whole to the next line ("INSECURE: the" / "server is not checked", "50" / "lines" before).
#[test]
fn warnings_and_counts_never_break_in_the_middle_on_a_narrow_screen() {
    for width in [1366.0, 1024.0, 800.0, 683.0] {
        let mut harness = window_with(egui::vec2(width, 568.0), ClientSettings::default());
        click(&mut harness, "TLS");
        accept_any_certificate(&mut harness);
        let one_line = harness.get_by_label("Connect").rect().height();
        for phrase in ["INSECURE: the server is not checked", "0 lines"] {
            let rect = harness.get_by_label(phrase).rect();
            assert!(
                rect.height() <= one_line,
                "{phrase} at {width}: {rect:?} (a line is {one_line} high)"
            );
        }
    }
}

//! Lessons in a used session, as a learner leaves it: Reset in the middle of a lesson with
//! connections open, and a lesson started right after another (its TLS, its Max 1, its Stream
//! view and its rows left behind), each then done to its end.

use egui_kittest::kittest::Queryable;
use serversocket_lessons::Side;
use serversocket_ui::RowState;
use serversocket_ui::lesson_panel::LessonPanel;
use serversocket_ui::shell::AppWindow as _;

use client_app::window::{ClientSettings, SavedTls};

use crate::lab::{Lab, input};
use crate::lessons::{listening, max_and_the_backlog, the_pool, tls, why_a_serversocket};

/// Clicks Reset lesson in `side`'s window, then waits until both windows are back at step 1
/// with nothing left of before: the server not listening (its button reads Listen) with no
/// connection, no client connected, and no row of before in either list. Both reports say a
/// reset happened.
fn reset(lab: &mut Lab, side: Side) {
    match side {
        Side::Server => lab.click_server("Reset lesson"),
        Side::Client => lab.click_client("Reset lesson"),
    }
    lab.until(
        "both windows back at step 1, nothing left of before",
        |lab| {
            let at_start =
                |panel: &LessonPanel| panel.run().is_some_and(|run| run.step_index() == 0);
            at_start(lab.panel(Side::Server))
                && at_start(lab.panel(Side::Client))
                && lab.server.query_by_label("Listen").is_some()
                && open(lab.server.state().rows()) == 0
                && open(lab.client.state().rows()) == 0
                // Nor their rows: closed by the reset, they leave both lists.
                && lab.server.state().rows().is_empty()
                && lab.client.state().rows().is_empty()
        },
    );
    for window in [Side::Server, Side::Client] {
        let report = lab.panel(window).report();
        assert!(report.contains("Reset lesson at step"), "{report}");
    }
}

/// Sockets still open: connecting, in their TLS handshake, or connected. (A closed row the
/// kernel forgets later never comes back as connecting: the rows' own test.)
fn open(rows: &serversocket_ui::SocketRows) -> usize {
    [
        RowState::Connecting,
        RowState::Handshaking,
        RowState::Connected,
    ]
    .into_iter()
    .map(|state| rows.count(state))
    .sum()
}

#[test]
fn lesson_2_reset_in_the_middle_with_a_connection_open_then_done() {
    let mut lab = Lab::start("the-pool", "reset-l2");
    let address = lab.listen();
    lab.answer(Side::Server, "1", "2");
    lab.at_step(2);
    lab.connect(address, "Connect");
    lab.at_step(3);
    reset(&mut lab, Side::Server);
    the_pool(&mut lab);
}

#[test]
fn lesson_3_reset_in_the_middle_with_six_clients_then_done() {
    let mut lab = Lab::start("max-and-backlog", "reset-l3");
    lab.listen_and_connect("Connect ×6");
    lab.at_step(3);
    lab.until_asking(Side::Server, "two served, four waiting");
    // Reset from the client window: the server window follows and stops too.
    reset(&mut lab, Side::Client);
    max_and_the_backlog(&mut lab);
}

#[test]
fn lesson_4_reset_in_the_middle_after_the_naive_burst_then_done() {
    let mut lab = Lab::start("why-a-serversocket", "reset-l4");
    lab.listen_and_connect("Connect ×20");
    lab.until_asking(Side::Client, "the question on the naive burst");
    reset(&mut lab, Side::Server);
    why_a_serversocket(&mut lab);
}

/// Lesson 3 started (from the picker, by clicks) in the same windows right after lesson 2,
/// which leaves the server listening with a client connected: lesson 3 starts from nothing
/// and is done. The client's report holds the answers given in the server window, and Copy
/// report says what it copied.
#[test]
fn lesson_3_right_after_lesson_2_in_the_same_windows() {
    let mut lab = Lab::start("the-pool", "l2-then-l3");
    the_pool(&mut lab);
    let report = lab.panel(Side::Client).report();
    assert!(
        report.contains("Answered in the server window `5` (not right"),
        "{report}"
    );
    lab.click_client("Copy report");
    assert_eq!(
        test_support::kittest::copied_text(&lab.client),
        Some(lab.panel(Side::Client).report())
    );
    // The words show over the window from the next frame on (an area is measured first).
    lab.step();
    assert!(
        lab.client.query_by_label_contains("Copied ").is_some(),
        "Copy report says it copied"
    );
    input(&lab.server, "Lesson:").click();
    lab.step();
    lab.step();
    lab.server.get_by_label("3. Max and the backlog").click();
    lab.step();
    // Picked, not started: the panel says what the picked lesson is, not lesson 2's steps.
    assert!(
        lab.server
            .query_by_label_contains("Click Start to begin it")
            .is_some()
    );
    assert!(lab.server.query_by_label("Export report").is_none());
    lab.click_server("Start");
    lab.until("both windows in lesson 3 at step 1", |lab| {
        [Side::Server, Side::Client].into_iter().all(|side| {
            lab.panel(side)
                .run()
                .is_some_and(|run| run.lesson().name == "max-and-backlog" && run.step_index() == 0)
        })
    });
    lab.until("lesson 2's server stopped", |lab| {
        lab.server.query_by_label("Listen").is_some()
    });
    max_and_the_backlog(&mut lab);
}

/// Lesson 8 turns TLS on in both windows; lesson 3 started straight after it (from the client
/// window, as a learner may) starts with TLS off again, so its six clients are served or wait
/// in the accept queue instead of timing out in a handshake, and it can be done.
#[test]
fn lesson_3_right_after_lesson_8_starts_with_tls_off() {
    let mut lab = Lab::start("tls", "l8-then-l3");
    tls(&mut lab);
    lab.client
        .state_mut()
        .lessons_mut()
        .start("max-and-backlog")
        .unwrap();
    lab.until(
        "both windows in lesson 3 at step 1, lesson 8's server stopped",
        |lab| {
            [Side::Server, Side::Client].into_iter().all(|side| {
                lab.panel(side).run().is_some_and(|run| {
                    run.lesson().name == "max-and-backlog" && run.step_index() == 0
                })
            }) && lab.server.query_by_label("Listen").is_some()
        },
    );
    max_and_the_backlog(&mut lab);
}

/// The Stream view left open by before is closed when a lesson starts (it would cover the
/// controls a step points at), and lesson 7's first step, "open the Stream view", is done by
/// opening it again.
#[test]
fn a_lesson_start_closes_the_stream_view_and_lesson_7_sees_it_opened_again() {
    let mut lab = Lab::start("listening", "stream-left-open");
    lab.click_client("Stream");
    lab.until("the stream's connection", |lab| {
        lab.client.query_by_label("Stop reading").is_some()
    });
    lab.client
        .state_mut()
        .lessons_mut()
        .start("the-byte-stream")
        .unwrap();
    lab.until("lesson 7 at step 1 with the Stream view closed", |lab| {
        lab.panel(Side::Client)
            .run()
            .is_some_and(|run| run.lesson().name == "the-byte-stream" && run.step_index() == 0)
            && lab.client.query_by_label("Stop reading").is_none()
    });
    lab.click_client("Stream");
    lab.at_step(2);
}

/// Lesson 3 ends with Max 1; lesson 1 started straight after it begins with the pool as a new
/// install has it (Max 10), so its step 4's second client is served at once instead of
/// waiting in the accept queue behind the first for good.
#[test]
fn lesson_1_right_after_lesson_3_starts_with_xojos_limits() {
    let mut lab = Lab::start("max-and-backlog", "l3-then-l1");
    max_and_the_backlog(&mut lab);
    lab.client
        .state_mut()
        .lessons_mut()
        .start("listening")
        .unwrap();
    lab.until(
        "both windows in lesson 1 at step 1, lesson 3's server stopped",
        |lab| {
            [Side::Server, Side::Client].into_iter().all(|side| {
                lab.panel(side)
                    .run()
                    .is_some_and(|run| run.lesson().name == "listening" && run.step_index() == 0)
            }) && lab.server.query_by_label("Listen").is_some()
        },
    );
    listening(&mut lab);
}

/// What the errors lesson and the TLS lesson's trust offer leave in the client would decide
/// a later step for the learner: an unknown host (a Connect fails with 103, not the refusal a
/// step waits for, and a naive burst's 20 failures counted as lesson 4's) and a pinned
/// certificate (the step whose handshake must be refused connected). A lesson's start puts
/// the client back on 127.0.0.1 trusting the system's roots alone; lesson 8 is then done.
#[test]
fn a_lesson_start_forgets_an_unknown_host_and_a_pinned_certificate() {
    let left = ClientSettings {
        address: "no.such.host.invalid".to_owned(),
        tls: SavedTls {
            enabled: true,
            ca: "/nowhere/ca.pem".to_owned(),
            pin: "ab".repeat(32),
            insecure: false,
        },
        ..ClientSettings::default()
    };
    let mut lab = Lab::start_with("tls", "host-and-pin-left", left);
    let client = lab.client.state_mut().settings_to_save().clone();
    assert_eq!(client.address, "127.0.0.1");
    assert_eq!(
        (client.tls.ca.as_str(), client.tls.pin.as_str()),
        ("", ""),
        "no CA file, no pin"
    );
    tls(&mut lab);
}

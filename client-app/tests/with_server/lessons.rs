//! Every shipped lesson done end to end by a script acting as the learner: both windows in
//! kittest harnesses, following one lesson through a sync folder of the test's own, clicks on
//! the real buttons, real sockets on loopback, and answers typed into the panel and checked
//! against the live session. A lesson that cannot be completed fails its test.

use std::net::{TcpListener, TcpStream};

use egui_kittest::kittest::{NodeT, Queryable};
use serversocket_lessons::Side;
use serversocket_lessons::sync::LessonSync;
use serversocket_ui::lesson_panel::LessonPanel;

use crate::lab::{Lab, input, port_field};
use client_app::window::ClientSettings;

#[test]
fn lesson_1_listening() {
    let mut lab = Lab::start("listening", "l1");
    listening(&mut lab);
}

/// Lesson 1 from its first step to its end.
pub(crate) fn listening(lab: &mut Lab) {
    let address = lab.listen();
    let port = address.port().to_string();
    lab.answer_after_a_wrong_one(Side::Server, &port);
    // Step 2 asks at once: the word that step 1's answer was right stays under it.
    lab.step();
    assert!(
        lab.server
            .query_by_label_contains("Step 1: right, your answer matched")
            .is_some(),
        "step 1's verdict under step 2's question"
    );
    // The Handle as the status line shows it.
    let handle_label = lab
        .server
        .get_by_label_contains("Handle ")
        .accesskit_node()
        .value()
        .or_else(|| {
            lab.server
                .get_by_label_contains("Handle ")
                .accesskit_node()
                .label()
        })
        .unwrap_or_default();
    let handle = handle_label
        .split("Handle ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    lab.answer_after_a_wrong_one(Side::Server, &handle);
    lab.at_step(3);
    lab.connect(address, "Connect");
    let local_port = {
        lab.until_asking(Side::Client, "the client's question");
        lab.live(Side::Client, "last.local_port")
    };
    lab.answer_after_a_wrong_one(Side::Client, &local_port);
    lab.at_step(4);
    // Another program connects and closes (`nc` in the lesson).
    let other = TcpStream::connect(address).unwrap();
    lab.until("the other program is served", |lab| {
        lab.live(Side::Server, "connected") == "2"
    });
    drop(other);
    lab.finished();
}

#[test]
fn lesson_2_the_pool() {
    let mut lab = Lab::start("the-pool", "l2");
    the_pool(&mut lab);
}

/// Lesson 2 from its first step to its end.
pub(crate) fn the_pool(lab: &mut Lab) {
    let address = lab.listen();
    lab.answer(Side::Server, "1", "2");
    lab.at_step(2);
    lab.connect(address, "Connect");
    lab.at_step(3);
    lab.until_asking(Side::Server, "the question on connected sockets");
    lab.step();
    assert!(
        lab.server
            .query_by_label_contains("right, your answer matched")
            .is_none(),
        "the verdict on step 1's answer is gone when step 3's question opens"
    );
    lab.answer(Side::Server, "2", "1");
    lab.at_step(4);
    input(&lab.server, "Min:").set_value_accesskit(5.0);
    lab.step();
    lab.until_asking(Side::Server, "the question on AddSocket");
    // Min went from 2 to 5 with two idle: three AddSocket events.
    lab.answer(Side::Server, "5", "3");
    lab.finished();
}

/// `ss -ltn` says how many connections wait in the accept queue of the listener on `port`
/// (Recv-Q of a listening socket), independently of the window.
fn accept_queue_by_ss(port: u16) -> Option<u64> {
    let output = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{port}")])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|recv_q| recv_q.parse().ok())
}

#[test]
fn lesson_3_max_and_the_backlog() {
    let mut lab = Lab::start("max-and-backlog", "l3");
    max_and_the_backlog(&mut lab);
}

/// Lesson 3 from its first step to its end.
pub(crate) fn max_and_the_backlog(lab: &mut Lab) {
    let address = lab.listen_and_connect("Connect ×6");
    lab.at_step(3);
    lab.until_asking(Side::Server, "the question on the accept queue");
    // What the kernel says, read with `ss` (when the test machine has it), is the answer.
    let waiting = accept_queue_by_ss(address.port()).map_or_else(
        || lab.live(Side::Server, "accept_queue.waiting"),
        |n| n.to_string(),
    );
    lab.until("the window sees what ss sees", |lab| {
        lab.live(Side::Server, "accept_queue.waiting") == waiting
    });
    lab.answer(Side::Server, "6", &waiting);
    lab.at_step(4);
    input(&lab.server, "Max:").set_value_accesskit(1.0);
    lab.step();
    // Lowering Max closed nothing: both served clients are still connected.
    lab.answer(Side::Server, "1", "2");
    lab.at_step(5);
    lab.click_client("Close all");
    lab.finished();
}

#[test]
fn lesson_4_why_a_serversocket() {
    let mut lab = Lab::start("why-a-serversocket", "l4");
    why_a_serversocket(&mut lab);
}

/// Lesson 4 from its first step to its end.
pub(crate) fn why_a_serversocket(lab: &mut Lab) {
    lab.listen_and_connect("Connect ×20");
    lab.answer_a_live_count(
        Side::Client,
        "the question on the naive burst",
        "errors",
        "the naive server lost part of the burst",
    );
    lab.at_step(3);
    lab.click_client("Close all");
    lab.at_step(4);
    // The step stops the naive server itself: its pool settings are not shown beside a naive
    // listener's chips.
    lab.until("the naive server stopped", |lab| {
        lab.server.query_by_label("Listen").is_some()
    });
    assert!(lab.server.query_by_label_contains("Naive mode").is_none());
    let address = lab.listen();
    lab.at_step(5);
    lab.until("the client's list is cleared for the second burst", |lab| {
        lab.client.query_by_label("0 failed").is_some()
    });
    lab.connect(address, "Connect ×20");
    lab.answer(Side::Client, "1", "0");
    lab.finished();
}

/// Lesson 9 captures packets: CI runs as root, which may.
#[test]
fn lesson_9_the_packets() {
    let mut lab = Lab::start("the-packets", "l9");
    // Step 1 speaks of the Packets view and turned its capture on: the view is in front.
    lab.step();
    assert!(
        lab.server.query_by_label("Capture packets").is_some(),
        "the server shows the Packets view"
    );
    lab.listen_and_connect("Connect");
    lab.at_step(3);
    // The step is the learner's to do: the lesson does not stop the server itself, so the
    // connection of step 2 stays up until then.
    assert_eq!(lab.live(Side::Server, "listening"), "yes");
    lab.click_server("Stop Listening");
    lab.at_step(4);
    lab.click_client("Connect");
    lab.finished();
}

#[test]
fn lesson_5_errors() {
    let mut lab = Lab::start("errors", "l5");
    lab.at_step(1);
    // The lesson's closed port, unless this machine listens there: then any closed port.
    let closed = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    if TcpStream::connect("127.0.0.1:2999").is_ok() {
        lab.client_port(closed);
    }
    lab.click_client("Connect");
    lab.answer(Side::Client, "103", "102");
    lab.at_step(2);
    lab.click_client("Connect");
    lab.answer(Side::Client, "102", "103");
    lab.at_step(3);
    // Another program holds the server's port (nc -l in the lesson), one the learner chose:
    // the lesson keeps it (their 2002 may be taken on a shared machine).
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let held = holder.local_addr().unwrap().port().to_string();
    input(&lab.server, "Port:").set_text_value_accesskit(&held);
    lab.step();
    lab.click_server("Listen");
    lab.answer(Side::Server, "107", "105");
    drop(holder);
    lab.at_step(4);
    lab.click_server("Listen");
    lab.until(
        "port 80: error 107, or listening as an administrator",
        |lab| {
            lab.panel(Side::Server)
                .run()
                .is_some_and(|run| run.step_index() == 4)
        },
    );
    lab.step();
    // An administrator may listen on port 80: stop it, as the next step says, if the window
    // still offers to (the step stops it too). Read from the window, not the lesson's value
    // of it, which is behind until the Stopped event comes.
    if lab.server.query_by_label("Stop Listening").is_some() {
        lab.click_server("Stop Listening");
    }
    lab.until("Listen is back", |lab| {
        lab.server.query_by_label("Listen").is_some()
    });
    assert_eq!(
        port_field(&lab.server),
        held,
        "step 5 puts back the learner's port of before port 80"
    );
    // Back on a port that works: any free one (0), as a learner whose 2002 is taken by a
    // demo on this machine would choose.
    input(&lab.server, "Port:").set_text_value_accesskit("0");
    lab.step();
    let address = lab.listen();
    lab.at_step(6);
    assert_eq!(
        port_field(&lab.client),
        ClientSettings::default().port,
        "step 6 puts back the client's port of before the closed port 2999"
    );
    lab.connect(address, "Connect");
    lab.until("the client connected", |lab| {
        lab.client.state().log().contains("connected.")
    });
    lab.click_server("Disconnect all");
    lab.finished();
}

#[test]
fn lesson_6_closing() {
    let (mut lab, _) = Lab::connected_at_step_2("closing", "l6", "Connect");
    lab.at_step(3);
    lab.until("greeted", |lab| {
        lab.client.state().log().contains("From the server socket")
    });
    lab.click_server("Disconnect all");
    lab.answer_a_live_count(
        Side::Server,
        "the server's question",
        "time_wait",
        "the side that closed first holds TIME_WAIT",
    );
    lab.at_step(4);
    lab.click_client("Connect");
    lab.until("greeted again", |lab| {
        lab.client
            .state()
            .log()
            .entries()
            .iter()
            .filter(|e| e.line.contains("From the server socket"))
            .count()
            >= 2
    });
    lab.click_client("Close all");
    lab.answer_a_live_count(
        Side::Client,
        "the client's question",
        "time_wait",
        "now the client closed first and holds TIME_WAIT",
    );
    lab.finished();
}

#[test]
fn lesson_7_the_byte_stream() {
    let mut lab = Lab::start("the-byte-stream", "l7");
    lab.click_client("Stream");
    lab.at_step(2);
    lab.until("the stream's connection", |lab| {
        lab.client.query_by_label("Stop reading").is_some()
    });
    lab.click_client("Stop reading");
    lab.at_step(3);
    lab.click_client("Write ×3");
    // The writes reach the receiver's queue while it does not read: all three are drawn, and
    // (where the kernel's view is read) the 18 bytes wait unread in its Recv-Q.
    lab.until("three writes waiting unread", |lab| {
        lab.client
            .query_by_label("write 3: bytes 12 to 18 (6 bytes)")
            .is_some()
            && (cfg!(not(target_os = "linux"))
                || lab
                    .client
                    .query_by_label_contains("receiver's Recv-Q 18 bytes unread")
                    .is_some())
    });
    lab.click_client("Stop reading");
    lab.until_asking(Side::Client, "the question on reads");
    let reads = lab.live_count_reads();
    lab.answer_after_a_wrong_one(Side::Client, &reads);
    lab.at_step(4);
    // A learner clears the lanes first: the writes after it are the step's news all the same
    // (the lesson reads the lanes by position, and they start again at the Clear).
    lab.click_client("Clear");
    lab.click_client("Write ×3");
    lab.answer(Side::Client, "1", "3");
    lab.finished();
    // The Stream view's steps have their times, as the sockets' steps do (they had none).
    let report = lab.panel(Side::Client).report();
    for step in ["**1.**", "**2.**", "**3.**", "**4.**"] {
        let line = report
            .lines()
            .find(|line| line.contains(step))
            .unwrap_or_default();
        assert!(line.contains("— done at "), "{line}");
    }
}

#[test]
fn a_lesson_is_remembered_between_runs_and_reset_starts_it_again() {
    let dir = std::env::temp_dir().join(format!("lessons-resume-{}", std::process::id()));
    let sync = LessonSync::new(&dir);
    let mut panel = LessonPanel::following(Side::Server, sync.clone());
    panel.start("listening").unwrap();
    let listening = serde_json::json!({"event": "listening", "address": "127.0.0.1:2002", "handle": 3, "min": 2, "max": 10, "ts": "2026-12-07T07:00:00.000000Z"});
    panel.observe_record(listening);
    assert_eq!(panel.submit_answer("2002"), Some(true));
    let saved = panel.saved();
    assert_eq!(
        (saved.lesson.as_deref(), saved.step),
        (Some("listening"), 1)
    );
    let resumed = LessonPanel::new(Side::Server, None, Some(sync), &saved);
    assert_eq!(
        resumed
            .run()
            .map(serversocket_lessons::LessonRun::step_index),
        Some(1)
    );
    assert!(
        panel.report().contains("- [x] **1.**"),
        "{}",
        panel.report()
    );
    // The resumed run's report keeps what the app knew of it before it closed: the answer,
    // when the step was done and how the lesson began (all were gone, the progress kept), and
    // says that its event log starts again.
    let report = resumed.report();
    for kept in [
        "Started in the server window",
        "- [x] **1.**",
        "Answered `2002` (right",
        "Resumed at step 2 when the app started again",
    ] {
        assert!(report.contains(kept), "{kept:?} in {report}");
    }
    let step_1 = report
        .lines()
        .find(|line| line.contains("**1.**"))
        .unwrap_or_default();
    assert!(
        step_1.contains("— done at 2026-12-07T07:00:00.000000Z"),
        "{step_1}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lesson_8_tls() {
    // The server makes (or reuses) its self-signed certificate in this user's data folder, as
    // the app does for a learner.
    let mut lab = Lab::start("tls", "l8");
    tls(&mut lab);
}

/// Lesson 8 from its first step to its end.
pub(crate) fn tls(lab: &mut Lab) {
    let address = lab.listen_and_connect("Connect");
    lab.answer(Side::Client, "103", "102");
    lab.at_step(3);
    lab.click_client("Connect");
    lab.until_asking(Side::Client, "the client's question");
    let protocol = lab.live(Side::Client, "tls.protocol");
    assert!(protocol.contains("TLS"), "{protocol}");
    lab.answer(Side::Client, "SSL2", &protocol);
    lab.at_step(4);
    // A client that speaks plain text (`nc` in the lesson).
    let mut plain = TcpStream::connect(address).unwrap();
    std::io::Write::write_all(&mut plain, b"hello\n").unwrap();
    lab.finished();
    drop(plain);
}

/// Lesson 4's step 3 ("close all clients") is the client window's: the server window, which
/// never receives the client's values, does not tick it while clients are still connected
/// (on empty values `connected == 0` would hold); it follows once the client window has done it.
#[test]
fn a_step_of_the_other_window_is_never_ticked_by_this_one() {
    let mut lab = Lab::start("why-a-serversocket", "other-side");
    lab.listen_and_connect("Connect ×20");
    lab.answer_a_live_count(
        Side::Client,
        "the question on the naive burst",
        "errors",
        "the naive server lost part of the burst",
    );
    lab.at_step(3);
    lab.until("a greeted client still connected", |lab| {
        lab.live(Side::Client, "connected") != "0"
    });
    for _ in 0..20 {
        lab.step();
        let at = |panel: &LessonPanel| panel.run().map(serversocket_lessons::LessonRun::step_index);
        assert_eq!(
            at(lab.panel(Side::Server)),
            Some(2),
            "the server window waits at step 3 while the client window has clients connected"
        );
        assert_eq!(at(lab.panel(Side::Client)), Some(2));
    }
    assert!(
        lab.server.query_by_label_contains("Skip step").is_some(),
        "the waiting window offers Skip"
    );
    lab.click_client("Close all");
    lab.at_step(4);
}

//! Sending and watching: the send box (escapes, repeats, history), a file larger than the send
//! queue, the log written to a file as it happens, the Stream view's segments, the timeline.

use egui_kittest::kittest::Queryable;
use serversocket::Event;
use serversocket::seed::{SERVER_GREETING, client_hello};
use serversocket_ui::RowState;
use test_support::kittest;

use super::{Server, connect_burst, greeted, run_until, window};
use crate::window::{ClientSettings, ClientWindow};
use test_support::kittest::click;
use test_support::kittest::shows;

#[test]
fn the_send_box_writes_escapes_to_every_connected_socket_repeated_and_keeps_a_history() {
    let mut server = Server::start();
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
    // The bytes sent, as text that reads back as them (`\x21` was `!`).
    assert_eq!(harness.state().send_box.history, ["ping!;"]);
    harness.step();
    assert!(
        harness.query_by_label("ping!;").is_some(),
        "the history button"
    );

    // The history outlives the window: saved with the settings, back in the next run's box.
    let remembered: ClientSettings = kittest::remembered(harness.state_mut());
    let next_run = ClientWindow::new(remembered).unwrap();
    assert_eq!(next_run.send_box.history, ["ping!;"]);
}

/// A window with one socket connected to `server`, its automatic replies off.
fn one_connected_without_replies(server: &Server) -> egui_kittest::Harness<'static, ClientWindow> {
    let mut harness = window(server.port);
    harness.state_mut().settings.reply = false;
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "connected", |w| {
        w.client.rows.count(RowState::Connected) == 1
    });
    harness
}

/// A send repeated ×100 every second shows how far it is and stops on Stop repeating (it ran
/// on unseen, and only closing the socket stopped it; each click started another).
#[test]
fn a_repeated_send_shows_how_far_it_is_and_stops() {
    let server = Server::start();
    let mut harness = one_connected_without_replies(&server);
    harness.state_mut().send_box.text = r"tick\n".to_owned();
    harness.state_mut().send_box.times = 100;
    harness.state_mut().send_box.interval_ms = 1000;
    harness.step();
    harness.get_by_label("Send to sockets").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Repeating: 1 of 100 sent, to 1 socket")
            .is_some()
    );
    harness.get_by_label("Stop repeating").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Stop repeating").is_none());
    assert!(harness.state_mut().client.repeating().is_none());
    assert_eq!(harness.state().client.rows.count(RowState::Connected), 1);
}

/// With no socket connected the Send buttons are off and say why: a click did nothing, not
/// even a log line, and the text went into the history as if sent.
#[test]
fn the_send_buttons_are_off_while_no_socket_is_connected() {
    use egui_kittest::kittest::NodeT as _;

    let mut harness = window(1);
    harness.state_mut().send_box.text = "nobody".to_owned();
    harness.state_mut().send_box.file = "/etc/hostname".to_owned();
    harness.run_steps(2);
    for button in ["Send to sockets", "Send file"] {
        assert!(
            harness.get_by_label(button).accesskit_node().is_disabled(),
            "{button}"
        );
    }
    harness.get_by_label("Send:").click();
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert!(harness.state().send_box.history.is_empty());
}

#[test]
fn send_file_sends_a_file_larger_than_the_send_queue_whole_with_a_progress_bar() {
    let mut server = Server::start();
    let mut harness = one_connected_without_replies(&server);
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
    let whole = test_support::within_patience(|| {
        while let Some(event) = server.events.try_recv() {
            if let Event::Data { bytes, .. } = event {
                received += bytes;
            }
        }
        harness.step();
        (received >= expected).then_some(())
    });
    assert!(
        whole.is_some(),
        "the server got {received} of {expected} bytes"
    );
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

/// Send file reads with `--send-file`'s reader: `/dev/zero`, a FIFO nobody writes to, a
/// folder and a missing file are refused under the file's row, in words, with no progress
/// bar, and the window goes on; none is taken for a network error ("Error = 100").
#[cfg(unix)]
#[test]
fn send_file_refuses_a_device_a_fifo_and_a_folder_without_waiting_on_them() {
    let server = Server::start();
    let mut harness = one_connected_without_replies(&server);
    let fifo = std::env::temp_dir().join(format!("send-box-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo");
    let folder = std::env::temp_dir();
    for (path, kind) in [
        (std::path::Path::new("/dev/zero"), "a device"),
        (fifo.as_path(), "a FIFO"),
        (folder.as_path(), "a folder"),
    ] {
        harness.state_mut().send_box.file = path.display().to_string();
        harness.step();
        harness.get_by_label("Send file").click();
        harness.run_steps(2);
        assert!(
            harness.state().client.file_sends.is_empty(),
            "no bar for {kind}"
        );
        let said = format!("{} is not a regular file ({kind})", path.display());
        assert!(
            harness.query_by_label_contains(&said).is_some(),
            "said under the file's row: {said}"
        );
    }
    let empty = test_support::empty_folder("send-box-missing");
    let missing = empty.join("no-such-file-to-send");
    harness.state_mut().send_box.file = missing.display().to_string();
    harness.step();
    harness.get_by_label("Send file").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("cannot send the file")
            .is_some()
    );
    assert!(!harness.state().client.log.contains("Error = 100"));
    // Still connected and serving: nothing waited on the FIFO.
    assert_eq!(harness.state().client.rows.count(RowState::Connected), 1);
    std::fs::remove_file(&fifo).unwrap();
    let _ = std::fs::remove_dir_all(&empty);
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
    run_until(&mut harness, "greeted", |w| greeted(w, 0));
    // The writer thread is asynchronous: wait (bounded) until the file holds the greeting.
    let wanted = format!("Socket 0: {SERVER_GREETING}");
    let written = test_support::within_patience(|| {
        harness.step();
        std::fs::read_to_string(&path)
            .is_ok_and(|text| text.contains(&wanted))
            .then_some(())
    });
    assert!(written.is_some(), "the file lacks {wanted}");
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
    click(&mut harness, "Stream");
    click(&mut harness, "Stop reading");
    // Three writes of "hello\n" while the receiver does not read…
    harness.get_by_label("Write ×3").click();
    run_until(&mut harness, "three writes", |w| {
        w.stream.view.lanes.writes.len() == 3
    });
    // The kernel's view: the 18 bytes wait in the receiver's Recv-Q, unread.
    #[cfg(target_os = "linux")]
    {
        run_until(&mut harness, "18 bytes in the receiver's Recv-Q", |w| {
            w.stream.view.queues == Some((18, 0))
        });
        harness.run();
        assert!(shows(&harness, "receiver's Recv-Q 18 bytes unread"));
    }
    // …then it reads again: however the reads fell, they hold the same 18 bytes in order.
    harness.get_by_label("Stop reading").click();
    run_until(&mut harness, "all 18 bytes read", |w| {
        w.stream
            .view
            .lanes
            .reads
            .last()
            .is_some_and(|r| r.start + r.len == 18)
    });
    harness.run();
    let view = &harness.state().stream.view;
    let writes = view.lanes.writes.clone();
    let reads = view.lanes.reads.clone();
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
    // Clear starts afresh: three more writes are numbered from 1, placed from byte 0, and the
    // count says only them (it had kept the cleared bytes and an empty band for them).
    click(&mut harness, "Clear");
    harness.get_by_label("Write ×3").click();
    run_until(&mut harness, "three more writes read", |w| {
        w.stream.view.lanes.writes.len() == 3 && w.stream.view.lanes.bytes_read() == 18
    });
    harness.run();
    assert!(
        harness
            .query_by_label("write 1: bytes 0 to 6 (6 bytes)")
            .is_some()
    );
    assert!(shows(&harness, "3 writes, "), "the count starts again");
    assert!(shows(&harness, ", 18 bytes"), "the count starts again");
}

#[test]
fn the_timeline_counts_a_refused_burst_and_marks_it() {
    let free_port = test_support::free_port();
    let mut harness = window(free_port);
    connect_burst(&mut harness, 3);
    run_until(&mut harness, "three refusals", |w| {
        w.timeline().total(crate::window::FAILED) == 3
    });
    let timeline = harness.state().timeline();
    assert_eq!(timeline.total(crate::window::CONNECTS), 0);
    assert_eq!(timeline.level(crate::window::CONNECTING), Some(0.0));
    assert_eq!(timeline.markers().collect::<Vec<_>>(), vec!["Connect ×3"]);
}

#[test]
fn the_timeline_follows_sockets_connecting_and_connected() {
    let server = Server::start();
    let mut harness = window(server.port);
    connect_burst(&mut harness, 4);
    run_until(&mut harness, "four connected", |w| {
        w.timeline().level(crate::window::CONNECTED) == Some(4.0)
    });
    assert_eq!(harness.state().timeline().total(crate::window::CONNECTS), 4);
    assert_eq!(harness.state().timeline().total(crate::window::FAILED), 0);
    harness.get_by_label("Close all").click();
    run_until(&mut harness, "none connected", |w| {
        w.timeline().level(crate::window::CONNECTED) == Some(0.0)
    });
}

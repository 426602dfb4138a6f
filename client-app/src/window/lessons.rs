//! The client window's side of a lesson: the settings a step applies to the client, and the
//! Stream view's writes and reads as records a step can wait for. (The Lessons panel itself is
//! the shell's: `serversocket_ui::shell`.)

use serde_json::json;
use serversocket::TcpSocket;
use serversocket_lessons::Settings;
use serversocket_lessons::observed::stream_events;

use super::ClientWindow;

/// How much of the Stream view a lesson has seen: writes, reads, messages, and whether it
/// was opened.
#[derive(Debug, Default)]
pub(super) struct StreamSeen {
    opened: bool,
    /// 'Stop reading' was ticked.
    stopped: bool,
    writes: usize,
    reads: usize,
    messages: usize,
}

/// What a step sets, as if the learner had typed it. Server settings are the server's.
pub(super) fn apply(window: &mut ClientWindow, settings: &Settings) {
    if settings.close_all == Some(true) {
        // As the learner would: Close all, then Remove closed. Sockets that finished before
        // (a burst's failures) leave the list and its counts now; those closing now leave it
        // as soon as they are closed.
        window.client.sockets.iter().for_each(TcpSocket::close);
        window.client.remove_closed();
        window.client.rows.forget_all();
        // Nothing of before stays in the way: a log shown for a socket that is gone would hide
        // the new sockets' lines, an offer to trust the last lesson's certificate is stale, and
        // the Stream view's window would cover the controls a step points at.
        window.log_view.socket_filter = None;
        window.trust_offer = None;
        window.stream.open = false;
    }
    settings.apply_port(
        &mut window.settings.port,
        &mut window.settings.lesson_port_before,
    );
    if let Some(host) = &settings.host {
        window.settings.address.clone_from(host);
    }
    if let Some(burst) = settings.burst {
        window.settings.burst = burst;
    }
    if let Some(tls) = settings.tls {
        window.tls.set_enabled(tls);
    }
    match settings.tls_insecure {
        Some(true) => window.tls.set_insecure(true),
        // Checked against the system's roots alone: a pin or CA file of before ("Trust this
        // certificate" in an earlier try) would let the step's refused handshake succeed.
        Some(false) => window.tls.trust_system_roots_only(),
        None => {}
    }
    if let Some(capture) = settings.capture {
        window.packets_window.view.capture = capture;
        window.switch_capture(capture);
    }
}

impl ClientWindow {
    /// The Stream view's news since the last frame, as records (`stream_ready`,
    /// `stream_write`, `stream_read`, `stream_message`, `stream_paused`, `stream_resumed`) for
    /// a lesson's steps.
    pub(super) fn stream_to_lesson(&mut self) {
        let (view, open) = (&self.stream.view, &self.stream.open);
        let seen = &mut self.stream_seen;
        let mut records = Vec::new();
        // Each opening is news: a lesson begun while the view was open (and so closed by the
        // fresh start) sees it opened again.
        if *open && !seen.opened {
            records.push(json!({"event": stream_events::READY}));
        }
        seen.opened = *open;
        // A step counts the reads from when the receiver stopped reading: reads of writes
        // before it were counted as the answer (4, where the lanes showed 1).
        if view.reading == seen.stopped {
            seen.stopped = !view.reading;
            let event = if seen.stopped {
                stream_events::PAUSED
            } else {
                stream_events::RESUMED
            };
            records.push(json!({ "event": event }));
        }
        for write in view.lanes.writes.iter().skip(seen.writes) {
            records.push(
                json!({"event": stream_events::WRITE, "index": write.index, "bytes": write.len}),
            );
        }
        for read in view.lanes.reads.iter().skip(seen.reads) {
            records.push(
                json!({"event": stream_events::READ, "index": read.index, "bytes": read.len}),
            );
        }
        for message in view.reassembler.messages.iter().skip(seen.messages) {
            records.push(json!({"event": stream_events::MESSAGE, "text": message}));
        }
        seen.writes = view.lanes.writes.len();
        seen.reads = view.lanes.reads.len();
        seen.messages = view.reassembler.messages.len();
        // Stamped like the sockets' records, so the report gives the step a time.
        let ts = serversocket_report::stamp(std::time::SystemTime::now());
        for mut record in records {
            record["ts"] = json!(ts);
            self.shell.lessons.observe_record(record);
        }
    }
}

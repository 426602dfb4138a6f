//! Events as JSON lines for scripts: one object a line, each with `event` and `ts`. The schema
//! is a public contract (docs/headless.md): scripts parse it.

use std::time::SystemTime;

use serde_json::{Value, json};
use serversocket::Event;

/// How many characters of a chunk a JSON `data` record's `text` holds. A longer chunk's text is
/// cut there and the record says `"cut": true`; `bytes` is still the whole chunk's length. Without
/// a cut, 10 MiB of random bytes would make some 24 MB of JSON.
pub const JSON_TEXT_CHARS: usize = 4096;

/// The JSON line for an event, or `None` for events outside the schema (connecting, progress,
/// released, limits, a connection's kernel state, a TLS handshake under way).
#[must_use]
pub fn json_record(event: &Event, at: SystemTime) -> Option<Value> {
    let ts = crate::json_line::stamp(at);
    Some(match event {
        Event::Listening {
            address,
            handle,
            min,
            max,
        } => json!({
            "event": "listening", "ts": ts, "address": address.to_string(),
            "min": min, "max": max, "handle": handle,
        }),
        Event::AddSocket { socket } => json!({"event": "add_socket", "ts": ts, "socket": socket}),
        Event::Connected {
            socket,
            local,
            remote,
        } => json!({
            "event": "connected", "ts": ts, "socket": socket,
            "remote": remote.to_string(), "local": local.to_string(),
        }),
        Event::Data {
            socket,
            data,
            bytes,
        } => {
            let text = String::from_utf8_lossy(data);
            match text.char_indices().nth(JSON_TEXT_CHARS) {
                Some((cut, _)) => json!({
                    "event": "data", "ts": ts, "socket": socket,
                    "bytes": bytes, "text": &text[..cut], "cut": true,
                }),
                None => json!({
                    "event": "data", "ts": ts, "socket": socket,
                    "bytes": bytes, "text": text,
                }),
            }
        }
        Event::SendComplete {
            socket,
            user_aborted,
        } => json!({
            "event": "send_complete", "ts": ts, "socket": socket, "user_aborted": user_aborted,
        }),
        Event::Closed { socket } => json!({"event": "closed", "ts": ts, "socket": socket}),
        Event::Secured { socket, tls } => json!({
            "event": "tls", "ts": ts, "socket": socket, "protocol": tls.protocol,
            "cipher": tls.cipher, "handshake_ms": millis(tls.handshake),
        }),
        Event::Error { socket, error } => {
            let mut record = json!({
                "event": "error", "ts": ts, "code": error.code(),
                "meaning": error.meaning(), "message": error.to_string(),
            });
            if let (Some(socket), Some(fields)) = (socket, record.as_object_mut()) {
                fields.insert("socket".to_owned(), json!(socket));
            }
            record
        }
        Event::Accepted { remote, handoff_in } => json!({
            "event": "accepted", "ts": ts, "remote": remote.to_string(),
            "handoff_in_ms": u64::try_from(handoff_in.as_millis()).unwrap_or(u64::MAX),
        }),
        Event::AcceptQueue {
            waiting,
            capacity,
            syn_recv,
            overflows,
        } => json!({
            "event": "accept_queue", "ts": ts, "waiting": waiting, "capacity": capacity,
            "syn_recv": syn_recv, "overflows": overflows,
        }),
        Event::Stopped => json!({"event": "stopped", "ts": ts}),
        Event::ListenerClosed => json!({"event": "listener_closed", "ts": ts}),
        Event::ListenerReopened { handle } => {
            json!({"event": "listener_reopened", "ts": ts, "handle": handle})
        }
        Event::Note { socket, text } => {
            json!({"event": "note", "ts": ts, "socket": socket, "text": text})
        }
        // Outside the schema: Connecting, Handshaking, SendProgress, KernelState, Released,
        // LimitsChanged, and any event kind the core adds later until it is added here.
        _ => return None,
    })
}

/// A duration in milliseconds to the microsecond (`4.213`), as a person reads it.
fn millis(duration: std::time::Duration) -> f64 {
    u32::try_from(duration.as_micros()).map_or(f64::MAX, f64::from) / 1000.0
}

/// The line that says `count` lines of output were dropped because their reader fell behind:
/// `{"event":"dropped","ts":…,"count":N}` with `json`, words otherwise. `at` is when the last
/// of them was printed: the note takes their place in the output, so its `ts` keeps the
/// stamps in order.
#[must_use]
pub fn dropped_line(json: bool, count: u64, at: SystemTime) -> String {
    if json {
        let ts = crate::json_line::stamp(at);
        json!({"event": "dropped", "ts": ts, "count": count}).to_string()
    } else {
        format!(
            "{count} lines of output were dropped: whoever reads this output fell behind, and the program does not wait for it."
        )
    }
}

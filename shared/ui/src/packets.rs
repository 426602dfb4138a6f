//! A window's capture, apart from how it is drawn: started with the server's port (Listen in
//! the server's window, Connect in the client's) when the learner asks for it, its segments
//! taken each frame (whether or not a frame is drawn), tied to their sockets by the window's
//! Connected events, kept in bounded rings for the Packets view (and handed to a lesson as
//! `segment` records), and exported as pcapng; and the Packets concept both concepts panels
//! explain.
//!
//! A capture that cannot start says why in one line ([`Packets::problem`]: the command that
//! grants CAP_NET_RAW, or "not available"), and everything else runs as before.

use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serversocket::{Event, SocketId, TcpSocket};
use serversocket_capture::capture::Waker;
use serversocket_capture::{Capture, Conversations, End, Rings, Seen, Tally, pcapng};

/// The concept both concepts panels explain, under this title.
pub const CONCEPT_TITLE: &str = "Packets: SYN, ACK, FIN, RST";

/// What moves between the two ends, in plain words, for both concepts panels.
pub const CONCEPT: &str = "What moves between client and server, segment by segment (the Packets view, with Capture packets on). A connection opens with three: the client's SYN, the server's SYN-ACK (sent by its kernel, before any socket accepts), and the client's ACK, which puts the connection in the server's accept queue: the client is Connected from then on. Data goes out with PSH and comes back acknowledged by an ACK. Each side that closes sends a FIN, which the other acknowledges. A RST refuses a connection (nothing listens there: the naive server's listener is closed between connections) or tears one down at once. A SYN that gets no answer (a full accept queue drops it without a word) is sent again by the client's kernel after 1 s, then again ever more slowly (how often depends on the kernel).";

/// The concept's "Now:" line: what the capture counted, or how to start one.
#[must_use]
pub fn concept_now(packets: &Packets) -> String {
    if let Some(problem) = packets.problem() {
        return format!("no capture: {problem}");
    }
    if !packets.is_capturing() {
        return "no capture runs: turn on Capture packets in the Packets view (it needs CAP_NET_RAW).".to_owned();
    }
    let tally = packets.tally();
    format!(
        "{} RST and {} SYN sent again since the capture began; select a socket to see its connection in the Packets view.",
        tally.resets, tally.syn_retransmits
    )
}

/// How many segments a frame takes at most: the rest wait for the next frame.
const FRAME_SEGMENTS: usize = 4096;

/// A window's capture and the segments it kept.
#[derive(Debug)]
pub struct Packets {
    /// Which end this window is.
    end: End,
    /// The capture while one runs.
    capture: Option<Capture>,
    /// Ties the segments to the window's sockets; new for each capture.
    conversations: Conversations,
    /// The segments kept for the view and the export.
    rings: Rings,
    /// Why no capture runs although one was asked for, in one line.
    problem: Option<String>,
    /// The last export's outcome, written by its thread.
    exported: Arc<Mutex<Option<String>>>,
    /// The port of the last capture started.
    port: u16,
    /// Segments kept since the window last asked ([`Packets::take_records`]), for a lesson.
    fresh: Vec<Seen>,
}

impl Packets {
    /// No capture yet, for the window of `end`.
    #[must_use]
    pub fn new(end: End) -> Self {
        Self {
            end,
            capture: None,
            conversations: Conversations::new(end, 0),
            rings: Rings::default(),
            problem: None,
            exported: Arc::default(),
            port: 0,
            fresh: Vec::new(),
        }
    }

    /// Starts capturing `port` for `program` (`server-app`), forgetting an earlier capture's
    /// segments; `waker` repaints the window when segments come. A server's capture keeps the
    /// connections to `listening_on` (its address, when it listens on one).
    pub fn start(&mut self, port: u16, listening_on: Option<IpAddr>, program: &str, waker: Waker) {
        self.capture = None;
        self.rings.clear();
        let conversations = Conversations::new(self.end, port);
        self.conversations = match listening_on {
            Some(ip) => conversations.listening_on(ip),
            None => conversations,
        };
        self.port = port;
        match Capture::start_waking(port, program, waker) {
            Ok(capture) => {
                self.capture = Some(capture);
                self.problem = None;
            }
            Err(error) => self.problem = Some(error.to_string()),
        }
    }

    /// Ties the connections `sockets` already hold to them: made before this capture began,
    /// no Connected will come for them (and a client's capture keeps only what it can tie).
    pub fn tie_existing<'s>(&mut self, sockets: impl IntoIterator<Item = &'s TcpSocket>) {
        let mut seen = Vec::new();
        for socket in sockets {
            if let (Some(local), Some(remote)) = (socket.local_address(), socket.remote_address()) {
                self.conversations
                    .tie(local, remote, socket.id(), &mut seen);
            }
        }
        self.keep(seen);
    }

    /// Stops capturing; what was kept stays for the view and the export.
    pub fn stop(&mut self) {
        self.capture = None;
        self.conversations.release_all(&mut Vec::new());
    }

    /// The port captured (0 before the first capture).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether a capture runs.
    #[must_use]
    pub fn is_capturing(&self) -> bool {
        self.capture.is_some()
    }

    /// Why no capture runs although one was asked for.
    #[must_use]
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// Takes the segments captured since the last frame (at most `FRAME_SEGMENTS`).
    pub fn take(&mut self) {
        let now = Instant::now();
        let mut seen = Vec::new();
        if let Some(capture) = &self.capture {
            for segment in capture.segments().try_iter().take(FRAME_SEGMENTS) {
                self.conversations.add(segment, now, &mut seen);
            }
        }
        self.conversations.release_overdue(now, &mut seen);
        self.keep(seen);
    }

    /// Keeps `seen` for the view, and for a lesson until the window asks.
    fn keep(&mut self, seen: Vec<Seen>) {
        for seen in seen {
            // At most a frame's worth waits: a window asks every frame.
            if self.fresh.len() < FRAME_SEGMENTS {
                self.fresh.push(seen.clone());
            }
            self.rings.push(seen);
        }
    }

    /// The `segment` records of the segments kept since the last call, for a lesson's steps
    /// (`event segment(flags ~ "RST")`), as the headless `--capture` prints them.
    pub fn take_records(&mut self) -> Vec<serde_json::Value> {
        self.fresh
            .drain(..)
            .filter_map(|seen| {
                let line = serversocket_app::capture::segment_record(&seen).at(seen.segment.at);
                serde_json::to_value(&line).ok()
            })
            .collect()
    }

    /// What a window does each frame, drawn or not, as with its events: takes the segments
    /// captured since the last ([`Self::take`]) and hands the new ones to the lesson as
    /// `segment` records.
    pub fn take_for(&mut self, lessons: &mut crate::lesson_panel::LessonPanel) {
        self.take();
        for record in self.take_records() {
            lessons.observe_record(record);
        }
    }

    /// Ties the connection a Connected names to its socket.
    pub fn follow(&mut self, event: &Event) {
        let mut seen = Vec::new();
        self.conversations.follow(event, &mut seen);
        self.keep(seen);
    }

    /// The segments kept of `socket`'s connection, oldest first.
    #[must_use]
    pub fn of_socket(&self, socket: SocketId) -> Vec<&Seen> {
        self.rings.of_socket(socket).collect()
    }

    /// What moved a connection (named by its client's `port`) to `stage` of a server's
    /// pipeline: `SYN` for a connection arriving, `SYN-ACK, ACK` for one the kernel queued
    /// (the handshake's last two), and past the kernel its last segment's flags; `None`
    /// without a capture of it.
    #[must_use]
    pub fn moved_by(&self, port: u16, stage: Arrival) -> Option<String> {
        let segments: Vec<&Seen> = self.rings.of_client_port(port).collect();
        let first = |wanted: &dyn Fn(&Seen) -> bool| segments.iter().find(|s| wanted(s));
        match stage {
            Arrival::Arriving => {
                first(&|s| s.segment.flags.syn && !s.segment.flags.ack).map(|_| "SYN".to_owned())
            }
            Arrival::Queued => first(&|s| s.segment.flags.syn && s.segment.flags.ack)
                .map(|_| "SYN-ACK, ACK".to_owned()),
            Arrival::Beyond => segments.last().map(|s| s.segment.flags.to_string()),
        }
    }

    /// The last segment of `socket`'s connection (the pipeline's dot shows it).
    #[must_use]
    pub fn last_of(&self, socket: SocketId) -> Option<&Seen> {
        self.rings.last_of_socket(socket)
    }

    /// How many segments are kept in all.
    #[must_use]
    pub fn kept(&self) -> usize {
        self.rings.all().len()
    }

    /// RSTs and SYNs sent again since the capture began.
    #[must_use]
    pub fn tally(&self) -> Tally {
        self.conversations.tally()
    }

    /// Segments dropped because the window fell behind, and those the rings forgot.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.capture.as_ref().map_or(0, Capture::dropped) + self.rings.forgotten()
    }

    /// Writes every kept segment to `path` as pcapng, on a thread of its own (the window keeps
    /// drawing); [`Packets::exported`] says how it went.
    pub fn export(&self, path: &Path) {
        let segments: Vec<_> = self.rings.all().map(|seen| seen.segment.clone()).collect();
        let path = path.to_path_buf();
        let outcome = Arc::clone(&self.exported);
        *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some("exporting…".to_owned());
        let _ = std::thread::Builder::new()
            .name("export-pcapng".to_owned())
            .spawn(move || {
                let said = write_file(&path, &segments);
                *outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(said);
            });
    }

    /// The last export's outcome, in words.
    #[must_use]
    pub fn exported(&self) -> Option<String> {
        self.exported
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Where a connection is on its way into a server, as its segments tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Its SYN arrived: the handshake began.
    Arriving,
    /// The kernel sent SYN-ACK and got the final ACK: the connection waits in the accept
    /// queue.
    Queued,
    /// Accepted and past: whatever it sent or got last.
    Beyond,
}

/// Writes `segments` to `path` as pcapng; what happened, in words.
fn write_file(path: &Path, segments: &[serversocket_capture::Segment]) -> String {
    // Private (0600), as the headless --capture-file and every other export: the payloads
    // are the user's, and a link planted at the name is not written through.
    let written = serversocket_files::private_files::replace_private_file(path, |file| {
        pcapng::write_all(std::io::BufWriter::new(file), segments.iter()).map(drop)
    });
    match written {
        Ok(()) => format!(
            "{} segments written to {} (open it in Wireshark, or tshark -r)",
            segments.len(),
            path.display()
        ),
        Err(error) => format!("{}: {error}", path.display()),
    }
}

//! `--capture` and `--capture-file FILE` of both headless programs: every TCP segment of the
//! program's connections as a `segment` line (JSON, or words), tied to its socket once the
//! socket's Connected (a client's SynSent) names the connection's ends, and the same segments
//! written to a pcapng file when one is named: this program's connections only, never another
//! program's on the same port (another user's, when the program was granted the capability).
//!
//! A capture that cannot start (no CAP_NET_RAW, not Linux) is said in one line on stderr, with
//! the command that grants the capability, and the program runs on without it. A capture file
//! asked for and not written whole (refused, or a disk that filled) is said as it happens, the
//! capture's lines go on, and the program's exit status is 1: a script must not read a file
//! that is not there.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serversocket::Event;
use serversocket_capture::{Capture, CaptureError, CaptureFile, Conversations, Seen};
use serversocket_report::{Printer, Record};

/// How often held segments are looked at while nothing is captured: well within
/// [`serversocket_capture::conversation::HOLD`].
const TICK: Duration = Duration::from_millis(100);

/// How long a stopping program waits for its connections' last segments (the FINs and ACKs of
/// the goodbye it just started) before it stops capturing.
const LINGER: Duration = Duration::from_secs(1);

/// The capture flags both headless programs take.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CaptureArgs {
    /// With --headless: print a `segment` line for every TCP segment of this program's
    /// connections (SYN, SYN-ACK, data, FIN, RST and the rest). Needs CAP_NET_RAW: root, or once
    /// `sudo setcap cap_net_raw,cap_net_admin=eip $(command -v PROGRAM)`; without it the
    /// program says so, runs on, and exits 1 at the stop.
    #[arg(long)]
    pub capture: bool,
    /// With --headless: also write the segments printed to FILE as pcapng (Wireshark,
    /// tshark -r). Implies --capture.
    #[arg(long, value_name = "FILE")]
    pub capture_file: Option<PathBuf>,
}

impl CaptureArgs {
    /// Whether a capture is asked for.
    #[must_use]
    pub fn wanted(&self) -> bool {
        self.capture || self.capture_file.is_some()
    }

    /// How a program whose capture never ran ends: a failure when one was asked for
    /// (`--capture` or `--capture-file`; the start said why on stderr), so a script that asked
    /// for segments and got none, or for a file that was never made, can tell from the exit
    /// status alone.
    ///
    /// # Errors
    /// [`CaptureFailed`] when a capture was asked for.
    pub fn without_capture(&self) -> Result<(), CaptureFailed> {
        if self.wanted() {
            Err(CaptureFailed)
        } else {
            Ok(())
        }
    }
}

/// A headless program's capture: the segments as this program sees them, printed.
pub struct HeadlessCapture {
    /// The capture's thread and channel.
    capture: Capture,
    /// The pcapng file asked for, unless it was refused.
    file: Option<CaptureFile>,
    /// Ties segments to sockets and numbers them.
    conversations: Conversations,
    /// Segments ready to print.
    ready: Vec<Seen>,
    /// The program's name, for what is said on stderr.
    program: String,
    /// The file's failure was said (once, as it happened): at the start when it was refused,
    /// or when a write failed.
    told_file_error: bool,
    /// The first gap in the captured segments was said (the count comes at the stop).
    told_gap: bool,
}

impl HeadlessCapture {
    /// Starts the capture `args` ask for, before the program's
    /// first socket; `None` when none is asked for, or when it cannot start (said on stderr
    /// in one line: the program runs on). `conversations` name the port and the connections
    /// to keep (a server's on the address it listens on).
    #[must_use]
    pub fn start(args: &CaptureArgs, program: &str, conversations: Conversations) -> Option<Self> {
        if !args.wanted() {
            return None;
        }
        let started = Capture::start(conversations.port(), program);
        let mut file_refused = false;
        let file = match (&started, args.capture_file.as_deref()) {
            (Ok(_), Some(path)) => match CaptureFile::create(path) {
                Ok(file) => Some(file),
                // A file refused (a folder, a FIFO, another user's) costs the file, not the
                // capture: its lines go on.
                Err(error) => {
                    crate::say!("{program}: {error}; capturing without the file");
                    file_refused = true;
                    None
                }
            },
            _ => None,
        };
        match started {
            Ok(capture) => Some(Self {
                capture,
                file,
                conversations,
                ready: Vec::new(),
                program: program.to_owned(),
                told_file_error: file_refused,
                told_gap: false,
            }),
            Err(error) => {
                // The file asked for is never made: the stop's exit status says so too.
                let file = args.capture_file.as_ref().map_or_else(String::new, |file| {
                    format!(
                        ": {} is not written, and the program exits 1",
                        file.display()
                    )
                });
                crate::say!("{program}: {error}; running without the capture{file}");
                None
            }
        }
    }

    /// Waits for the next captured segment, at most `TICK`, and takes it (a held segment
    /// whose time is up is made ready as well); then [`HeadlessCapture::print`] prints them.
    pub async fn next(&mut self) {
        let segment = tokio::time::timeout(TICK, self.capture.segments().recv_async()).await;
        let now = Instant::now();
        if segment.is_err()
            && let Some(file) = &mut self.file
        {
            // Idle: what the file holds so far reaches the disk.
            file.flush();
        }
        if let Ok(Ok(segment)) = segment {
            self.conversations.add(segment, now, &mut self.ready);
            // What else came with it, without waiting.
            while let Ok(segment) = self.capture.segments().try_recv() {
                self.conversations.add(segment, now, &mut self.ready);
            }
        }
        self.conversations.release_overdue(now, &mut self.ready);
        if !self.told_gap && self.conversations.tally().gaps > 0 {
            self.told_gap = true;
            crate::say!(
                "{}: the capture is missing segments (a gap in a connection's sequence numbers): \
                 the kernel's capture buffer overflows under this traffic; how often is said at \
                 the stop",
                self.program
            );
        }
        // Said when it happens, not only at the stop (a full disk, a file that takes no
        // writes): the capture's lines go on.
        if !self.told_file_error
            && let Some(error) = self.file.as_ref().and_then(CaptureFile::error)
        {
            self.told_file_error = true;
            crate::say!(
                "{}: the capture file cannot be written ({error}); the capture goes on without it",
                self.program
            );
        }
    }

    /// Ties the connection a Connected names to its socket.
    pub fn follow(&mut self, event: &Event) {
        self.conversations.follow(event, &mut self.ready);
    }

    /// Prints the segments that are ready, one line each, and flushes.
    pub fn print<W: std::io::Write>(&mut self, printer: &mut Printer<W>) {
        if self.ready.is_empty() {
            return;
        }
        for seen in self.ready.drain(..) {
            if let Some(file) = &mut self.file {
                file.write(&seen.segment);
            }
            printer.print_note_unflushed(&words(&seen), segment_record(&seen), seen.segment.at);
        }
        printer.flush();
    }

    /// The program is stopping: waits (at most `LINGER`) for its connections' last
    /// segments, prints everything still held, and stops the capture, its file made whole.
    /// A capture file asked for and not written whole (refused at the start, or a write that
    /// failed), or a capture that broke off, is an error, said on stderr once: the program's
    /// exit status is then 1.
    pub async fn finish<W: std::io::Write>(
        mut self,
        printer: &mut Printer<W>,
        program: &str,
    ) -> Result<(), CaptureFailed> {
        let deadline = Instant::now() + LINGER;
        // First what the kernel already has (a refused connect's SYN and RST, which came
        // before the program knew it was refused), then the goodbyes still under way.
        let mark = self.capture.idle_reads();
        while self.capture.idle_reads() == mark && Instant::now() < deadline {
            self.next().await;
            self.print(printer);
        }
        while !self.conversations.settled() && Instant::now() < deadline {
            self.next().await;
            self.print(printer);
        }
        while let Ok(segment) = self.capture.segments().try_recv() {
            self.conversations
                .add(segment, Instant::now(), &mut self.ready);
        }
        self.conversations.release_all(&mut self.ready);
        self.print(printer);
        let gaps = self.conversations.tally().gaps;
        if gaps > 0 {
            crate::say!(
                "{program}: the capture missed segments {gaps} times (a gap in their sender's \
                 sequence numbers each time); neither the lines nor the file have them"
            );
        }
        let dropped = self.capture.dropped();
        if dropped > 0 {
            crate::say!(
                "{program}: {dropped} captured segments were dropped: they came faster than they could be printed"
            );
        }
        let told = self.told_file_error;
        let file = self.file.map_or(Ok(()), CaptureFile::finish);
        match self.capture.finish().and(file) {
            // The file's failure was said already, as it happened (or at the start, when
            // the file was refused).
            Ok(()) | Err(CaptureError::File { .. }) if told => Err(CaptureFailed),
            Err(error) => {
                report(program, &error);
                Err(CaptureFailed)
            }
            Ok(()) => Ok(()),
        }
    }
}

/// A capture asked for did not do all it was asked (its file is not whole, or it broke off),
/// already said on stderr: the program exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureFailed;

/// A capture error said on stderr.
fn report(program: &str, error: &CaptureError) {
    crate::say!("{program}: {error}");
}

/// The `segment` JSON line's record (the headless line, and what a window's lesson reads).
#[must_use]
pub fn segment_record(seen: &Seen) -> Record<'static> {
    Record::Segment {
        socket: seen.socket,
        dir: seen.direction.name().into(),
        flags: seen.segment.flags.to_string().into(),
        seq: seen.seq,
        ack: seen.ack,
        len: seen.segment.len,
        win: seen.segment.window,
    }
}

/// A segment in words: `Socket 3 in: SYN,ACK seq 0 ack 1 len 0 win 65483 (client :46116)`.
#[must_use]
pub fn words(seen: &Seen) -> String {
    let whose = seen
        .socket
        .map_or_else(|| "Segment".to_owned(), |socket| format!("Socket {socket}"));
    let options = seen.segment.options.to_string();
    let options = if options.is_empty() {
        String::new()
    } else {
        format!(", {options}")
    };
    format!(
        "{whose} {}: {} seq {} ack {} len {} win {} (client :{}{options})",
        seen.direction.name(),
        seen.segment.flags,
        seen.seq,
        seen.ack,
        seen.segment.len,
        seen.segment.window,
        seen.client.port(),
    )
}

//! The byte stream made visible: one loopback connection whose every write and every read is
//! reported with its place in the stream, so a learner sees three writes arrive as one read,
//! or one write as many. TCP carries bytes, not messages; [`Framing`] shows how a program
//! finds its messages again (lines, or a length before each), with tokio-util's codecs.
//!
//! The lab runs on the socket runtime: a writer task owns the client end, a reader task owns
//! the accepted end. The caller steers it with commands (write, Nagle on/off, read size, stop
//! reading) and takes [`LabEvent`]s from a channel whose waker can repaint a window.

use std::sync::Arc;
use std::sync::mpsc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc as tokio_mpsc, watch};
use tokio_util::codec::{AnyDelimiterCodec, Decoder, LengthDelimitedCodec};

use serversocket::{Runtime, Waker};
use serversocket_report::escape_text;

/// The most one read may take, and the default.
pub const MAX_READ_SIZE: usize = 64 * 1024;

/// What happened on the lab's connection; offsets are bytes from the stream's start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabEvent {
    /// Both ends are connected.
    Ready,
    /// The sending side's write number `index` (from 1) went to the OS: bytes `start..start+len`.
    Wrote {
        /// Its number.
        index: u64,
        /// Where it starts in the stream.
        start: u64,
        /// Its length.
        len: u64,
    },
    /// The receiving side's read number `index` (from 1) returned bytes `start..start+len`.
    Read {
        /// Its number.
        index: u64,
        /// Where it starts in the stream.
        start: u64,
        /// The bytes.
        data: Bytes,
    },
    /// What the kernel holds in the two ends' queues (sampled while reading is stopped, and
    /// until both are empty again): stop reading and the receiver's Recv-Q fills up to its
    /// window, then the sender's Send-Q, then the sender's writes stall.
    Queues {
        /// Bytes that arrived at the receiving end and the program has not read (its Recv-Q).
        receiver_unread: u32,
        /// Bytes the sending end holds that the receiver has not acknowledged (its Send-Q).
        sender_unacknowledged: u32,
    },
    /// Something failed; the lab stops.
    Failed(String),
}

/// How often the kernel's queues are looked at while they matter.
const QUEUES_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Commands for the lab's tasks.
enum WriterCommand {
    Write(Bytes),
    Nodelay(bool),
}

/// How the receiver reads: whether at all, and how much at a time.
#[derive(Debug, Clone, Copy)]
struct ReadSettings {
    reading: bool,
    size: usize,
}

/// A running lab; dropping it closes both ends.
pub struct StreamLab {
    /// To the writer task.
    writer: tokio_mpsc::UnboundedSender<WriterCommand>,
    /// To the reader task.
    reading: watch::Sender<ReadSettings>,
    /// From both tasks.
    events: mpsc::Receiver<LabEvent>,
}

impl std::fmt::Debug for StreamLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamLab").finish_non_exhaustive()
    }
}

impl StreamLab {
    /// Opens a loopback listener, connects to it, and starts reporting. `waker` runs after
    /// each event (a window's repaint).
    #[must_use]
    pub fn start(runtime: &Runtime, waker: Option<Waker>) -> Self {
        let (writer, commands) = tokio_mpsc::unbounded_channel();
        let (reading, settings) = watch::channel(ReadSettings {
            reading: true,
            size: MAX_READ_SIZE,
        });
        let (sender, events) = mpsc::channel();
        let report: Arc<dyn Fn(LabEvent) + Send + Sync> = Arc::new(move |event: LabEvent| {
            let _ = sender.send(event);
            if let Some(waker) = &waker {
                waker();
            }
        });
        runtime.handle().spawn(async move {
            if let Err(e) = run(commands, settings, Arc::clone(&report)).await {
                report(LabEvent::Failed(e.to_string()));
            }
        });
        Self {
            writer,
            reading,
            events,
        }
    }

    /// Writes `data` from the sending side as one write.
    pub fn write(&self, data: impl Into<Bytes>) {
        let _ = self.writer.send(WriterCommand::Write(data.into()));
    }

    /// Nagle's algorithm on the sending side: on, small writes may wait to go out together.
    pub fn set_nagle(&self, on: bool) {
        let _ = self.writer.send(WriterCommand::Nodelay(!on));
    }

    /// Whether the receiving side reads (stopped: the receive queue fills, the sender stalls).
    pub fn set_reading(&self, reading: bool) {
        self.reading.send_modify(|s| s.reading = reading);
    }

    /// How much one read takes at most (1 to [`MAX_READ_SIZE`]).
    pub fn set_read_size(&self, size: usize) {
        self.reading
            .send_modify(|s| s.size = size.clamp(1, MAX_READ_SIZE));
    }

    /// Takes what happened since the last call.
    #[must_use]
    pub fn try_recv(&self) -> Option<LabEvent> {
        self.events.try_recv().ok()
    }
}

/// Connects the two ends and runs the writer and the reader until the lab is dropped.
async fn run(
    mut commands: tokio_mpsc::UnboundedReceiver<WriterCommand>,
    mut settings: watch::Receiver<ReadSettings>,
    report: Arc<dyn Fn(LabEvent) + Send + Sync>,
) -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let mut client = TcpStream::connect(listener.local_addr()?).await?;
    let (mut server, _) = listener.accept().await?;
    // Nagle on at first: the default of every TCP socket.
    client.set_nodelay(false)?;
    let ends = (client.local_addr()?, server.local_addr()?);
    report(LabEvent::Ready);
    let queues = watch_queues(ends, settings.clone(), Arc::clone(&report));
    let writer_report = Arc::clone(&report);
    let writer = async move {
        let (mut index, mut start) = (0, 0);
        while let Some(command) = commands.recv().await {
            match command {
                WriterCommand::Write(data) => {
                    client.write_all(&data).await?;
                    index += 1;
                    let len = data.len() as u64;
                    writer_report(LabEvent::Wrote { index, start, len });
                    start += len;
                }
                WriterCommand::Nodelay(on) => client.set_nodelay(on)?,
            }
        }
        Ok::<_, std::io::Error>(())
    };
    let reader = async move {
        let (mut index, mut start) = (0, 0);
        let mut buffer = vec![0; MAX_READ_SIZE];
        loop {
            let now = *settings.borrow_and_update();
            if !now.reading {
                if settings.changed().await.is_err() {
                    return Ok(());
                }
                continue;
            }
            tokio::select! {
                // Settings first: bytes that arrive after "Stop reading" must stay in the
                // kernel's queue, not be read because both were ready and the read was drawn.
                biased;
                changed = settings.changed() => if changed.is_err() { return Ok(()) },
                read = server.read(&mut buffer[..now.size]) => {
                    let count = read?;
                    if count == 0 {
                        return Ok(());
                    }
                    index += 1;
                    let data = Bytes::copy_from_slice(&buffer[..count]);
                    report(LabEvent::Read { index, start, data });
                    start += count as u64;
                }
            }
        }
    };
    // Either ending ends the lab (the other end's task goes with it).
    tokio::select! {
        result = writer => result,
        result = reader => result,
        () = queues => Ok(()),
    }
}

/// Reports the kernel's Recv-Q of the receiving end and Send-Q of the sending end while
/// reading is stopped, and until both have drained after it resumes; quiet otherwise. Without
/// the kernel's view (not Linux, no netlink) it reports nothing.
async fn watch_queues(
    (sender, receiver): (std::net::SocketAddr, std::net::SocketAddr),
    settings: watch::Receiver<ReadSettings>,
    report: Arc<dyn Fn(LabEvent) + Send + Sync>,
) {
    let Ok(probe) = serversocket_kernel::KernelProbe::new() else {
        return std::future::pending().await;
    };
    let mut ticks = tokio::time::interval(QUEUES_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = (0, 0);
    loop {
        ticks.tick().await;
        let reading = settings.borrow().reading;
        if reading && last == (0, 0) {
            continue;
        }
        let unread = probe
            .connection(receiver, sender)
            .ok()
            .flatten()
            .map_or(0, |end| end.recv_queue);
        let unacknowledged = probe
            .connection(sender, receiver)
            .ok()
            .flatten()
            .map_or(0, |end| end.send_queue);
        if (unread, unacknowledged) != last {
            last = (unread, unacknowledged);
            report(LabEvent::Queues {
                receiver_unread: unread,
                sender_unacknowledged: unacknowledged,
            });
        }
    }
}

/// How the receiver finds messages in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Framing {
    /// No framing: only bytes.
    #[default]
    None,
    /// Each message ends with `\n` (tokio-util's `AnyDelimiterCodec`; a `\r` before the `\n` is
    /// dropped, as `LinesCodec` does).
    Lines,
    /// Each message is a 4-byte big-endian length, then that many bytes (`LengthDelimitedCodec`).
    LengthPrefixed,
}

/// Why the stream could not be read as messages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    /// A line went on past the most a line may hold; it was left out, and the lines after its
    /// `\n` are found again.
    #[error("a line longer than {max} bytes was left out (the lines after it are found again)")]
    LineTooLong {
        /// The most a line may hold.
        max: usize,
    },
    /// A length prefix asked for more than a frame may hold: what was read is not
    /// length-prefixed messages, and nothing tells where the next one starts.
    #[error(
        "a length prefix asked for more than a message may hold, so these bytes are not length-prefixed messages (were they written with another framing?); framing stopped until Clear"
    )]
    FrameTooLarge(#[source] std::io::Error),
}

/// Messages found so far in what was read, and the partial one still waiting for its end.
#[derive(Debug, Default)]
pub struct Reassembler {
    /// Which framing.
    framing: Framing,
    /// Read and not yet a whole message.
    pending: BytesMut,
    /// Whole messages, in order, as text (`escape_text`: a byte that is not UTF-8 shows as
    /// `\xff`, a control as `\n` or `\x00`), so a message of any bytes shows all of them.
    pub messages: Vec<String>,
    /// Why the stream could not be read as messages (a line too long, a length too large).
    pub problem: Option<FramingError>,
    /// Bytes read after framing stopped (a length-prefix problem), which no message holds.
    unframed: u64,
    /// The line codec (its state survives between reads). A delimiter codec rather than
    /// `LinesCodec`: that one refuses a line that is not UTF-8 and then never finds a line
    /// again, while a line of any bytes is still a line.
    lines: Option<AnyDelimiterCodec>,
    /// The length-prefix codec.
    lengths: Option<LengthDelimitedCodec>,
}

impl Reassembler {
    /// A reassembler for `framing` (it starts from the stream's first byte).
    #[must_use]
    pub fn new(framing: Framing) -> Self {
        Self {
            framing,
            lines: Some(AnyDelimiterCodec::new_with_max_length(
                b"\n".to_vec(),
                Vec::new(),
                MAX_READ_SIZE,
            )),
            lengths: Some(LengthDelimitedCodec::new()),
            ..Self::default()
        }
    }

    /// Adds one read's bytes and takes every message now whole.
    pub fn push(&mut self, data: &[u8]) {
        if matches!(self.problem, Some(FramingError::FrameTooLarge(_))) {
            self.unframed += data.len() as u64;
            return;
        }
        self.pending.extend_from_slice(data);
        loop {
            let decoded = match self.framing {
                Framing::None => return,
                Framing::Lines => match &mut self.lines {
                    Some(codec) => codec
                        .decode(&mut self.pending)
                        // As `LinesCodec` reads it: a line ended by `\r\n` is the same line.
                        .map(|line| {
                            line.map(|l| l.slice(..l.len() - usize::from(l.ends_with(b"\r"))))
                        })
                        .map_err(|_| FramingError::LineTooLong { max: MAX_READ_SIZE }),
                    None => return,
                },
                Framing::LengthPrefixed => match &mut self.lengths {
                    Some(codec) => codec
                        .decode(&mut self.pending)
                        .map(|frame| frame.map(BytesMut::freeze))
                        .map_err(FramingError::FrameTooLarge),
                    None => return,
                },
            };
            match decoded {
                Ok(Some(message)) => self.messages.push(escape_text(&message)),
                Ok(None) => return,
                // The line codec skips to the next line on its own: keep finding lines.
                Err(problem @ FramingError::LineTooLong { .. }) => self.problem = Some(problem),
                Err(problem) => {
                    // No message starts anywhere known: what is held waits for nothing.
                    self.unframed += self.pending.len() as u64;
                    self.pending.clear();
                    self.problem = Some(problem);
                    return;
                }
            }
        }
    }

    /// Bytes read and not yet part of a whole message: the start of the next one.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Bytes read that no message will hold: those after framing stopped.
    #[must_use]
    pub fn unframed(&self) -> u64 {
        self.unframed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_found_across_reads_as_lines_or_length_prefixed() {
        let mut lines = Reassembler::new(Framing::Lines);
        lines.push(b"one\ntw");
        lines.push(b"o\nthr");
        assert_eq!(lines.messages, ["one", "two"]);
        assert_eq!(lines.pending(), 3);
        let mut framed = Reassembler::new(Framing::LengthPrefixed);
        framed.push(&[0, 0, 0, 2, b'h']);
        assert!(framed.messages.is_empty());
        framed.push(&[b'i', 0, 0, 0, 1, b'!']);
        assert_eq!(framed.messages, ["hi", "!"]);
    }

    /// A line that is not UTF-8 is still a line: its bad bytes show escaped, and the lines after
    /// it are found (`LinesCodec` refused it and then found no line again).
    #[test]
    fn a_line_that_is_not_utf8_is_a_message_with_its_bytes_escaped() {
        let mut lines = Reassembler::new(Framing::Lines);
        for _ in 0..3 {
            lines.push(b"\xff\x00\xc3(caf\xc3\xa9\n");
        }
        lines.push(b"ok\r\nok\n");
        assert_eq!(
            lines.messages,
            [
                r"\xff\x00\xc3(café",
                r"\xff\x00\xc3(café",
                r"\xff\x00\xc3(café",
                "ok",
                "ok"
            ]
        );
        assert_eq!(lines.pending(), 0, "no complete line waits");
        assert!(lines.problem.is_none());
    }

    /// A line too long is left out, and the next line is found again; a length prefix too large
    /// stops framing, and what is read after it is counted apart, never as waiting for the rest
    /// of a message.
    #[test]
    fn framing_problems_say_what_became_of_the_bytes() {
        let mut lines = Reassembler::new(Framing::Lines);
        lines.push(&vec![b'x'; MAX_READ_SIZE + 10]);
        lines.push(b"tail\nnext\n");
        assert_eq!(lines.messages, ["next"]);
        assert!(matches!(
            lines.problem,
            Some(FramingError::LineTooLong { .. })
        ));
        assert_eq!(lines.pending(), 0);
        let mut framed = Reassembler::new(Framing::LengthPrefixed);
        framed.push(b"hello\n");
        framed.push(b"hello\n");
        assert!(matches!(
            framed.problem,
            Some(FramingError::FrameTooLarge(_))
        ));
        assert_eq!((framed.pending(), framed.unframed()), (0, 12));
    }

    /// Stop reading and write more than the two ends' buffers hold: the kernel's view shows the
    /// receiver's Recv-Q filled and then the sender's Send-Q; reading again drains both.
    #[cfg(target_os = "linux")]
    #[test]
    #[allow(clippy::unwrap_used)]
    fn stopped_reading_fills_the_receivers_recv_q_then_the_senders_send_q() {
        let runtime = Runtime::new().unwrap();
        let lab = StreamLab::start(&runtime, None);
        lab.set_reading(false);
        for _ in 0..16 {
            lab.write(vec![b'x'; 1024 * 1024]);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let wait_for = |what: &str, wanted: &dyn Fn(u32, u32) -> bool| loop {
            assert!(std::time::Instant::now() < deadline, "no {what}");
            match lab
                .events
                .recv_timeout(std::time::Duration::from_millis(100))
            {
                Ok(LabEvent::Queues {
                    receiver_unread,
                    sender_unacknowledged,
                }) if wanted(receiver_unread, sender_unacknowledged) => return,
                Ok(LabEvent::Failed(problem)) => panic!("{problem}"),
                _ => {}
            }
        };
        wait_for("both queues filled", &|unread, unacked| {
            unread > 0 && unacked > 0
        });
        lab.set_reading(true);
        wait_for("both queues drained", &|unread, unacked| {
            unread == 0 && unacked == 0
        });
    }
}

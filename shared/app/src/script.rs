//! What a client socket sends on its own: a hello (sent once or repeated), a file, and whether
//! it answers what arrives with the seed's reply.
//!
//! The seed's client answers every message with ` I got something from you.`; against an echo
//! server that answer comes back as a message and is answered again, for ever. Turning the reply
//! off ([`ClientScript::reply`]) is the way out. A file is fed to the send queue a slice at a
//! time (at most [`FILE_BACKLOG`] waiting), refilled as SendProgress reports room, so a file of
//! any size goes out without holding a second copy in the queue or passing its limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use serversocket::seed::Replier;
use serversocket::{Socket, SocketError, SocketHandler, TcpSocket};
use serversocket_report::escapes::IndexedText;

/// How much of a file may wait in a socket's send queue at once.
pub const FILE_BACKLOG: usize = 1024 * 1024;

/// How large one slice of a file is, as queued.
const FILE_SLICE: usize = 256 * 1024;

/// What every client socket does; [`ClientScript::handler`] makes each socket's handler.
#[derive(Debug, Clone, Default)]
pub struct ClientScript {
    /// Written once connected, with `{n}` as the socket's index; `None` is the seed's
    /// `Socket N connected!`. An empty text sends no hello.
    pub hello: Option<IndexedText>,
    /// Answer each DataAvailable with the seed's ` I got something from you.`.
    pub reply: bool,
    /// Sent once connected, after the hello.
    pub file: Option<Bytes>,
}

impl ClientScript {
    /// The seed's client: its hello and its reply, no file.
    #[must_use]
    pub fn seed() -> Self {
        Self {
            hello: None,
            reply: true,
            file: None,
        }
    }

    /// The hello socket `index` writes (empty for none).
    #[must_use]
    pub fn hello_for(&self, index: u64) -> Bytes {
        match &self.hello {
            None => serversocket::seed::client_hello(index).into(),
            Some(text) => text.for_index(index).into(),
        }
    }

    /// The handler for one socket; the seed's own [`Replier`] when nothing was changed.
    #[must_use]
    pub fn handler(&self) -> Box<dyn SocketHandler> {
        if self.hello.is_none() && self.file.is_none() {
            return Box::new(Replier::new(true, self.reply));
        }
        Box::new(Scripted {
            script: self.clone(),
            file_queued: 0,
            replier: Replier::new(false, self.reply),
        })
    }
}

/// A client socket that follows a [`ClientScript`].
struct Scripted {
    /// What to send.
    script: ClientScript,
    /// How much of the file is queued or sent already.
    file_queued: usize,
    /// The seed's replies, bounded like the seed client's own (it says so when it stops).
    replier: Replier,
}

impl Scripted {
    /// Queues slices of the file while the backlog has room.
    fn feed(&mut self, socket: &mut Socket) {
        let Some(file) = &self.script.file else {
            return;
        };
        while self.file_queued < file.len() && socket.bytes_left_to_send() < FILE_BACKLOG {
            let end = file.len().min(self.file_queued + FILE_SLICE);
            if socket.write(file.slice(self.file_queued..end)).is_err() {
                return;
            }
            self.file_queued = end;
        }
    }
}

impl SocketHandler for Scripted {
    fn connected(&mut self, socket: &mut Socket) {
        let hello = self.script.hello_for(socket.id().0);
        let _ = socket.write(hello);
        self.feed(socket);
    }

    fn data_available(&mut self, socket: &mut Socket) {
        self.replier.data_available(socket);
    }

    fn send_progress(&mut self, socket: &mut Socket, _sent: u64, _left: u64) -> bool {
        self.feed(socket);
        false
    }
}

/// Writes `payload` to `socket` `times` more times, `interval` apart (the first write after one
/// interval): the repeats of a hello the socket's handler already sent once. An interval of 0
/// writes them back to back, waiting only while the send queue is full. Ends early once the
/// socket refuses a write (it closed). Run it on the runtime once the socket is connected;
/// `written` counts the writes made (a window shows how far a repeat is).
pub async fn repeat(
    socket: TcpSocket,
    payload: Bytes,
    times: u64,
    interval: Duration,
    written: Arc<AtomicU64>,
) {
    if payload.is_empty() {
        return;
    }
    for _ in 0..times {
        if interval.is_zero() {
            // A sleep of 0 waits for the timer's next tick, a millisecond: 0 was 1 ms apart.
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(interval).await;
        }
        loop {
            match socket.write(payload.clone()) {
                Ok(()) => break,
                // Back to back, the writes can outrun the connection: wait for room.
                Err(SocketError::SendQueueFull { .. }) => tokio::time::sleep(FEED_POLL).await,
                Err(_) => return,
            }
        }
        written.fetch_add(1, Ordering::Relaxed);
    }
}

/// How often [`send_file`] looks whether the socket has room for the next slice.
const FEED_POLL: Duration = Duration::from_millis(5);

/// Sends `file` through a socket's handle (a window's "Send file"), keeping at most about
/// [`FILE_BACKLOG`] of it queued, so a file larger than the send queue goes out whole. The
/// handle offers no "room again" notice, so it looks at the socket's counters every few ms.
///
/// # Errors
/// The socket closed before the whole file was queued.
pub async fn send_file(socket: TcpSocket, file: Bytes) -> Result<(), SocketError> {
    let start = socket.status().bytes_sent;
    let mut queued = 0_usize;
    while queued < file.len() {
        let status = socket.status();
        let sent = usize::try_from(status.bytes_sent.saturating_sub(start)).unwrap_or(usize::MAX);
        if queued.saturating_sub(sent) >= FILE_BACKLOG {
            if !socket.is_connected() {
                return Err(SocketError::InvalidState(format!(
                    "socket {} closed with {} of {} bytes of the file sent",
                    socket.id(),
                    sent,
                    file.len()
                )));
            }
            tokio::time::sleep(FEED_POLL).await;
            continue;
        }
        let end = file.len().min(queued + FILE_SLICE);
        socket.write(file.slice(queued..end))?;
        queued = end;
    }
    Ok(())
}

/// Counts what a socket sent (its SendProgress steps) against what it has to send, and says
/// when another tenth of it went out: the headless client's progress lines for a file.
#[derive(Debug, Clone)]
pub struct SendTally {
    /// The bytes to send (hello and file).
    total: u64,
    /// Sent so far, at most `total`.
    sent: u64,
    /// The next tenth to announce, 1 to 10.
    next_tenth: u64,
}

impl SendTally {
    /// A tally for `total` bytes.
    #[must_use]
    pub fn new(total: u64) -> Self {
        Self {
            total,
            sent: 0,
            next_tenth: 1,
        }
    }

    /// Adds `bytes` sent; returns the bytes sent so far when that passed another tenth (at most
    /// one announcement per call, the latest tenth).
    pub fn add(&mut self, bytes: u64) -> Option<u64> {
        if self.next_tenth > 10 || self.total == 0 {
            return None;
        }
        self.sent = self.total.min(self.sent + bytes);
        let tenths = self.sent * 10 / self.total;
        (tenths >= self.next_tenth).then(|| {
            self.next_tenth = tenths + 1;
            self.sent
        })
    }

    /// The bytes to send.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.total
    }
}

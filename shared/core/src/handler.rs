//! The event methods a socket runs, and the socket as those methods see it.
//!
//! In Xojo you subclass TCPSocket and fill in its events (Connected, DataAvailable, …), and inside
//! them `Me` is the socket. Here you implement [`SocketHandler`], and each method gets `&mut`
//! [`Socket`] as its `Me`: read what arrived, queue writes, close. The methods run on the
//! background runtime, on the socket's own task, one at a time, so they need no locks; they must
//! not block (a slow handler slows only its own socket).

use std::net::SocketAddr;

use bytes::Bytes;

use crate::receive_buffer::ReceiveBuffer;
use crate::send_queue::SendQueue;
use crate::{SocketError, SocketId};

/// How many bytes one socket may hold queued for sending before [`Socket::write`] refuses more.
/// A peer that stops reading cannot make the server buffer without limit. A write made while
/// less than this waits is taken whole, however long (its bytes are already in memory), so the
/// queue holds at most this plus one write.
pub const SEND_QUEUE_LIMIT: usize = 32 * 1024 * 1024;

/// How many received bytes may wait unread before the socket stops reading from the OS, unless
/// its handler sets another limit ([`Socket::set_receive_limit`]). Past this, TCP flow control
/// makes a fast sender wait: memory stays bounded.
pub const RECEIVE_BUFFER_LIMIT: usize = 1024 * 1024;

/// The highest receive limit a handler may set ([`Socket::set_receive_limit`]).
pub const MAX_RECEIVE_LIMIT: usize = 256 * 1024 * 1024;

/// How much one read takes from the OS at most. The receive buffer can therefore hold up to
/// [`RECEIVE_BUFFER_LIMIT`] plus one read. 64 KiB, the size the plain tokio loop of the pool
/// bench reads with: with 128 KiB reads a 256 MiB upload ran at 0.85 of that loop's speed,
/// with 64 KiB at 0.98 (medians of 22 interleaved runs, docs/benchmarks.md). Smaller reads
/// mean more Data events, but a consumer that takes them in batches is not woken more often
/// (a window, once a frame); one woken by every event (`--eager`) was no slower either.
pub const READ_CHUNK: usize = 64 * 1024;

/// What a socket does when its events fire: the body of Xojo's TCPSocket subclass.
///
/// Every method has an empty default, so a handler fills in only what it needs.
pub trait SocketHandler: Send + 'static {
    /// The connection is up (after Connect, or after the pool handed a connection to this socket).
    fn connected(&mut self, socket: &mut Socket) {
        let _ = socket;
    }

    /// New bytes are in `socket`'s receive buffer ([`Socket::read_all`] takes them). If the
    /// handler takes only part, it is called again while it keeps taking bytes.
    /// Unread bytes stay; once the receive limit is unread ([`RECEIVE_BUFFER_LIMIT`], 1 MiB,
    /// unless set otherwise), the socket stops reading until the handler takes some: a handler
    /// that waits for a whole message larger than the limit would wait for ever (and not see
    /// the peer's close, which comes after the unread bytes), so it raises the limit first,
    /// with [`Socket::set_receive_limit`] in `connected`, or takes the message in pieces.
    fn data_available(&mut self, socket: &mut Socket) {
        let _ = socket;
    }

    /// The peer sent its FIN (it half-closed: `shutdown(SHUT_WR)`, or `nc -q1` at the end of
    /// its input): nothing more will arrive, and [`Socket::end_of_file`] is true once the
    /// receive buffer is read. What the handler writes now still goes out before the socket
    /// ends, so a last message without its terminator can be answered. Xojo has no event for
    /// this (its EndOfFile is a property read in DataAvailable); called once, after the
    /// DataAvailable of the last bytes.
    fn end_of_file(&mut self, socket: &mut Socket) {
        let _ = socket;
    }

    /// Some queued bytes went out: `bytes_sent` in this step, `bytes_left` still queued.
    /// Return `true` to cancel the rest of the send (SendComplete then fires with `user_aborted`).
    fn send_progress(&mut self, socket: &mut Socket, bytes_sent: u64, bytes_left: u64) -> bool {
        let _ = (socket, bytes_sent, bytes_left);
        false
    }

    /// Everything queued went out, or the send was cut short (`user_aborted`): cancelled from
    /// SendProgress, dropped by a Purge, left unsent by a Close, or lost with the connection.
    /// Once the socket is closing, it comes just before the Error or Closed.
    fn send_complete(&mut self, socket: &mut Socket, user_aborted: bool) {
        let _ = (socket, user_aborted);
    }

    /// Something failed; `socket.last_error_code()` holds `Some(error.code())`.
    fn error(&mut self, socket: &mut Socket, error: &SocketError) {
        let _ = (socket, error);
    }

    /// The connection is closed; this is the socket's last event.
    fn closed(&mut self, socket: &mut Socket) {
        let _ = socket;
    }
}

/// A boxed handler is a handler, so one AddSocket can return different behaviours.
impl SocketHandler for Box<dyn SocketHandler> {
    fn connected(&mut self, socket: &mut Socket) {
        (**self).connected(socket);
    }

    fn data_available(&mut self, socket: &mut Socket) {
        (**self).data_available(socket);
    }

    fn end_of_file(&mut self, socket: &mut Socket) {
        (**self).end_of_file(socket);
    }

    fn send_progress(&mut self, socket: &mut Socket, bytes_sent: u64, bytes_left: u64) -> bool {
        (**self).send_progress(socket, bytes_sent, bytes_left)
    }

    fn send_complete(&mut self, socket: &mut Socket, user_aborted: bool) {
        (**self).send_complete(socket, user_aborted);
    }

    fn error(&mut self, socket: &mut Socket, error: &SocketError) {
        (**self).error(socket, error);
    }

    fn closed(&mut self, socket: &mut Socket) {
        (**self).closed(socket);
    }
}

/// A handler that does nothing but take what arrives, so the receive buffer never fills.
/// For sockets driven from outside (a window's Send box) rather than by their own events.
#[derive(Debug, Default, Clone, Copy)]
pub struct Passive;

impl SocketHandler for Passive {
    fn data_available(&mut self, socket: &mut Socket) {
        socket.read_all();
    }
}

/// How a socket was asked to close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// Xojo's Close: Closed alone follows.
    Close,
    /// Xojo's Disconnect: Error 102, then Closed.
    Disconnect,
}

/// One TCP socket as its handler sees it: Xojo's `Me` inside a TCPSocket event.
#[derive(Debug)]
pub struct Socket {
    /// Which socket this is (for logs and for the handler's own bookkeeping).
    id: SocketId,
    /// Our end, once connected.
    local: Option<SocketAddr>,
    /// The peer's end, once connected.
    remote: Option<SocketAddr>,
    /// True between Connected and the close.
    connected: bool,
    /// Bytes received and not yet read by the handler.
    received: ReceiveBuffer,
    /// Writes waiting to go out, in order; the front one may be partly sent.
    send_queue: SendQueue,
    /// Queued bytes were dropped unsent (a Purge) since the last SendComplete, which then
    /// says the send was aborted.
    send_aborted: bool,
    /// Close or Disconnect was asked for: the socket closes once the current event returns.
    closing: Option<Closing>,
    /// The code of the last failure, if any (LastErrorCode).
    last_error_code: Option<i32>,
    /// Writes refused (and a panic of the handler) since the socket's task last looked; it
    /// fires Error for each, as Xojo does, so a handler that ignores `write`'s result still
    /// hears of the failure.
    failed_writes: Vec<SocketError>,
    /// Notes for the log, taken by the socket's task after each handler call.
    notes: Vec<String>,
    /// How many received bytes may wait unread before the socket stops reading.
    receive_limit: usize,
    /// The peer closed its side (its FIN was read): no more bytes will come.
    peer_closed: bool,
}

impl Socket {
    pub(crate) fn new(id: SocketId) -> Self {
        Self {
            id,
            local: None,
            remote: None,
            connected: false,
            received: ReceiveBuffer::default(),
            send_queue: SendQueue::default(),
            send_aborted: false,
            closing: None,
            last_error_code: None,
            failed_writes: Vec::new(),
            notes: Vec::new(),
            receive_limit: RECEIVE_BUFFER_LIMIT,
            peer_closed: false,
        }
    }

    /// Puts a line in the log for this socket (a [`crate::Event::Note`]): what the handler
    /// decided and why.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The notes written since the last call.
    pub(crate) fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// This socket's id.
    #[must_use]
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// Queues `data` for sending and returns at once (Xojo's Write). SendProgress and
    /// SendComplete report when it went out. A refused write also sets LastErrorCode and fires
    /// the Error event (after the current event method returns), as in Xojo.
    ///
    /// # Errors
    /// [`SocketError::InvalidState`] when not connected, [`SocketError::SendQueueFull`] when
    /// [`SEND_QUEUE_LIMIT`] bytes are already waiting.
    pub fn write(&mut self, data: impl Into<Bytes>) -> Result<(), SocketError> {
        let data = data.into();
        let refused = if !self.connected || self.closing.is_some() {
            Some(SocketError::InvalidState(format!(
                "socket {} is not connected, so it cannot write",
                self.id
            )))
        } else if !data.is_empty() && self.send_queue.len() >= SEND_QUEUE_LIMIT {
            Some(SocketError::SendQueueFull {
                queued: self.send_queue.len(),
            })
        } else {
            None
        };
        if let Some(error) = refused {
            self.set_error(&error);
            self.failed_writes.push(error.clone());
            return Err(error);
        }
        self.send_queue.push(data);
        Ok(())
    }

    /// Takes up to `count` bytes from the receive buffer (Xojo's Read).
    pub fn read(&mut self, count: usize) -> Bytes {
        self.received.take(count)
    }

    /// Takes everything in the receive buffer (Xojo's ReadAll).
    pub fn read_all(&mut self) -> Bytes {
        self.received.take(usize::MAX)
    }

    /// The receive buffer without taking it (Xojo's Lookahead).
    pub fn lookahead(&mut self) -> &[u8] {
        self.received.contiguous()
    }

    /// Bytes received and not yet read (Xojo's BytesAvailable).
    #[must_use]
    pub fn bytes_available(&self) -> usize {
        self.received.len()
    }

    /// Bytes queued and not yet sent (Xojo's BytesLeftToSend).
    #[must_use]
    pub fn bytes_left_to_send(&self) -> usize {
        self.send_queue.len()
    }

    /// Sets how many received bytes may wait unread before this socket stops reading from the
    /// OS (default [`RECEIVE_BUFFER_LIMIT`]; at most [`MAX_RECEIVE_LIMIT`], at least one
    /// byte). Not Xojo's: a handler that takes whole messages larger than 1 MiB raises it,
    /// best in `connected`, so `bytes_available()` can reach the message's size.
    pub fn set_receive_limit(&mut self, bytes: usize) {
        self.receive_limit = bytes.clamp(1, MAX_RECEIVE_LIMIT);
    }

    /// How many received bytes may wait unread before this socket stops reading.
    #[must_use]
    pub fn receive_limit(&self) -> usize {
        self.receive_limit
    }

    /// True when nothing is left to read and nothing more will come: the peer closed its side
    /// and the receive buffer is empty (Xojo's EndOfFile).
    #[must_use]
    pub fn end_of_file(&self) -> bool {
        self.peer_closed && self.bytes_available() == 0
    }

    /// Closes the connection once the current event returns, as Xojo's Disconnect does: the
    /// Error event fires with 102 (lost connection, "disconnected by this program") before
    /// Closed. [`Socket::close`] reports only Closed.
    pub fn disconnect(&mut self) {
        self.closing = Some(Closing::Disconnect);
    }

    /// Closes the connection once the current event returns (Xojo's Close). What the OS takes
    /// at once of the queued data is still sent; the rest is dropped, and SendComplete (with
    /// `user_aborted` true) says so before Closed. To close without dropping anything, close
    /// when [`Self::bytes_left_to_send`] is 0, or else in [`SocketHandler::send_complete`],
    /// which comes once the queue has gone to the OS (a peer that reads slowly can leave much
    /// of a reply queued when its EndOfFile comes). Gone to the OS is not yet delivered: a
    /// close while bytes the peer sent are still unread makes the kernel reset the connection
    /// and drop what it held, so read what arrived before closing.
    pub fn close(&mut self) {
        // A Disconnect asked for already stays one.
        self.closing.get_or_insert(Closing::Close);
    }

    /// True while connected (Xojo's IsConnected).
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Our end of the connection (Xojo's LocalAddress).
    #[must_use]
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.local
    }

    /// The peer's end (Xojo's RemoteAddress).
    #[must_use]
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// The code of the last failure, `None` if none yet (Xojo's LastErrorCode, where none is 0).
    #[must_use]
    pub fn last_error_code(&self) -> Option<i32> {
        self.last_error_code
    }

    pub(crate) fn set_connected(&mut self, local: SocketAddr, remote: SocketAddr) {
        self.local = Some(local);
        self.remote = Some(remote);
        self.connected = true;
    }

    pub(crate) fn set_disconnected(&mut self) {
        self.connected = false;
    }

    pub(crate) fn set_error(&mut self, error: &SocketError) {
        self.last_error_code = Some(error.code());
    }

    /// The writes refused since the last call, oldest first.
    pub(crate) fn take_failed_writes(&mut self) -> Vec<SocketError> {
        std::mem::take(&mut self.failed_writes)
    }

    /// A failure to report on the socket's next turn, like a refused write: the handler's
    /// panic.
    pub(crate) fn fail(&mut self, error: SocketError) {
        self.failed_writes.push(error);
    }

    pub(crate) fn set_peer_closed(&mut self) {
        self.peer_closed = true;
    }

    pub(crate) fn disconnect_requested(&self) -> bool {
        self.closing == Some(Closing::Disconnect)
    }

    pub(crate) fn close_requested(&self) -> bool {
        self.closing.is_some()
    }

    /// Adds a chunk that arrived (shared with its Data event, not copied).
    pub(crate) fn receive(&mut self, data: Bytes) {
        self.received.push(data);
    }

    /// The unsent part of the front write, shared with the queue (no copy).
    pub(crate) fn pending_write(&self) -> Option<Bytes> {
        self.send_queue.pending()
    }

    /// The unsent part of the front write, if any.
    pub(crate) fn next_to_send(&self) -> Option<&[u8]> {
        self.send_queue.next_to_send()
    }

    /// Records that `count` bytes of the front write went out.
    pub(crate) fn sent(&mut self, count: usize) {
        self.send_queue.sent(count);
    }

    /// Queues a write the caller made before the socket closed, which its task took only
    /// while closing: it goes out with the rest if the OS takes it, and counts as dropped if
    /// not. [`Self::write`] refuses writes once a close was asked for.
    pub(crate) fn queue_before_close(&mut self, data: Bytes) {
        self.send_queue.push(data);
    }

    /// Drops every byte queued and not yet sent (Xojo's Purge); returns how many were dropped.
    /// What the OS already took still goes out. SendComplete then follows with `user_aborted`
    /// true, as when SendProgress cancels the send.
    pub fn purge(&mut self) -> usize {
        let dropped = self.send_queue.purge();
        self.send_aborted |= dropped > 0;
        dropped
    }

    /// Whether queued bytes were dropped since the last SendComplete, which is then owed.
    pub(crate) fn send_aborted(&self) -> bool {
        self.send_aborted
    }

    /// [`Self::send_aborted`], cleared as its SendComplete is sent.
    pub(crate) fn take_send_aborted(&mut self) -> bool {
        std::mem::take(&mut self.send_aborted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connected_socket() -> Socket {
        let mut socket = Socket::new(SocketId(4));
        let local = "127.0.0.1:2002".parse().expect("address");
        let remote = "127.0.0.1:50000".parse().expect("address");
        socket.set_connected(local, remote);
        socket
    }

    #[test]
    fn read_lookahead_and_read_all_take_from_the_receive_buffer() {
        let mut socket = connected_socket();
        socket.receive(Bytes::from_static(b"hello "));
        socket.receive(Bytes::from_static(b"world"));
        assert_eq!(socket.bytes_available(), 11);
        assert_eq!(socket.lookahead(), b"hello world");
        assert_eq!(&socket.read(5)[..], b"hello");
        assert_eq!(socket.bytes_available(), 6);
        assert_eq!(&socket.read(100)[..], b" world");
        assert!(socket.read_all().is_empty());
    }

    #[test]
    fn writes_queue_in_order_and_partial_sends_are_tracked() {
        let mut socket = connected_socket();
        socket.write("abc").expect("connected");
        socket.write("").expect("an empty write is fine");
        socket.write("de").expect("connected");
        assert_eq!(socket.bytes_left_to_send(), 5);
        socket.sent(2);
        assert_eq!(socket.pending_write().as_deref(), Some(&b"c"[..]));
        socket.sent(1);
        assert_eq!(socket.pending_write().as_deref(), Some(&b"de"[..]));
        assert_eq!(socket.purge(), 2);
        assert_eq!(socket.bytes_left_to_send(), 0);
        assert!(socket.pending_write().is_none());
    }

    #[test]
    fn writes_are_refused_when_not_connected_or_over_the_limit() {
        let mut closed = Socket::new(SocketId(1));
        assert_eq!(closed.write("x").map_err(|e| e.code()), Err(106));
        assert_eq!(closed.last_error_code(), Some(106));
        assert_eq!(
            closed.take_failed_writes().len(),
            1,
            "kept for the Error event"
        );
        let mut socket = connected_socket();
        socket
            .write(vec![0_u8; SEND_QUEUE_LIMIT])
            .expect("exactly the limit fits");
        let error = socket.write("one more").expect_err("over the limit");
        assert_eq!(error.code(), 108);
        socket.close();
        assert_eq!(socket.write("x").map_err(|e| e.code()), Err(106));
    }

    #[test]
    fn a_write_longer_than_the_limit_is_taken_whole_while_less_waits() {
        let mut socket = connected_socket();
        socket.write("a start").expect("room");
        socket
            .write(vec![0_u8; SEND_QUEUE_LIMIT + 1])
            .expect("taken whole: less than the limit waited");
        assert_eq!(socket.bytes_left_to_send(), SEND_QUEUE_LIMIT + 8);
        let error = socket.write("x").expect_err("the limit's worth waits");
        assert_eq!(error.code(), 108);
        socket.write("").expect("an empty write queues nothing");
    }
}

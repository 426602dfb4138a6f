//! A connected socket's task while it serves: the loop of reads, writes, commands and the
//! handler's events, from its `connected` to the close.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use std::io;

use crate::commands::{CommandReceiver, Empty, ShutdownWatch, SocketCommand, StatusCell};
use crate::error::PEER_CLOSED;
use crate::guarded::Guarded;
use crate::inbox::Inbox;
use crate::on_closed::OnClosed;
use crate::status::{SocketState, SocketStatus};
use crate::sync::lock;
use crate::tls::transport::Transport;
use crate::{Event, EventSender, Socket, SocketError, SocketHandler};

use super::SocketParts;
use super::reports::{report_failed_writes, unreported};

/// The most commands a turn takes before it looks at the connection: a caller writing a byte
/// at a time through its handle cannot keep the socket from sending and reading.
const COMMANDS_A_TURN: usize = 64;

/// Why the loop ended.
enum Ending {
    /// We closed it: Close, a dropped handle, or shutdown.
    ClosedHere,
    /// The peer closed it or the connection broke.
    Lost(SocketError),
}

/// A connected socket's task state while it serves.
pub(super) struct Live {
    /// The connected stream, plain or through TLS.
    stream: Transport,
    /// The buffers and flags the handler sees as `Me`.
    socket: Socket,
    /// The application's event methods, guarded against their panics.
    handler: Guarded,
    /// Where observations go.
    events: EventSender,
    /// Commands from the caller's handles.
    commands: CommandReceiver,
    /// The snapshot the caller reads.
    status: StatusCell,
    /// The peer, for errors.
    remote: SocketAddr,
    /// Where reads land.
    inbox: Inbox,
    /// The peer sent its FIN: nothing more to read, the loop ends once the queue is sent.
    peer_closed: bool,
    /// Whether a SendComplete is owed: something was queued and has not all gone yet.
    sending: bool,
    /// The last turn wrote: a second in a row also reads ([`Self::read_between_writes`]).
    wrote_last_turn: bool,
    /// Every byte received.
    received_total: u64,
    /// Every byte sent.
    sent_total: u64,
    /// A server's idle timeout: close once nothing was sent or received for this long.
    idle_timeout: Option<Duration>,
    /// When the idle timeout runs out; pushed back on every byte sent or received. Only made
    /// when there is an idle timeout: a timer is some 150 bytes a connection, and most have none.
    idle: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Live {
    /// A connected socket, before its handler's `connected` ran.
    pub(super) fn new(
        stream: Transport,
        parts: SocketParts,
        remote: SocketAddr,
        idle_timeout: Option<Duration>,
    ) -> Self {
        let SocketParts {
            socket,
            handler,
            events,
            commands,
            status,
        } = parts;
        Self {
            stream,
            socket,
            handler,
            events,
            commands,
            status,
            remote,
            inbox: Inbox::new(),
            peer_closed: false,
            sending: false,
            wrote_last_turn: false,
            received_total: 0,
            sent_total: 0,
            idle_timeout,
            idle: idle_timeout.map(|timeout| Box::pin(tokio::time::sleep(timeout))),
        }
    }

    /// The handler's `connected`, then [`Self::serve`] until the socket is closed here, by the
    /// peer or by `cancel` (shutdown), then the close: flushes what the OS takes and says
    /// goodbye (closed here), or runs the handler's Error (lost); then Closed, after the socket
    /// left ActiveConnections ([`Self::close`]). A plain function returning an `async move`
    /// block rather than an `async fn`, whose arguments would each be kept twice in the task
    /// (once as given, once as the body's own copy): a Live is some 450 bytes.
    #[allow(clippy::manual_async_fn)]
    pub(super) fn run(
        mut self,
        on_closed: OnClosed,
        cancel: ShutdownWatch,
    ) -> impl Future<Output = ()> + Send {
        async move {
            tracing::debug!(socket = self.socket.id().0, remote = %self.remote, "connected");
            self.handler.connected(&mut self.socket);
            // Shutdown is watched once for the whole loop rather than in every turn's select:
            // registering with the shared token each turn cost more than the turn's own work.
            let ending = tokio::select! {
                biased;
                () = cancel.shut_down() => Ending::ClosedHere,
                ending = self.serve() => ending,
            };
            // The close runs here, on the state in place, rather than in a future of its own
            // that would hold a second copy of it: the task is as large as its largest state,
            // and with that copy the close's state was the largest. Not boxed either: only
            // saying goodbye waits on the network, and that part is boxed; the rest runs at
            // once, and the last events' send is small. (A box for the close, an allocation
            // and a copy of the state into it at every close, was a measurable part of each
            // short connection's cost.)
            //
            // Not connected any more from here on, so the handler's Error sees a closed socket.
            self.socket.set_disconnected();
            lock(&self.status).state = SocketState::Closed;
            // Closed here, what was queued goes out as far as the OS takes it at once, and
            // SendComplete says whether all of it did: dropped bytes are never silent. Lost
            // (the peer reset or closed while bytes still waited), the queue is lost with it,
            // and SendComplete says so too, before the Error: the contract's "a socket closed
            // with bytes still queued says so", which a peer's reset had skipped.
            let owed = match ending {
                Ending::ClosedHere => {
                    self.take_writes_before_close();
                    let owed = self.sending
                        || self.socket.bytes_left_to_send() > 0
                        || self.socket.send_aborted();
                    Box::pin(self.say_goodbye()).await;
                    owed
                }
                Ending::Lost(_) => self.sending || self.socket.bytes_left_to_send() > 0,
            };
            if owed {
                let aborted =
                    self.socket.take_send_aborted() | (self.socket.bytes_left_to_send() > 0);
                // Sent apart from the close's parcel, not in it: an event more in the
                // parcel that waits for room made every connection's task an event larger.
                self.complete_send(aborted).await;
            }
            let (events, parcel) = self.close(ending, on_closed);
            events.send_all(parcel).await;
        }
    }

    /// One turn after another: take the caller's commands, report refused writes, owe
    /// SendComplete, then wait for write room, data or a command, until the socket is closed
    /// here or by the peer.
    async fn serve(&mut self) -> Ending {
        loop {
            self.take_commands();
            report_failed_writes(
                &mut self.socket,
                &mut self.handler,
                &self.events,
                &self.status,
            )
            .await;
            self.publish();
            if self.socket.close_requested() {
                return Ending::ClosedHere;
            }
            let pending = self.socket.pending_write();
            // A write purged before it was seen is still owed its SendComplete (aborted).
            self.sending |= pending.is_some() || self.socket.send_aborted();
            if pending.is_none() && self.sending {
                let aborted = self.socket.take_send_aborted();
                self.complete_send(aborted).await;
                continue;
            }
            if self.peer_closed && pending.is_none() {
                return Ending::Lost(SocketError::LostConnection {
                    peer: self.remote,
                    reason: PEER_CLOSED.into(),
                    cause: None,
                });
            }
            let can_read =
                !self.peer_closed && self.socket.bytes_available() < self.socket.receive_limit();
            // A TLS session may have records of its own to send with nothing queued.
            let must_write = pending.is_some() || self.stream.wants_write();
            // The connection before the commands: this turn began by taking those waiting, so
            // a flood of commands cannot starve the connection, nor a busy connection them.
            let wrote_before = std::mem::take(&mut self.wrote_last_turn);
            let step = tokio::select! {
                biased;
                ready = self.stream.writable(), if must_write => match pending.as_deref() {
                    Some(pending) => {
                        let written = ready.and_then(|()| self.stream.try_write(pending));
                        let step = self.wrote(written).await;
                        self.wrote_last_turn = true;
                        match step {
                            Ok(()) if wrote_before => self.read_between_writes().await,
                            step => step,
                        }
                    }
                    None => ready
                        .and_then(|()| self.stream.flush())
                        .map_err(|e| Ending::Lost(SocketError::from_stream(e, self.remote))),
                },
                ready = self.stream.readable(), if can_read => {
                    let read = ready.and_then(|()| self.inbox.read(&mut self.stream));
                    self.received(read).await
                }
                () = expired(self.idle.as_mut()), if self.idle.is_some() => {
                    Err(Ending::Lost(SocketError::IdleTimedOut {
                        peer: self.remote,
                        timeout: self.idle_timeout.unwrap_or_default(),
                    }))
                }
                command = self.commands.recv() => {
                    self.obey(command);
                    Ok(())
                }
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    /// Obeys the commands waiting, at most [`COMMANDS_A_TURN`] of them, and none once a close
    /// was asked for: the writes left then are the close's ([`Self::take_writes_before_close`]).
    fn take_commands(&mut self) {
        for _ in 0..COMMANDS_A_TURN {
            if self.socket.close_requested() {
                break;
            }
            match self.commands.try_recv() {
                Ok(command) => self.obey(Some(command)),
                Err(Empty::Waiting) => break,
                Err(Empty::Disconnected) => {
                    self.obey(None);
                    break;
                }
            }
        }
    }

    /// Closed here: queues the writes the caller made before the close that the loop had not
    /// taken yet (a handler's close ends the loop with them still waiting), so they go out
    /// with the rest or count as dropped; the handles' writes are refused from here on.
    fn take_writes_before_close(&mut self) {
        for command in self.commands.close_and_take() {
            if let SocketCommand::Write(data) = command {
                self.socket.queue_before_close(data);
            }
        }
    }

    /// A caller's command: queue a write (a refusal is reported on the next turn, like one
    /// inside a handler) or close.
    fn obey(&mut self, command: Option<SocketCommand>) {
        match command {
            Some(SocketCommand::Write(data)) => {
                let _ = self.socket.write(data);
            }
            Some(SocketCommand::Disconnect) => self.socket.disconnect(),
            Some(SocketCommand::Purge) => {
                self.socket.purge();
            }
            Some(SocketCommand::Close) | None => self.socket.close(),
        }
    }

    /// Some bytes went out: SendProgress (the handler may cancel the rest), and SendComplete
    /// with it as one parcel when this step finished or cancelled the send.
    async fn wrote(&mut self, written: io::Result<usize>) -> Result<(), Ending> {
        let count = match written {
            Ok(count) => count,
            // The readiness was spurious; wait again.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(Ending::Lost(SocketError::from_stream(e, self.remote))),
        };
        self.stir();
        self.socket.sent(count);
        self.sent_total += count as u64;
        self.publish();
        let left = self.socket.bytes_left_to_send() as u64;
        let id = self.socket.id();
        let progress = Event::SendProgress {
            socket: id,
            sent: count as u64,
            left,
        };
        let cancelled = self
            .handler
            .send_progress(&mut self.socket, count as u64, left)
            && left > 0;
        if cancelled {
            self.socket.purge();
            // Said by this SendComplete.
            self.socket.take_send_aborted();
            self.publish();
        }
        // A handler that closes in the last SendProgress still gets its SendComplete:
        // everything did go out.
        let done = self.socket.pending_write().is_none();
        if cancelled || done {
            self.sending = false;
            self.events
                .send_pair(
                    progress,
                    Event::SendComplete {
                        socket: id,
                        user_aborted: cancelled,
                    },
                )
                .await;
            self.handler.send_complete(&mut self.socket, cancelled);
        } else {
            self.events.send(progress).await;
        }
        Ok(())
    }

    /// In the second of two turns in a row that wrote, reads what waits, without waiting: the
    /// select looks at writing first, and a socket kept writing (its caller writing all the
    /// time, its peer always with room) would otherwise never read. A socket's one write (a
    /// greeting, a reply) never comes here.
    async fn read_between_writes(&mut self) -> Result<(), Ending> {
        let can_read =
            !self.peer_closed && self.socket.bytes_available() < self.socket.receive_limit();
        if !can_read || self.socket.close_requested() {
            return Ok(());
        }
        let read = self.inbox.read(&mut self.stream);
        self.received(read).await
    }

    /// Everything queued went out since the last SendProgress (or was dropped): SendComplete.
    async fn complete_send(&mut self, user_aborted: bool) {
        self.sending = false;
        self.events
            .send(Event::SendComplete {
                socket: self.socket.id(),
                user_aborted,
            })
            .await;
        self.handler.send_complete(&mut self.socket, user_aborted);
    }

    /// A read finished: Data, then the handler's DataAvailable; an empty read is the peer's FIN.
    async fn received(&mut self, read: io::Result<Option<bytes::Bytes>>) -> Result<(), Ending> {
        match read {
            Ok(None) => {}
            Ok(Some(data)) if data.is_empty() => {
                self.peer_closed = true;
                self.socket.set_peer_closed();
                // What the handler writes now (a reply to a last line without its newline)
                // goes out before the loop ends the socket.
                self.handler.end_of_file(&mut self.socket);
                self.notes().await;
            }
            Ok(Some(data)) => {
                self.stir();
                self.received_total += data.len() as u64;
                let event = Event::data(self.socket.id(), &data);
                self.socket.receive(data);
                self.publish();
                self.events.send(event).await;
                deliver(&mut self.handler, &mut self.socket);
                self.notes().await;
            }
            Err(e) => return Err(Ending::Lost(SocketError::from_stream(e, self.remote))),
        }
        Ok(())
    }

    /// Sends what the handler noted ([`crate::Socket::note`]) as Note events.
    async fn notes(&mut self) {
        for text in self.socket.take_notes() {
            self.events
                .send(Event::Note {
                    socket: self.socket.id(),
                    text,
                })
                .await;
        }
    }

    /// Something was sent or received: the idle timeout starts again.
    fn stir(&mut self) {
        if let (Some(timeout), Some(idle)) = (self.idle_timeout, self.idle.as_mut()) {
            idle.as_mut().reset(tokio::time::Instant::now() + timeout);
        }
    }

    /// Copies the counters into the caller's snapshot.
    fn publish(&self) {
        publish(
            &self.status,
            &self.socket,
            self.received_total,
            self.sent_total,
        );
    }

    /// Closed here: hands the OS what it takes at once of the queue, then says goodbye with a
    /// FIN (after a TLS close_notify).
    async fn say_goodbye(&mut self) {
        while let Some(pending) = self.socket.next_to_send() {
            match self.stream.try_write(pending) {
                Ok(count) if count > 0 => {
                    self.socket.sent(count);
                    self.sent_total += count as u64;
                }
                _ => break,
            }
        }
        self.stream.shutdown().await;
    }

    /// The rest of the close, none of which waits: the handler's Error (a Disconnect, or the
    /// lost connection), the stream closed, the final counters, the socket forgotten
    /// (`on_closed`), the handler's Closed; then what is left to say, ending with Closed.
    fn close(
        self,
        ending: Ending,
        on_closed: OnClosed,
    ) -> (EventSender, impl Iterator<Item = Event> + Send + use<>) {
        let Self {
            stream,
            mut socket,
            mut handler,
            events,
            status,
            remote,
            received_total,
            sent_total,
            ..
        } = self;
        let id = socket.id();
        let error = match ending {
            Ending::ClosedHere => {
                tracing::debug!(socket = id.0, "closed here");
                // Xojo's Disconnect: the close is reported as a lost connection too.
                socket
                    .disconnect_requested()
                    .then(|| SocketError::LostConnection {
                        peer: remote,
                        reason: "disconnected by this program".into(),
                        cause: None,
                    })
            }
            Ending::Lost(error) => {
                tracing::debug!(socket = id.0, %error, "connection lost");
                lock(&status).last_error_code = Some(error.code());
                Some(error)
            }
        };
        let error = error.map(|error| {
            socket.set_error(&error);
            handler.error(&mut socket, &error);
            // Reported with Closed, as one parcel.
            Event::Error {
                socket: Some(id),
                error,
            }
        });
        drop(stream);
        {
            let mut status = lock(&status);
            status.last_error_code = socket.last_error_code();
            status.bytes_received = received_total;
            status.bytes_sent = sent_total;
            status.bytes_left_to_send = 0;
        }
        on_closed.run();
        handler.closed(&mut socket);
        // Any write the handler's Error or Closed tried (refused: the socket is closed), and
        // a panic of either, reported with Closed as one parcel.
        let parcel = error
            .into_iter()
            .chain(unreported(&mut socket))
            .chain([Event::Closed { socket: id }]);
        (events, parcel)
    }
}

/// Waits for the idle timer, or for ever when there is none (its branch is disabled then).
async fn expired(idle: Option<&mut std::pin::Pin<Box<tokio::time::Sleep>>>) {
    match idle {
        Some(idle) => idle.as_mut().await,
        None => std::future::pending().await,
    }
}

/// Copies the socket's counters into the caller's snapshot. Called before each event that
/// announces a change, so whoever reacts to the event reads the new numbers.
fn publish(status: &Mutex<SocketStatus>, socket: &Socket, received_total: u64, sent_total: u64) {
    let mut status = lock(status);
    status.bytes_available = socket.bytes_available();
    status.bytes_left_to_send = socket.bytes_left_to_send();
    status.bytes_received = received_total;
    status.bytes_sent = sent_total;
}

/// Fires DataAvailable, and again while the handler keeps taking bytes and some remain: a
/// handler that reads one message at a time (`read(n)`) then sees every message in the buffer,
/// even when no more data arrives. Ends when the buffer is empty or a call takes nothing.
fn deliver(handler: &mut dyn SocketHandler, socket: &mut Socket) {
    let mut before = socket.bytes_available();
    handler.data_available(socket);
    while (1..before).contains(&socket.bytes_available()) && !socket.close_requested() {
        before = socket.bytes_available();
        handler.data_available(socket);
    }
}

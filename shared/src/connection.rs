//! The task that runs one connected socket: reads, writes, commands and the handler's events.
//!
//! One task per connection owns the stream, the [`Socket`] buffers and the handler, so the
//! handler's methods run one at a time with no locks. The loop reads only while the receive
//! buffer has room and writes only while something is queued: backpressure in both directions.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use std::io;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::PEER_CLOSED;
use crate::handler::RECEIVE_BUFFER_LIMIT;
use crate::inbox::Inbox;
use crate::tcp_socket::{SocketCommand, SocketState, SocketStatus, lock};
use crate::{Event, EventSender, Socket, SocketError, SocketHandler};

/// Why the loop ended.
enum Ending {
    /// We closed it: Close, a dropped handle, or shutdown.
    ClosedHere,
    /// The peer closed it or the connection broke.
    Lost(SocketError),
}

/// Everything one connected socket's task owns.
pub(crate) struct Connection {
    /// The connected stream.
    pub stream: TcpStream,
    /// The buffers and flags the handler sees as `Me`.
    pub socket: Socket,
    /// The application's event methods for this socket.
    pub handler: Box<dyn SocketHandler>,
    /// Where observations go.
    pub events: EventSender,
    /// Commands from the caller's [`crate::TcpSocket`] handles.
    pub commands: mpsc::UnboundedReceiver<SocketCommand>,
    /// The snapshot the caller reads.
    pub status: Arc<Mutex<SocketStatus>>,
    /// Cancelled when the owner shuts down: the socket closes.
    pub cancel: CancellationToken,
    /// Runs once the stream is closed, before Closed is reported (the pool forgets the socket).
    pub on_closed: Box<dyn FnOnce() + Send>,
    /// Our and the peer's address, when the pool already reported Connected at the handoff
    /// (so a learner always sees "Socket 0 connected." before the pool refills, and the
    /// addresses need not be asked of the OS again); `None` for a client, which reports it here.
    pub announced: Option<(SocketAddr, SocketAddr)>,
    /// Close the connection once nothing was sent or received for this long (a server's idle
    /// timeout); `None` waits for ever, as Xojo does.
    pub idle_timeout: Option<Duration>,
}

/// When an accepted connection's peer has been silent this long, the OS starts asking whether
/// it is still there (TCP keepalive)...
const KEEPALIVE_TIME: Duration = Duration::from_secs(60);
/// ...asks again this often...
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// ...and after this many unanswered probes reports the connection broken.
const KEEPALIVE_RETRIES: u32 = 3;

/// Turns on TCP keepalive for an accepted connection, so a peer whose machine vanished without
/// a goodbye (power cut, cable pulled) is found out within about 90 s and frees its slot,
/// instead of holding it for ever. A peer that is there but silent answers the probes: only an
/// idle timeout ends that.
pub(crate) fn keep_alive(stream: &TcpStream) {
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_TIME)
        .with_interval(KEEPALIVE_INTERVAL);
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    let keepalive = keepalive.with_retries(KEEPALIVE_RETRIES);
    // Best effort: without keepalive the connection still works.
    let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive);
}

impl Connection {
    /// Runs the socket from Connected to Closed.
    pub(crate) async fn run(self) {
        let Self {
            mut stream,
            mut socket,
            mut handler,
            events,
            mut commands,
            status,
            cancel,
            on_closed,
            announced,
            idle_timeout,
        } = self;
        let id = socket.id();
        let addresses = announced.map_or_else(
            || {
                stream
                    .local_addr()
                    .and_then(|local| Ok((local, stream.peer_addr()?)))
            },
            Ok,
        );
        let (local, remote) = match addresses {
            Ok(addresses) => addresses,
            Err(e) => {
                // The peer vanished between accept and now.
                let error = SocketError::Os(format!("the new connection had no address: {e}"));
                events
                    .send(Event::Error {
                        socket: Some(id),
                        error,
                    })
                    .await;
                lock(&status).state = SocketState::Closed;
                on_closed();
                events.send(Event::Closed { socket: id }).await;
                return;
            }
        };
        // Small writes (a greeting, a reply) go out at once rather than waiting for more.
        let _ = stream.set_nodelay(true);
        socket.set_connected(local, remote);
        {
            let mut status = lock(&status);
            status.state = SocketState::Connected;
            status.local = Some(local);
            status.remote = Some(remote);
            status.connected_at = Some(SystemTime::now());
        }
        tracing::debug!(socket = id.0, %remote, "connected");
        if announced.is_none() {
            events
                .send(Event::Connected {
                    socket: id,
                    local,
                    remote,
                })
                .await;
        }
        handler.connected(&mut socket);

        let mut inbox = Inbox::new();
        let mut peer_closed = false;
        // Whether a SendComplete is owed: something was queued and has not all gone yet.
        let mut sending = false;
        let mut received_total = 0_u64;
        let mut sent_total = 0_u64;
        // The idle timeout: reset on every byte sent or received; only polled when there is one.
        let idle = tokio::time::sleep(idle_timeout.unwrap_or(Duration::MAX / 4));
        tokio::pin!(idle);
        let stirred = |idle: std::pin::Pin<&mut tokio::time::Sleep>| {
            if let Some(timeout) = idle_timeout {
                idle.reset(tokio::time::Instant::now() + timeout);
            }
        };
        // Shutdown is watched once for the whole loop rather than in every turn's select:
        // registering with the shared token each turn cost more than the turn's own work.
        let serve = async {
            loop {
                publish(&status, &socket, received_total, sent_total);
                if socket.close_requested() {
                    break Ending::ClosedHere;
                }
                let pending = socket.pending_write();
                sending |= pending.is_some();
                if pending.is_none() && sending {
                    sending = false;
                    events
                        .send(Event::SendComplete {
                            socket: id,
                            user_aborted: false,
                        })
                        .await;
                    handler.send_complete(&mut socket, false);
                    continue;
                }
                if peer_closed && pending.is_none() {
                    break Ending::Lost(SocketError::LostConnection {
                        peer: remote,
                        reason: PEER_CLOSED.into(),
                    });
                }
                let can_read = !peer_closed && socket.bytes_available() < RECEIVE_BUFFER_LIMIT;
                tokio::select! {
                    biased;
                    command = commands.recv() => match command {
                        Some(SocketCommand::Write(data)) => {
                            if let Err(error) = socket.write(data) {
                                socket.set_error(&error);
                                lock(&status).last_error_code = error.code();
                                events.send(Event::Error { socket: Some(id), error: error.clone() }).await;
                                handler.error(&mut socket, &error);
                            }
                        }
                        Some(SocketCommand::Close) | None => socket.close(),
                    },
                    ready = stream.writable(), if pending.is_some() => {
                        match ready.and_then(|()| stream.try_write(pending.as_deref().unwrap_or_default())) {
                            Ok(count) => {
                                stirred(idle.as_mut());
                                socket.sent(count);
                                sent_total += count as u64;
                                publish(&status, &socket, received_total, sent_total);
                                let left = socket.bytes_left_to_send() as u64;
                                let progress = Event::SendProgress { socket: id, sent: count as u64, left };
                                let cancelled = handler.send_progress(&mut socket, count as u64, left) && left > 0;
                                if cancelled {
                                    socket.purge();
                                    publish(&status, &socket, received_total, sent_total);
                                }
                                // When this step finished the send (or cancelled it), its SendComplete travels
                                // with the progress as one parcel.
                                let done = socket.pending_write().is_none() && !socket.close_requested();
                                if cancelled || done {
                                    sending = false;
                                    events.send_pair(progress, Event::SendComplete { socket: id, user_aborted: cancelled }).await;
                                    handler.send_complete(&mut socket, cancelled);
                                } else {
                                    events.send(progress).await;
                                }
                            }
                            // The readiness was spurious; wait again.
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => break Ending::Lost(SocketError::from_stream(&e, remote)),
                        }
                    }
                    ready = stream.readable(), if can_read => match ready.and_then(|()| inbox.read(&stream)) {
                        Ok(None) => {}
                        Ok(Some(data)) if data.is_empty() => peer_closed = true,
                        Ok(Some(data)) => {
                            stirred(idle.as_mut());
                            received_total += data.len() as u64;
                            socket.receive(data.clone());
                            publish(&status, &socket, received_total, sent_total);
                            events.send(Event::Data { socket: id, data }).await;
                            deliver(&mut *handler, &mut socket);
                            for text in socket.take_notes() {
                                events.send(Event::Note { socket: id, text }).await;
                            }
                        }
                        Err(e) => break Ending::Lost(SocketError::from_stream(&e, remote)),
                    },
                    () = idle.as_mut(), if idle_timeout.is_some() => {
                        break Ending::Lost(SocketError::IdleTimedOut {
                            peer: remote,
                            seconds: idle_timeout.map_or(0, |t| t.as_secs()),
                        });
                    }
                }
            }
        };
        let ending = tokio::select! {
            biased;
            () = cancel.cancelled() => Ending::ClosedHere,
            ending = serve => ending,
        };

        let mut lost = None;
        match ending {
            Ending::ClosedHere => {
                // Hand the OS what it takes at once of the queue, then say goodbye with a FIN.
                while let Some(pending) = socket.next_to_send() {
                    match stream.try_write(pending) {
                        Ok(count) if count > 0 => socket.sent(count),
                        _ => break,
                    }
                }
                let _ = stream.shutdown().await;
                tracing::debug!(socket = id.0, "closed here");
            }
            Ending::Lost(error) => {
                tracing::debug!(socket = id.0, %error, "connection lost");
                socket.set_error(&error);
                lock(&status).last_error_code = error.code();
                handler.error(&mut socket, &error);
                // Reported with Closed, as one parcel.
                lost = Some(Event::Error {
                    socket: Some(id),
                    error,
                });
            }
        }
        drop(stream);
        socket.set_disconnected();
        {
            let mut status = lock(&status);
            status.state = SocketState::Closed;
            status.bytes_received = received_total;
            status.bytes_sent = sent_total;
            status.bytes_left_to_send = 0;
        }
        on_closed();
        handler.closed(&mut socket);
        events
            .send_all(lost.into_iter().chain([Event::Closed { socket: id }]))
            .await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_ask_the_os_to_check_on_a_silent_peer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listener");
        let _client = TcpStream::connect(listener.local_addr().expect("address"))
            .await
            .expect("connect");
        let (accepted, _) = listener.accept().await.expect("accept");
        assert!(!socket2::SockRef::from(&accepted).keepalive().expect("read"));
        keep_alive(&accepted);
        assert!(socket2::SockRef::from(&accepted).keepalive().expect("read"));
    }
}

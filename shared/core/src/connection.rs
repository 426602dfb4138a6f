//! The task that runs one connected socket: reads, writes, commands and the handler's events.
//!
//! One task per connection owns the stream, the [`Socket`] buffers and the handler, so the
//! handler's methods run one at a time with no locks. The loop reads only while the receive
//! buffer has room and writes only while something is queued: backpressure in both directions.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_util::either::Either;

use crate::commands::{CommandReceiver, ShutdownWatch, SocketCommand, StatusCell};
use crate::guarded::Guarded;
use crate::keep_alive::OPTIONS_INHERITED;
use crate::on_closed::OnClosed;
use crate::status::SocketState;
use crate::status::mark_connected;
use crate::sync::lock;
use crate::tls::transport::Transport;
use crate::tls::{Secure, handshake::handshake};
use crate::{Event, EventSender, Socket, SocketError};

mod live;
mod reports;

use live::Live;

pub(crate) use reports::unreported;
use reports::{never_secured, secured_event};

/// A connected socket ready to serve, and what runs once it is closed (the pool forgets it).
type Ready = (Live, OnClosed);

/// What a socket's task serves with from its coming up to its close: what its handler sees,
/// the handler, and the ways to and from the socket's owner.
pub(crate) struct SocketParts {
    /// The buffers and flags the handler sees as `Me`.
    pub socket: Socket,
    /// The application's event methods for this socket, guarded against its panics.
    pub handler: Guarded,
    /// Where observations go.
    pub events: EventSender,
    /// Commands from the caller's [`crate::TcpSocket`] handles.
    pub commands: CommandReceiver,
    /// The snapshot the caller reads.
    pub status: StatusCell,
}

/// Everything one connected socket's task owns.
pub(crate) struct Connection {
    /// The connected stream.
    pub stream: TcpStream,
    /// The socket's buffers, handler and ways to its owner.
    pub parts: SocketParts,
    /// Says when the owner shuts down: the socket closes.
    pub cancel: ShutdownWatch,
    /// Runs once the stream is closed, before Closed is reported (the pool forgets the socket).
    pub on_closed: OnClosed,
    /// Our and the peer's address, when the pool already reported Connected at the handoff
    /// (so a learner always sees "Socket 0 connected." before the pool refills, and the
    /// addresses need not be asked of the OS again); `None` for a client, which reports it here.
    pub announced: Option<(SocketAddr, SocketAddr)>,
    /// Close the connection once nothing was sent or received for this long (a server's idle
    /// timeout); `None` waits for ever, as Xojo does.
    pub idle_timeout: Option<Duration>,
    /// For a secure socket, its TLS side: the handshake runs before Connected.
    pub secure: Option<Secure>,
}

impl Connection {
    /// Runs the socket from Connected to Closed: [`Self::come_up`], then [`Live::run`] (the
    /// handler's `connected`, the serving loop until the socket is closed here, by the peer or
    /// by shutdown, then the close).
    ///
    /// Coming up (a TLS handshake, the first events) is boxed: its future is some 3.5 KiB, and
    /// inline it would be part of every connection's task for its whole life (a future is as
    /// large as its largest state); boxed, it exists only while it runs. A plain function
    /// rather than an `async fn`, so the task does not also keep a copy of `self`: what stays
    /// is the serving loop's state and the close's, under 2 KiB.
    ///
    /// A plain connection the pool announced has nothing to wait for before it serves (no
    /// handshake, no addresses to ask, no event to send): it is made ready here, with no
    /// coming-up box. That box (an allocation, and a copy of the connection into it) was a
    /// measurable part of each short connection's cost.
    pub(crate) fn run(self) -> impl Future<Output = ()> + Send {
        let cancel = self.cancel.clone();
        match self.ready_at_once() {
            Ok((live, on_closed)) => Either::Left(live.run(on_closed, cancel)),
            Err(connection) => {
                let coming_up = Box::pin(connection.come_up());
                Either::Right(async move {
                    let Some((live, on_closed)) = coming_up.await else {
                        return;
                    };
                    live.run(on_closed, cancel).await;
                })
            }
        }
    }

    /// The serving state of a plain connection the pool already announced, which needs no
    /// await to come up; any other connection is given back, to come up on its task.
    // Given back by value, to be moved into its coming-up box: boxing it here would only add
    // an allocation.
    #[allow(clippy::result_large_err)]
    fn ready_at_once(self) -> Result<Ready, Self> {
        let Some((local, remote)) = self.announced.filter(|_| self.secure.is_none()) else {
            return Err(self);
        };
        let Self {
            stream,
            mut parts,
            on_closed,
            idle_timeout,
            ..
        } = self;
        if !OPTIONS_INHERITED {
            let _ = stream.set_nodelay(true);
        }
        parts.socket.set_connected(local, remote);
        let live = Live::new(Transport::Plain(stream), parts, remote, idle_timeout);
        Ok((live, on_closed))
    }

    /// Finds the addresses (unless the pool already announced them), runs a secure socket's
    /// handshake, shows the socket connected and reports Connected (a client's, a secure
    /// socket's); [`Live::run`] then runs the handler's `connected`. `None` when the peer
    /// vanished before it could start or the handshake failed; that is reported here, then
    /// Closed.
    async fn come_up(self) -> Option<Ready> {
        let Self {
            stream,
            mut parts,
            cancel,
            on_closed,
            announced,
            idle_timeout,
            secure,
        } = self;
        let id = parts.socket.id();
        let (events, status) = (&parts.events, &parts.status);
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
                lock(status).state = SocketState::Closed;
                on_closed.run();
                events.send(Event::Closed { socket: id }).await;
                return None;
            }
        };
        // Small writes (a greeting, a reply) go out at once rather than waiting for more. (An
        // accepted connection may have it from its listener already; a client's connect sets
        // it as soon as it succeeds.)
        if announced.is_none() || !OPTIONS_INHERITED {
            let _ = stream.set_nodelay(true);
        }
        let is_secure = secure.is_some();
        let stream = match secure {
            None => Transport::Plain(stream),
            Some(secure) => {
                // Boxed, so a plain connection's coming-up box holds no TLS state.
                let secured = tokio::select! {
                    biased;
                    () = cancel.shut_down() => None,
                    () = closed_by_caller(&mut parts.commands) => None,
                    secured = Box::pin(handshake(stream, &secure, remote)) => Some(secured),
                };
                let failure = match secured {
                    Some(Ok((transport, tls))) => {
                        secured_event(status, events, id, tls).await;
                        Ok(transport)
                    }
                    Some(Err(error)) => Err(Some(error)),
                    None => Err(None),
                };
                match failure {
                    Ok(transport) => transport,
                    Err(error) => {
                        let SocketParts {
                            handler,
                            events,
                            status,
                            ..
                        } = parts;
                        never_secured(id, handler, &events, &status, on_closed, error).await;
                        return None;
                    }
                }
            }
        };
        parts.socket.set_connected(local, remote);
        if announced.is_none() || is_secure {
            mark_connected(&parts.status, local, remote);
            parts
                .events
                .send(Event::Connected {
                    socket: id,
                    local,
                    remote,
                })
                .await;
        }
        let live = Live::new(stream, parts, remote, idle_timeout);
        Some((live, on_closed))
    }
}

/// Resolves when the socket's caller closes it (Close, Disconnect) or every handle is gone:
/// during a TLS handshake that ends it as shutdown does, with Closed and no error, rather than
/// at the handshake's timeout seconds later (a headless server's Ctrl-C waited for it). A Purge
/// has nothing to drop yet, and no Write can be queued: writes are refused until Connected.
async fn closed_by_caller(commands: &mut CommandReceiver) {
    loop {
        match commands.recv().await {
            Some(SocketCommand::Purge | SocketCommand::Write(_)) => {}
            Some(SocketCommand::Close | SocketCommand::Disconnect) | None => return,
        }
    }
}

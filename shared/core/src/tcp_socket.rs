//! Xojo's TCPSocket as the caller holds it: a cheap handle to a socket running on the runtime.
//!
//! A client makes one with [`TcpSocket::builder`] ([`ConnectBuilder`]); a [`crate::ServerSocket`] makes one for every
//! connection it hands off ([`crate::ServerSocket::active_connections`]). The handle sends
//! commands (write, close) over a channel and reads a status snapshot; it never waits on the
//! network. Dropping every handle of a client socket closes it.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::net::{TcpStream, lookup_host};
use tracing::Instrument;

use crate::commands::{
    CommandReceiver, CommandSender, Empty, SocketCommand, StatusCell, WriteRefused, command_queue,
};
use crate::connection::{Connection, SocketParts, unreported};
use crate::guarded::Guarded;
use crate::handler::SEND_QUEUE_LIMIT;
use crate::on_closed::OnClosed;
use crate::os_socket::os_handle;
use crate::status::{SocketState, SocketStatus};
use crate::sync::lock;
use crate::{Event, EventSender, Runtime, Socket, SocketError, SocketHandler, SocketId, SocketIds};

/// How long a client's Connect waits (name lookup included) before giving up, unless told
/// otherwise: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle to one TCP socket running on the background runtime. Cloning it is cheap.
#[derive(Debug, Clone)]
pub struct TcpSocket {
    /// Which socket this is.
    id: SocketId,
    /// Commands to the socket's task; closed once every handle is gone.
    commands: CommandSender,
    /// Written by the socket's task, read by the caller (in the command queue's allocation).
    status: StatusCell,
}

/// What a client's Connect needs to know before it starts: where to, and how long to try.
/// Made by [`TcpSocket::builder`]; [`ConnectBuilder::connect`] starts it.
///
/// ```no_run
/// use serversocket::{Passive, Runtime, SocketIds, TcpSocket, event_channel};
/// let runtime = Runtime::new()?;
/// let ids = SocketIds::new();
/// let (events, _) = event_channel(None); // no events wanted: the receiver is dropped
/// let socket = TcpSocket::builder("localhost", 8080)
///     .timeout(std::time::Duration::from_secs(3))
///     .connect(&runtime, &ids, Passive, events);
/// println!("socket {} is connecting", socket.id());
/// # Ok::<(), serversocket::SocketError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a ConnectBuilder does nothing until connect()"]
pub struct ConnectBuilder {
    /// The name or address to resolve, as the user typed it.
    host: String,
    /// The remote port.
    port: u16,
    /// How long Connect tries, name lookup included, before Error 102 ("connect timed out").
    timeout: Duration,
    /// Set for a secure socket (Xojo's SSLSocket): how to run and check the TLS handshake.
    tls: Option<Arc<crate::tls::ClientTls>>,
    /// The local address to connect from (Xojo's NetworkInterface); `None` lets the OS pick.
    network_interface: Option<IpAddr>,
}

impl ConnectBuilder {
    /// Gives up after `timeout` instead of [`DEFAULT_CONNECT_TIMEOUT`], name lookup included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Makes it a secure socket (Xojo's SSLSocket): once TCP is connected it reports
    /// Handshaking, runs the TLS handshake as `tls` says (checking the certificate against the
    /// host), reports Secured and only then Connected. A failed handshake is an Error
    /// ([`SocketError::Tls`]) and Closed, like a failed connect.
    pub fn tls(mut self, tls: Arc<crate::tls::ClientTls>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Connects from `address` (Xojo's NetworkInterface): the socket is bound to it, on a port
    /// the OS picks, before it connects, so the connection leaves through that interface (a
    /// machine with several addresses, or a loopback address other than 127.0.0.1). A host
    /// whose addresses are all of the other family fails with Error 106 saying so; an address
    /// that is not this machine's with Error 100, [`SocketError::AddressNotAvailable`], as a
    /// server's NetworkInterface does.
    pub fn network_interface(mut self, address: IpAddr) -> Self {
        self.network_interface = Some(address);
        self
    }

    /// Resolves the host and connects in the background (Xojo's Connect), then runs `handler`'s
    /// events. Connected or Error (then Closed) follows on `events`. The socket's id comes from
    /// `ids`, so a caller that takes every client's id from one [`SocketIds`] never gives two
    /// sockets the same one.
    #[must_use]
    pub fn connect(
        self,
        runtime: &Runtime,
        ids: &SocketIds,
        handler: impl SocketHandler,
        events: EventSender,
    ) -> TcpSocket {
        TcpSocket::start_connect(runtime, ids.next(), self, handler, events)
    }
}

impl TcpSocket {
    /// Starts describing a client's Connect to `host` on `port`; see [`ConnectBuilder`]. An
    /// IPv6 address may be written in brackets, as in a URL (`[::1]`).
    pub fn builder(host: impl Into<String>, port: u16) -> ConnectBuilder {
        let host = host.into();
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(inside) if inside.parse::<std::net::Ipv6Addr>().is_ok() => inside.to_owned(),
            _ => host,
        };
        ConnectBuilder {
            host,
            port,
            timeout: DEFAULT_CONNECT_TIMEOUT,
            tls: None,
            network_interface: None,
        }
    }

    /// Runs a client's Connect and then its connection, as socket `id`.
    fn start_connect(
        runtime: &Runtime,
        id: SocketId,
        target: ConnectBuilder,
        handler: impl SocketHandler,
        events: EventSender,
    ) -> Self {
        let ConnectBuilder {
            host,
            port,
            timeout,
            tls,
            network_interface,
        } = target;
        let secure = tls.map(|tls| crate::tls::Secure::Client(tls, host.clone()));
        let (socket, mut commands) = Self::new(id, SocketState::Connecting);
        let status = socket.status.clone();
        let span = tracing::info_span!("socket", id = id.0, %host, port);
        // Guarded from here on: a panic in any of its methods, even on a failed connect, ends
        // the socket with an Error and Closed rather than its task.
        let handler = Guarded::new(Box::new(handler));
        runtime.handle().spawn(
            async move {
                events
                    .send(Event::Connecting {
                        socket: id,
                        host: host.clone(),
                        port,
                    })
                    .await;
                // While connecting only Close can arrive (Write refuses), or every handle goes:
                // either abandons the connect.
                let outcome = tokio::select! {
                    biased;
                    _ = commands.recv() => None,
                    outcome = tokio::time::timeout(timeout, open(&host, port, network_interface, (id, &events))) => Some(outcome),
                };
                match outcome {
                    Some(Ok(Ok(stream))) => {
                        let state = if secure.is_some() {
                            SocketState::Handshaking
                        } else {
                            SocketState::Connected
                        };
                        let announced = match come_up(&stream, &status, &mut commands, state) {
                            Ok(announced) => announced,
                            Err(NotUp::Abandoned) => {
                                abandon(id, handler, &events, &status).await;
                                return;
                            }
                            Err(NotUp::Vanished(error)) => {
                                fail(id, handler, &events, &status, error).await;
                                return;
                            }
                        };
                        let (local, remote) = announced;
                        // Small writes (a hello, a reply) go out at once rather than waiting
                        // for the peer's ACK (Nagle's algorithm); the connection's task sets
                        // this only on accepted connections that lack it.
                        let _ = stream.set_nodelay(true);
                        // A secure socket is connected once its handshake is done.
                        events
                            .send(Event::came_up(id, local, remote, secure.is_some()))
                            .await;
                        // A client's owner never shuts it down: its handles close it.
                        let cancel = commands.shutdown_watch();
                        Connection {
                            stream,
                            parts: SocketParts {
                                socket: Socket::new(id),
                                handler,
                                events,
                                commands,
                                status,
                            },
                            cancel,
                            on_closed: OnClosed::nothing(),
                            announced: Some(announced),
                            idle_timeout: None,
                            secure,
                        }
                        .run()
                        .await;
                    }
                    Some(Ok(Err(error))) => fail(id, handler, &events, &status, error).await,
                    Some(Err(_elapsed)) => {
                        let error = SocketError::ConnectTimedOut {
                            address: format!("{host}:{port}"),
                            timeout: Some(timeout),
                            cause: None,
                        };
                        fail(id, handler, &events, &status, error).await;
                    }
                    None => abandon(id, handler, &events, &status).await,
                }
            }
            .instrument(span),
        );
        socket
    }

    /// A handle plus the receiving end of its command channel, for whoever runs the socket.
    pub(crate) fn new(id: SocketId, state: SocketState) -> (Self, CommandReceiver) {
        let (commands, receiver) = command_queue(SocketStatus {
            state,
            ..SocketStatus::default()
        });
        (
            Self {
                id,
                status: commands.status(),
                commands,
            },
            receiver,
        )
    }

    pub(crate) fn status_cell(&self) -> StatusCell {
        self.status.clone()
    }

    /// This socket's id.
    #[must_use]
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// Queues `data` for sending (Xojo's Write); returns at once.
    ///
    /// A refusal is returned here, and only here: the caller who wrote is the one who can act
    /// on it (a write refused inside the socket's handler fires its Error event instead).
    ///
    /// # Errors
    /// [`SocketError::InvalidState`] (106) when the socket is not connected (or was closed
    /// through a handle); [`SocketError::SendQueueFull`] (108) when [`SEND_QUEUE_LIMIT`] bytes
    /// already wait to be sent, as for the handler's own writes (while less waits, a write is
    /// taken whole however long).
    pub fn write(&self, data: impl Into<Bytes>) -> Result<(), SocketError> {
        let held = {
            let status = lock(&self.status);
            if status.state != SocketState::Connected {
                return Err(SocketError::InvalidState(format!(
                    "socket {} is {}, so it cannot write",
                    self.id,
                    match status.state {
                        SocketState::Connecting => "still connecting",
                        SocketState::Handshaking => "still in its TLS handshake",
                        _ => "closed",
                    }
                )));
            }
            status.bytes_left_to_send
        };
        let room = SEND_QUEUE_LIMIT.saturating_sub(held);
        self.commands
            .write(data.into(), room)
            .map_err(|refused| match refused {
                WriteRefused::Gone => {
                    SocketError::InvalidState(format!("socket {} is closed", self.id))
                }
                WriteRefused::Full(waiting) => SocketError::SendQueueFull {
                    queued: held + waiting,
                },
            })
    }

    /// Its owner shuts down (the pool's registry): the task closes the socket at once, even
    /// while it waits for room in the event channel.
    pub(crate) fn shut_down(&self) {
        self.commands.shut_down();
    }

    /// Closes the connection (Xojo's Close); Closed follows on the event channel.
    /// Closing a socket that is already closed does nothing. What the OS takes at once of the
    /// bytes still queued (written here or by the handler, before the close) goes out; the
    /// rest is dropped, and SendComplete with `user_aborted` true says so before Closed. To
    /// close without dropping anything, wait for SendComplete (or [`Self::bytes_left_to_send`]
    /// 0) first.
    pub fn close(&self) {
        // Sent under the status lock: a client's task that has just connected looks for a
        // Close under the same lock before it shows Connected, so a close made while the
        // caller still saw Connecting always abandons the connect.
        let mut status = lock(&self.status);
        // An error only means the task has already ended: the socket is closed either way.
        let _ = self.commands.send(SocketCommand::Close);
        // The handle says so at once (IsConnected false), and refuses writes: the task
        // closes on its next turn and would drop them unsent.
        status.state = SocketState::Closed;
    }

    /// Closes the connection as Xojo's Disconnect does: Error 102 ("disconnected by this
    /// program") and then Closed follow on the event channel. [`Self::close`] reports only
    /// Closed.
    pub fn disconnect(&self) {
        let mut status = lock(&self.status);
        let _ = self.commands.send(SocketCommand::Disconnect);
        status.state = SocketState::Closed;
    }

    /// Drops every byte queued and not yet sent (Xojo's Purge): written through this handle
    /// or by the socket's handler. What the OS already took still goes out. When bytes were
    /// dropped, SendComplete follows with `user_aborted` true.
    pub fn purge(&self) {
        let _ = self.commands.send(SocketCommand::Purge);
    }

    /// The connection's OS handle (Xojo's Handle: a file descriptor, or a socket handle on
    /// Windows), once connected.
    #[must_use]
    pub fn handle(&self) -> Option<i64> {
        lock(&self.status).handle
    }

    /// A snapshot of the socket's state and counters.
    #[must_use]
    pub fn status(&self) -> SocketStatus {
        lock(&self.status).clone()
    }

    /// True while connected (Xojo's IsConnected).
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.status().state == SocketState::Connected
    }

    /// Our end of the connection (Xojo's LocalAddress).
    #[must_use]
    pub fn local_address(&self) -> Option<SocketAddr> {
        self.status().local
    }

    /// The peer's end (Xojo's RemoteAddress).
    #[must_use]
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.status().remote
    }

    /// The code of the last failure, `None` if none yet (Xojo's LastErrorCode, where none is 0).
    #[must_use]
    pub fn last_error_code(&self) -> Option<i32> {
        self.status().last_error_code
    }

    /// Received bytes not yet read by the handler (Xojo's BytesAvailable).
    #[must_use]
    pub fn bytes_available(&self) -> usize {
        self.status().bytes_available
    }

    /// Queued bytes not yet sent (Xojo's BytesLeftToSend).
    #[must_use]
    pub fn bytes_left_to_send(&self) -> usize {
        self.status().bytes_left_to_send
    }

    /// The negotiated TLS protocol version and cipher suite (and the handshake's duration) of
    /// a secure socket once its handshake is done; `None` for a plain socket.
    #[must_use]
    pub fn tls(&self) -> Option<crate::tls::TlsInfo> {
        self.status().tls
    }
}

/// Resolves `host` and tries each of its addresses in turn, telling `events` (as socket `id`)
/// each connect's local end.
async fn open(
    host: &str,
    port: u16,
    from: Option<IpAddr>,
    events: (SocketId, &EventSender),
) -> Result<TcpStream, SocketError> {
    if port == 0 {
        return Err(SocketError::InvalidPort {
            port: "0".to_owned(),
            reason: "a client must name the port it connects to (1 to 65535)".to_owned(),
        });
    }
    let addresses: Vec<SocketAddr> = lookup_host((host, port))
        .await
        .map_err(|e| SocketError::NameResolution {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    let mut last_error = match from {
        // Kept only if every address is of the other family (none is tried then).
        Some(from) if !addresses.is_empty() => SocketError::InvalidSetting {
            field: "NetworkInterface",
            reason: format!(
                "{from} is an {} address and \"{host}\" has only {} addresses: a connection \
                 leaves from an address of its own family",
                family(from.is_ipv4()),
                family(!from.is_ipv4()),
            ),
        },
        _ => SocketError::NameResolution {
            host: host.to_owned(),
            reason: "the name has no addresses".to_owned(),
        },
    };
    for address in addresses {
        // With a NetworkInterface, only the addresses of its family can be reached from it.
        if from.is_some_and(|from| from.is_ipv4() != address.is_ipv4()) {
            continue;
        }
        match connect_from(from, address, events).await {
            Ok(stream) => return refuse_self_connection(stream, address),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

/// "IPv4" or "IPv6".
fn family(ipv4: bool) -> &'static str {
    if ipv4 { "IPv4" } else { "IPv6" }
}

/// Connects to `address`, from `from` (any port) when given. As soon as the SYN has left, the
/// socket's local end is read and sent as SynSent: tokio's connect takes the socket and gives
/// it back only once the connect ends (a refused one never), so its first step runs here and
/// the end is read off a duplicate of the descriptor, closed at once. (On loopback the first
/// step may already have the outcome, a refusal too; the kernel keeps the end readable.)
async fn connect_from(
    from: Option<IpAddr>,
    address: SocketAddr,
    (id, events): (SocketId, &EventSender),
) -> Result<TcpStream, SocketError> {
    let failed = |error| SocketError::from_connect(error, address);
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(failed)?;
    if let Some(from) = from {
        // A bind, failing as a server's does: an address that is not this machine's is
        // AddressNotAvailable, not a failed connect.
        let from = SocketAddr::new(from, 0);
        socket
            .bind(from)
            .map_err(|error| SocketError::from_bind(error, from))?;
    }
    let duplicate = socket2::SockRef::from(&socket)
        .try_clone()
        .map_err(failed)?;
    let connect = socket.connect(address);
    tokio::pin!(connect);
    // The first poll sends the SYN (the kernel's connect); on loopback it may also finish.
    let first = std::future::poll_fn(|cx| Poll::Ready(connect.as_mut().poll(cx))).await;
    let local = duplicate
        .local_addr()
        .ok()
        .and_then(|local| local.as_socket());
    drop(duplicate);
    if let Some(local) = local.filter(|local| local.port() != 0) {
        events
            .send(Event::SynSent {
                socket: id,
                local,
                remote: address,
            })
            .await;
    }
    match first {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => connect.await,
    }
    .map_err(failed)
}

/// Why a client's connect that succeeded does not come up.
enum NotUp {
    /// The caller closed it meanwhile, or dropped every handle.
    Abandoned,
    /// The peer was gone as soon as the connection was made (its addresses cannot be read).
    Vanished(SocketError),
}

/// A client's connect succeeded: shows the socket connected and returns its addresses, unless
/// the caller closed it meanwhile (or dropped every handle), or the peer already vanished.
fn come_up(
    stream: &TcpStream,
    status: &Mutex<SocketStatus>,
    commands: &mut CommandReceiver,
    state: SocketState,
) -> Result<(SocketAddr, SocketAddr), NotUp> {
    let vanished = |error: std::io::Error| {
        NotUp::Vanished(SocketError::Os(format!(
            "the connection was gone as soon as it was made: {error}"
        )))
    };
    let local = stream.local_addr().map_err(vanished)?;
    let remote = stream.peer_addr().map_err(vanished)?;
    let mut status = lock(status);
    if matches!(
        commands.try_recv(),
        Ok(SocketCommand::Close) | Err(Empty::Disconnected)
    ) {
        return Err(NotUp::Abandoned);
    }
    status.state = state;
    status.local = Some(local);
    status.remote = Some(remote);
    status.handle = Some(os_handle(stream));
    if state == SocketState::Connected {
        status.connected_at = Some(SystemTime::now());
    }
    Ok((local, remote))
}

/// Reports a connect the caller abandoned (or whose peer vanished at once): Closed only, as
/// for any socket closed here. The handler never saw Connected, so it hears only Closed.
async fn abandon(
    id: SocketId,
    mut handler: Guarded,
    events: &EventSender,
    status: &Mutex<SocketStatus>,
) {
    tracing::info!("connect abandoned");
    lock(status).state = SocketState::Closed;
    let mut socket = Socket::new(id);
    handler.closed(&mut socket);
    events
        .send_all(unreported(&mut socket).chain([Event::Closed { socket: id }]))
        .await;
}

/// Closes a connection whose two ends are the same socket. When nothing listens on a port of
/// the OS's ephemeral range, a connect to it can be given that very port as its own: the SYN
/// meets itself, and TCP's simultaneous open "connects" the socket to itself. Left alone it
/// would read back its own every write forever.
fn refuse_self_connection(
    stream: TcpStream,
    address: SocketAddr,
) -> Result<TcpStream, SocketError> {
    match (stream.local_addr(), stream.peer_addr()) {
        (Ok(local), Ok(remote)) if local == remote => {
            tracing::info!(%local, "connected to itself; closing");
            Err(SocketError::ConnectedToItself { address })
        }
        _ => Ok(stream),
    }
}

/// Reports a connect that never came up: Error, then Closed.
async fn fail(
    id: SocketId,
    mut handler: Guarded,
    events: &EventSender,
    status: &Mutex<SocketStatus>,
    error: SocketError,
) {
    tracing::info!(%error, "connect failed");
    let mut socket = Socket::new(id);
    socket.set_error(&error);
    {
        let mut status = lock(status);
        status.last_error_code = Some(error.code());
        status.state = SocketState::Closed;
    }
    events
        .send(Event::Error {
            socket: Some(id),
            error: error.clone(),
        })
        .await;
    handler.error(&mut socket, &error);
    handler.closed(&mut socket);
    events
        .send_all(unreported(&mut socket).chain([Event::Closed { socket: id }]))
        .await;
}

#[cfg(test)]
mod tests;

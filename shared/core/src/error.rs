//! Every way a socket can fail, as one typed error carrying Xojo's error code.
//!
//! Xojo reports socket failures as a number (`LastErrorCode`, the Error event's code). We keep
//! those numbers, so people coming from Xojo recognise them, but each variant also says in plain
//! words what happened, because the number alone teaches nothing.
//!
//! | code | Xojo name            | our variants |
//! |------|----------------------|--------------|
//! | 100  | OpenDriverError      | [`SocketError::Os`], [`SocketError::AcceptFailed`], [`SocketError::AddressNotAvailable`], [`SocketError::MappedAddress`] |
//! | 102  | LostConnection       | [`SocketError::LostConnection`], [`SocketError::ConnectionRefused`], [`SocketError::ConnectTimedOut`], [`SocketError::ConnectedToItself`], [`SocketError::IdleTimedOut`], [`SocketError::Tls`] |
//! | 103  | NameResolutionError  | [`SocketError::NameResolution`] |
//! | 105  | AddressInUseError    | [`SocketError::AddressInUse`], [`SocketError::PortHeldByConnection`] |
//! | 106  | InvalidStateError    | [`SocketError::InvalidState`], [`SocketError::InvalidSetting`], [`SocketError::RuntimeDropped`] |
//! | 107  | InvalidPortError     | [`SocketError::InvalidPort`], [`SocketError::PortNeedsPrivileges`], [`SocketError::BindNotPermitted`] |
//! | 108  | OutOfMemoryError     | [`SocketError::SendQueueFull`] |
//! | 109  | (none: ours)         | [`SocketError::Panicked`] |
//!
//! Xojo's documentation gives no code of its own to a refused connection. Xojo itself reports it
//! as 102 (the connection could not be kept up), so we do the same, with a message that says
//! "refused" and a variant of its own so programs can tell it apart.
//!
//! 109 is ours: a handler or an AddSocket callback of the program's that panicked. In Xojo an
//! exception in an event handler is the application's unhandled exception; here the socket (or
//! the listener) that ran it ends with this error and everything else goes on.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

/// How a connection holds the port a Listen wanted ([`SocketError::PortHeldByConnection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PortHold {
    /// It is open (or closing): it holds the port until it closes.
    Open,
    /// It closed moments ago and waits in TIME_WAIT, which keeps its port for about a
    /// minute on Linux (so a late segment of it is not taken for a new connection's).
    TimeWait,
}

impl fmt::Display for PortHold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => {
                "a connection of some program has it as its own end, for a moment or until \
                 that connection closes"
            }
            Self::TimeWait => {
                "a connection that closed moments ago still holds it in TIME_WAIT (about a \
                 minute on Linux); choose another port or wait"
            }
        })
    }
}

/// A socket failure, with the Xojo error code it maps to ([`SocketError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SocketError {
    /// The peer closed the connection (gracefully or by a reset), or it broke.
    #[error("the connection to {peer} was lost: {reason}")]
    LostConnection {
        /// Who we were talking to.
        peer: SocketAddr,
        /// What the operating system said, in plain words (mostly fixed phrases, so the common
        /// case of a peer closing allocates nothing).
        reason: Cow<'static, str>,
        /// The operating system's error, when there was one (not for a clean close).
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// Nothing accepted the connection: no program listens on that port, or it refused us.
    #[error("connection refused: nothing is listening on {address}")]
    ConnectionRefused {
        /// The address we tried.
        address: String,
        /// The operating system's error.
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// The connect reached our own socket: nothing listened on the port, and the OS had picked
    /// that same port for our end, so the connection's two ends are one socket (TCP's
    /// "simultaneous open" with itself). It would only ever hear its own words, so it is closed
    /// before Connected.
    #[error(
        "the socket connected to itself: nothing is listening on {address}, and the OS had picked that same port for our end of the connection, so it was closed before talking to itself"
    )]
    ConnectedToItself {
        /// The address we tried, which was also our own.
        address: SocketAddr,
    },
    /// Nothing was sent or received on the connection for the idle timeout, so we closed it
    /// and its slot is free for another client.
    #[error(
        "closed the connection to {peer}: nothing was sent or received for {} (the idle timeout), so its slot is free for another client",
        in_seconds(*timeout)
    )]
    IdleTimedOut {
        /// Who we were talking to.
        peer: SocketAddr,
        /// The idle timeout that ran out.
        timeout: Duration,
    },
    /// The TLS handshake failed or timed out: the secure connection never came up, so the
    /// socket closed before Connected (Xojo's SSLSocket reports it as a lost connection, 102).
    #[error("the TLS handshake with {peer} failed: {problem} ({detail})")]
    Tls {
        /// Who we were talking to.
        peer: SocketAddr,
        /// Why, in the cases a learner meets.
        problem: crate::tls::TlsProblem,
        /// rustls's own words.
        detail: String,
    },
    /// The peer did not answer within the connect timeout: ours, or the operating system's
    /// own (which gives up after its handshake retries). Either way the same code, 102.
    #[error(
        "no answer from {address}{}, so the connect attempt was given up",
        timeout.map_or_else(String::new, |t| format!(" within {}", in_seconds(t)))
    )]
    ConnectTimedOut {
        /// The address we tried.
        address: String,
        /// The timeout that ran out; `None` when the operating system gave up on its own.
        timeout: Option<Duration>,
        /// The operating system's error, when it gave up on its own.
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// The host name could not be turned into an address.
    #[error("the name \"{host}\" could not be resolved to an address: {reason}")]
    NameResolution {
        /// The name we tried to resolve.
        host: String,
        /// What the resolver said.
        reason: String,
    },
    /// Another socket already holds this address and port.
    #[error("{address} is already in use: another program (or another listener) holds that port")]
    AddressInUse {
        /// The address and port we tried to bind.
        address: String,
        /// The operating system's error.
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// The address and port are taken although nothing listens on the port: a connection (of
    /// any program) has that port as its own end, typically an outgoing connection that the
    /// OS gave a port of its ephemeral range; open, or closed and waiting in TIME_WAIT.
    #[error("{address} is already in use, though nothing listens on that port: {held}{hint}")]
    PortHeldByConnection {
        /// The address and port we tried to bind.
        address: String,
        /// Whether the connection is open or already closed (TIME_WAIT): how long it holds
        /// the port.
        held: PortHold,
        /// What to do about it, e.g. that the port lies in the ephemeral range (empty if not).
        hint: String,
    },
    /// The bind address is an IPv4 address written as IPv6 (`::ffff:127.0.0.1`).
    #[error(
        "{address} is the IPv4 address {ipv4} written as IPv6 (IPv4-mapped); a listener cannot bind that form: listen on {ipv4}, or on :: for IPv6 and IPv4 together"
    )]
    MappedAddress {
        /// The address as given.
        address: String,
        /// The IPv4 address it stands for.
        ipv4: String,
    },
    /// The address to bind (a server's, or the one a client connects from) is not one of
    /// this machine's own addresses.
    #[error(
        "{address} is not an address of this machine, so no socket can listen on it or connect from it"
    )]
    AddressNotAvailable {
        /// The address we tried to bind.
        address: String,
        /// The operating system's error.
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// The operation does not fit the socket's state, e.g. writing to a socket that is not connected.
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// The [`crate::Runtime`] a server was made on was dropped: nothing runs its sockets any
    /// more, so Listen and the limits are refused.
    #[error(
        "the Runtime this server was made on was dropped, so nothing can run its sockets any more: keep the Runtime until the servers and sockets made on it are dropped"
    )]
    RuntimeDropped,
    /// A setting is out of its allowed range; nothing was started.
    #[error("{field}: {reason}")]
    InvalidSetting {
        /// Which setting (e.g. "MaximumSocketsConnected").
        field: &'static str,
        /// Why the value is not allowed.
        reason: String,
    },
    /// The port text is not a port number (0..=65535).
    #[error("port \"{port}\" is not valid: {reason}")]
    InvalidPort {
        /// The port as the user gave it.
        port: String,
        /// Why it is not valid.
        reason: String,
    },
    /// Ports below 1024 are reserved for privileged programs.
    #[error("port {port} is below 1024, and binding it needs administrator privileges")]
    PortNeedsPrivileges {
        /// The privileged port.
        port: u16,
        /// The operating system's error.
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// The system refused to let this program bind the address, for a reason other than the
    /// port being below 1024 (a security policy, a port range reserved by the system).
    #[error("the system does not permit binding {address}: {reason}")]
    BindNotPermitted {
        /// The address and port we tried to bind.
        address: String,
        /// What the operating system said.
        reason: String,
        /// The operating system's error.
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// Accepting a waiting connection failed (e.g. the process ran out of file descriptors).
    /// The listener backs off and keeps listening.
    #[error(
        "accepting a connection failed: {reason}; the server keeps listening and tries again in {} ms, or as soon as a connection closes",
        retry_in.as_millis()
    )]
    AcceptFailed {
        /// What the operating system said.
        reason: String,
        /// How long the listener waits before it accepts again (unless a connection closes
        /// first): the pause doubles with each failure in a row, so a reader sees it back off.
        retry_in: Duration,
        /// The operating system's error.
        #[source]
        #[serde(skip)]
        cause: Option<IoCause>,
    },
    /// More data was queued for sending than the socket holds: the peer reads more slowly than
    /// the program writes (or not at all).
    #[error(
        "the send queue is full ({queued} bytes waiting): the peer has not read them yet, so this write was refused"
    )]
    SendQueueFull {
        /// Bytes already waiting to be sent.
        queued: usize,
    },
    /// Any other failure of the operating system's network stack.
    #[error("the network stack reported an error: {0}")]
    Os(String),
    /// The program's own code panicked: a socket's handler (that socket is closed) or the
    /// AddSocket callback (the listener stops listening).
    #[error("{what} panicked: {message}")]
    Panicked {
        /// Whose code: "the socket's handler" or "AddSocket".
        what: &'static str,
        /// The panic's message.
        message: String,
    },
}

impl SocketError {
    /// The Xojo error code (`LastErrorCode`) for this failure.
    #[must_use]
    pub fn code(&self) -> i32 {
        match self {
            Self::Os(_)
            | Self::AcceptFailed { .. }
            | Self::AddressNotAvailable { .. }
            | Self::MappedAddress { .. } => 100,
            Self::LostConnection { .. }
            | Self::ConnectionRefused { .. }
            | Self::ConnectedToItself { .. }
            | Self::IdleTimedOut { .. }
            | Self::Tls { .. }
            | Self::ConnectTimedOut { .. } => 102,
            Self::NameResolution { .. } => 103,
            Self::AddressInUse { .. } | Self::PortHeldByConnection { .. } => 105,
            Self::InvalidState(_) | Self::InvalidSetting { .. } | Self::RuntimeDropped => 106,
            Self::InvalidPort { .. }
            | Self::PortNeedsPrivileges { .. }
            | Self::BindNotPermitted { .. } => 107,
            Self::SendQueueFull { .. } => 108,
            Self::Panicked { .. } => 109,
        }
    }

    /// True when the peer closed the connection in good order (its FIN, no error from the
    /// system): the normal end of a connection, which Xojo reports as Error 102 all the same.
    /// A window draws it as a close, not as an alarm.
    #[must_use]
    pub fn is_peer_close(&self) -> bool {
        matches!(self, Self::LostConnection { reason, cause: None, .. } if reason == PEER_CLOSED)
    }

    /// A few words saying what happened, shown after the number: `Error = 102 (lost connection)`.
    /// Finer than the code: a refused connect and a lost connection share 102.
    #[must_use]
    pub fn meaning(&self) -> &'static str {
        match self {
            Self::LostConnection { .. } => "lost connection",
            Self::ConnectionRefused { .. } => "connection refused",
            Self::ConnectTimedOut { .. } => "connect timed out",
            Self::ConnectedToItself { .. } => "connected to itself",
            Self::IdleTimedOut { .. } => "idle timeout",
            Self::Tls { problem, .. } => problem.meaning(),
            Self::NameResolution { .. } => "name resolution failed",
            Self::AddressInUse { .. } | Self::PortHeldByConnection { .. } => "address in use",
            Self::MappedAddress { .. } => "IPv4-mapped address",
            Self::AddressNotAvailable { .. } => "address not available",
            Self::InvalidState(_) => "invalid state",
            Self::InvalidSetting { .. } => "invalid setting",
            Self::RuntimeDropped => "runtime dropped",
            Self::InvalidPort { .. } => "invalid port",
            Self::PortNeedsPrivileges { .. } => "port needs privileges",
            Self::BindNotPermitted { .. } => "bind not permitted",
            Self::AcceptFailed { .. } => "accept failed",
            Self::SendQueueFull { .. } => "send queue full",
            Self::Os(_) => "network stack error",
            Self::Panicked { .. } => "panicked",
        }
    }

    /// Classifies an I/O error from a connected stream (read or write) as seen from `peer`.
    pub(crate) fn from_stream(error: io::Error, peer: SocketAddr) -> Self {
        Self::LostConnection {
            peer,
            reason: plain_io_reason(&error),
            cause: Some(IoCause::from(error)),
        }
    }

    /// Classifies an error from binding a listener on `address`.
    pub(crate) fn from_bind(error: io::Error, address: SocketAddr) -> Self {
        let cause = Some(IoCause::from(error));
        match cause.as_ref().map(IoCause::kind) {
            Some(io::ErrorKind::AddrInUse) => {
                use serversocket_kernel::ports::{PortHolder, port_holder};
                let held = match port_holder(address.port()) {
                    Some(PortHolder::TimeWait) => Some(PortHold::TimeWait),
                    // Nothing found: the connection that held it closed since.
                    Some(PortHolder::Connection | PortHolder::Nothing) => Some(PortHold::Open),
                    _ => None,
                };
                match held {
                    Some(held) => Self::PortHeldByConnection {
                        address: address.to_string(),
                        held,
                        hint: ephemeral_hint(address.port()),
                    },
                    None => Self::AddressInUse {
                        address: address.to_string(),
                        cause,
                    },
                }
            }
            Some(io::ErrorKind::AddrNotAvailable) => Self::AddressNotAvailable {
                address: address_on_its_interface(address),
                cause,
            },
            // Only a port below 1024 is refused for want of privileges; any other refusal
            // says what the system said, not something about 1024 that is not true.
            Some(io::ErrorKind::PermissionDenied) if (1..1024).contains(&address.port()) => {
                Self::PortNeedsPrivileges {
                    port: address.port(),
                    cause,
                }
            }
            Some(io::ErrorKind::PermissionDenied) => Self::BindNotPermitted {
                address: address.to_string(),
                reason: cause.as_ref().map(ToString::to_string).unwrap_or_default(),
                cause,
            },
            _ => Self::Os(format!(
                "binding {address} failed: {}{}",
                cause.as_ref().map(ToString::to_string).unwrap_or_default(),
                scope_hint(address)
            )),
        }
    }

    /// Classifies an error from connecting to `address`.
    pub(crate) fn from_connect(error: io::Error, address: SocketAddr) -> Self {
        match error.kind() {
            io::ErrorKind::ConnectionRefused => Self::ConnectionRefused {
                address: address.to_string(),
                cause: Some(IoCause::from(error)),
            },
            // The OS gave up its handshake retries: the same failure as our own timeout.
            io::ErrorKind::TimedOut => Self::ConnectTimedOut {
                address: address.to_string(),
                timeout: None,
                cause: Some(IoCause::from(error)),
            },
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                Self::from_stream(error, address)
            }
            _ => Self::Os(format!("connecting to {address} failed: {error}")),
        }
    }

    /// The operating system's kind of error behind this one, when there was one.
    #[must_use]
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            Self::LostConnection { cause, .. }
            | Self::ConnectionRefused { cause, .. }
            | Self::ConnectTimedOut { cause, .. }
            | Self::AddressInUse { cause, .. }
            | Self::AddressNotAvailable { cause, .. }
            | Self::PortNeedsPrivileges { cause, .. }
            | Self::BindNotPermitted { cause, .. }
            | Self::AcceptFailed { cause, .. } => cause.as_ref().map(IoCause::kind),
            _ => None,
        }
    }
}

/// A timeout as a person set it: whole seconds as `5 s`, anything else to the millisecond
/// (`0.7 s`, `1.25 s`), never a `0 s` for a timeout under a second.
pub(crate) fn in_seconds(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 {
        format!("{} s", timeout.as_secs())
    } else {
        let text = format!("{:.3}", timeout.as_secs_f64());
        format!("{} s", text.trim_end_matches('0'))
    }
}

/// Why a port nobody listens on can be taken, when it lies in the OS's ephemeral range.
fn ephemeral_hint(port: u16) -> String {
    match serversocket_kernel::ports::ephemeral_port_range() {
        Some(range) if range.contains(&port) => format!(
            "; port {port} lies in the range {}–{} from which the OS picks the ports of outgoing connections, so choose a port outside it",
            range.start(),
            range.end()
        ),
        _ => String::new(),
    }
}

/// The operating system's error behind a [`SocketError`] (its `source()`), shared so the
/// error stays cheap to clone. Two causes are equal when their kind and words are.
#[derive(Debug, Clone)]
pub struct IoCause(Arc<io::Error>);

impl IoCause {
    /// The kind of the operating system's error.
    #[must_use]
    pub fn kind(&self) -> io::ErrorKind {
        self.0.kind()
    }
}

impl From<io::Error> for IoCause {
    fn from(error: io::Error) -> Self {
        Self(Arc::new(error))
    }
}

impl fmt::Display for IoCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for IoCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

impl PartialEq for IoCause {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.0.to_string() == other.0.to_string()
    }
}

impl Eq for IoCause {}

/// An address as an error names it: with its interface when it has one (`fe80::1%eth0` is
/// refused where fe80::1 is on another interface, and "fe80::1 is not an address of this
/// machine" would read as false).
fn address_on_its_interface(address: SocketAddr) -> String {
    match address {
        SocketAddr::V6(v6) if v6.scope_id() != 0 => {
            let interface = crate::interface_name(v6.scope_id())
                .unwrap_or_else(|| format!("number {}", v6.scope_id()));
            format!("{} on interface {interface}", v6.ip())
        }
        _ => address.ip().to_string(),
    }
}

/// What a link-local IPv6 address without its interface lacks (`fe80::1` on every interface
/// at once is no address: the system says only "Invalid argument").
fn scope_hint(address: SocketAddr) -> &'static str {
    match address {
        SocketAddr::V6(v6) if v6.ip().is_unicast_link_local() && v6.scope_id() == 0 => {
            " (a link-local address names its interface too: fe80::…%eth0, as `ip -6 addr` lists it)"
        }
        _ => "",
    }
}

/// The short meaning of a Xojo socket error code.
#[must_use]
pub fn code_meaning(code: i32) -> &'static str {
    match code {
        0 => "no error",
        100 => "network stack error",
        102 => "lost connection",
        103 => "name resolution failed",
        105 => "address in use",
        106 => "invalid state",
        107 => "invalid port",
        // Xojo's OutOfMemoryError; our only 108 is a full send queue, so it says that.
        108 => "send queue full",
        // Not Xojo's: the program's own handler or AddSocket panicked.
        109 => "panicked",
        _ => "unknown error",
    }
}

/// Says in plain words what an I/O error on an open connection means.
fn plain_io_reason(error: &io::Error) -> Cow<'static, str> {
    Cow::Borrowed(match error.kind() {
        io::ErrorKind::UnexpectedEof => PEER_CLOSED,
        io::ErrorKind::ConnectionReset => "the peer reset the connection (it closed abruptly)",
        io::ErrorKind::ConnectionAborted => "the connection was aborted",
        io::ErrorKind::BrokenPipe => "the peer closed the connection while we were still sending",
        io::ErrorKind::TimedOut => "the connection timed out",
        _ => match tls_alert(error) {
            Some(alert) => return Cow::Owned(alert_reason(alert)),
            None => return Cow::Owned(error.to_string()),
        },
    })
}

/// The TLS alert the peer ended the connection with, when that is what this error is.
fn tls_alert(error: &io::Error) -> Option<rustls::AlertDescription> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(alert) => Some(*alert),
        _ => None,
    }
}

/// A TLS alert after the handshake, in words. rustls says "received fatal alert:
/// CertificateRequired", which does not say who wants what: in TLS 1.3 a server checks the
/// client's certificate only after the client's side of the handshake is done, so a server
/// that requires one and got none says so here, on a socket already connected.
fn alert_reason(alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as Alert;
    let name = alert_name(alert);
    match alert {
        Alert::CertificateRequired => format!(
            "the peer requires a client certificate, and this socket has none to give (TLS \
             alert {name}: a TLS 1.3 server checks it only after the client's side of the \
             handshake is done)"
        ),
        Alert::BadCertificate
        | Alert::UnsupportedCertificate
        | Alert::CertificateRevoked
        | Alert::CertificateExpired
        | Alert::CertificateUnknown
        | Alert::UnknownCA
        | Alert::AccessDenied => {
            format!("the peer refused the session over a certificate (TLS alert {name})")
        }
        _ => format!("the peer ended the TLS session with alert {name}"),
    }
}

/// An alert as TLS's specification writes it (`certificate_required`), from rustls's name
/// (`CertificateRequired`); an alert rustls does not know is named by its number.
pub(crate) fn alert_name(alert: rustls::AlertDescription) -> String {
    if let rustls::AlertDescription::Unknown(number) = alert {
        return format!("number {number}");
    }
    let debug = format!("{alert:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    let mut previous = None;
    for letter in debug.chars() {
        // `UnknownCA` is `unknown_ca`: a capital after a capital starts no new word.
        if letter.is_ascii_uppercase() && previous.is_some_and(|c: char| !c.is_ascii_uppercase()) {
            name.push('_');
        }
        name.push(letter.to_ascii_lowercase());
        previous = Some(letter);
    }
    name
}

/// Why a connection ended when the peer closed its side in good order.
pub(crate) const PEER_CLOSED: &str = "the peer closed the connection";

#[cfg(test)]
mod tests;

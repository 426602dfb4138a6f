//! Xojo's ServerSocket and TCPSocket, re-implemented on a background tokio runtime.
//!
//! A [`ServerSocket`] is one permanent listener with a pool of idle sockets: each incoming
//! connection is handed to an idle socket while the listener keeps listening, and the pool is
//! refilled through the AddSocket callback. A [`TcpSocket`] is one connection, used stand-alone
//! by clients and handed out by the pool. Sockets run on background threads ([`Runtime`]); the
//! caller sends commands through handles and reads [`Event`]s from an [`EventReceiver`] whose
//! waker can repaint a window. Nothing on the caller's side ever waits on the network.
//!
//! A whole program: a server whose pooled sockets greet each client, as the seed's example
//! does, and one client socket that prints the greeting it gets.
//!
//! ```
//! use std::time::Duration;
//!
//! use serversocket::seed::{Greeter, Replier};
//! use serversocket::{Event, Runtime, ServerSocket, TcpSocket, event_channel};
//!
//! let runtime = Runtime::new()?; // the background threads
//! let (events, mut receiver) = event_channel(None); // Some(waker) would repaint a window
//! // AddSocket: the pool asks for a socket (its handler) whenever it needs one.
//! let mut server = ServerSocket::new(&runtime, events.clone(), |_id| Greeter::default());
//! server.set_port(0); // any free port
//! let address = server.listen()?; // a failed Listen is returned here, with its Xojo code
//! // One event channel, one numbering: the client's id is not one of the server's sockets'.
//! let client = TcpSocket::builder("127.0.0.1", address.port())
//!     .connect(&runtime, &server.socket_ids(), Replier::default(), events);
//! while let Some(event) = receiver.recv_timeout(Duration::from_secs(10)) {
//!     if let Event::Data { socket, data, .. } = &event
//!         && *socket == client.id()
//!     {
//!         println!("the client got {:?}", String::from_utf8_lossy(data));
//!         break;
//!     }
//! }
//! server.stop_listening();
//! # Ok::<(), serversocket::SocketError>(())
//! ```
//!
//! # Layout
//! The socket API first, then what runs it. The modules named in plain text (not links) are
//! the crate's inside, not part of its API: a map for whoever works on it.
//! - [`server_socket`]: [`ServerSocket`], its settings and methods.
//! - `limits`: [`Limits`], MinimumSocketsAvailable and MaximumSocketsConnected checked together.
//! - `loopback_pair` (tests only): a real TCP connection on loopback, both its ends.
//! - [`tcp_socket`]: [`TcpSocket`], the caller's handle; client Connect ([`ConnectBuilder`]).
//! - [`status`]: [`SocketState`] and [`SocketStatus`], what a handle reads of its socket.
//! - [`handler`]: [`SocketHandler`], a socket's event methods, and [`Socket`], the socket as
//!   they see it (Xojo's `Me`).
//! - [`event`]: [`Event`], what happened to which socket; [`SocketId`].
//! - [`channel`]: the bounded event channel with a waker; each event says when it was sent.
//! - [`error`]: [`SocketError`], every failure with its Xojo error code and plain words.
//! - [`runtime`]: the background threads.
//! - [`tls`]: TLS (Xojo's SSLSocket): certificates, trust, the handshake, the secured stream.
//! - [`naive`]: the single re-listening socket a ServerSocket replaces, for comparison.
//! - [`seed`]: the original example's behaviour on both sides.
//! - [`bounds`]: the upper bounds of every count a person sets, checked one way everywhere.
//! - [`host`]: the host a client connects to, as a person types it, read one way everywhere.
//! - [`watch`]: the kernel's accept queue while listening, and followed connections.
//! - `pool`: the listener task: accept, hand off, refill, cap.
//! - `registry`: one lifecycle for both servers' connections: list, run, forget, shut down.
//! - `connection`: the task that runs one connected socket.
//! - `keep_alive`: TCP keepalive, and the options accepted connections take from the listener.
//! - `commands`: a socket's queue of the caller's Write and Close, allocated only when used.
//! - `guarded`: a socket's handler run so that its panic ends that socket, not its task.
//! - `inbox`: a connection's read buffers, from the OS into shared chunks without waste.
//! - `receive_buffer`: received bytes as shared chunks, read without copying when possible.
//! - `send_queue`: a socket's writes waiting to go out, small ones gathered into one buffer.
//! - `sync`: the crate's one `lock()` helper.
//!
//! What this crate does not do lives in crates of its own beside it, each depending on this
//! one: `serversocket-kernel` (below it: what the kernel sees), `serversocket-report` (events
//! as log lines, JSON lines and files), `serversocket-lessons` (guided labs),
//! `serversocket-app` (what both apps share that is not egui) and `serversocket-ui` (egui).
//!
//! # Where we differ from Xojo on purpose
//! - A normal remote close is reported as Error 102 (as Xojo does) and then as a Closed event
//!   of its own; closing a socket yourself reports only Closed.
//! - A refused connection is error 102 like in Xojo, with its own variant
//!   ([`SocketError::ConnectionRefused`]) and message.
//! - Port 0 means "any free port". Limits are validated (see [`server_socket`]).
//! - A failed Listen is returned by [`ServerSocket::listen`] and not also fired as an Error
//!   event (Xojo fires the event): each error is handled once.
//! - Buffers are bounded ([`handler::SEND_QUEUE_LIMIT`], [`handler::RECEIVE_BUFFER_LIMIT`]).

#![forbid(unsafe_code)]
// egui's workspace lints, here for the library first (the apps follow): pedantic, and the cast
// lints that catch a silent truncation.
#![warn(
    clippy::pedantic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_lossless
)]
// Xojo's names (AddSocket, MaximumSocketsConnected, LastErrorCode) are words of the prose in
// these docs, not code to put in backticks.
#![allow(clippy::doc_markdown)]

pub mod bounds;
pub mod channel;
mod commands;
mod connection;
pub mod error;
pub mod event;
mod guarded;
pub mod handler;
pub mod host;
mod inbox;
mod keep_alive;
mod limits;
#[cfg(test)]
mod loopback_pair;
pub mod naive;
mod on_closed;
mod os_socket;
mod pool;
mod receive_buffer;
mod registry;
pub mod runtime;
pub mod seed;
mod send_queue;
pub mod server_socket;
pub mod status;
mod sync;
pub mod tcp_socket;
pub mod tls;
pub mod watch;

/// The README's example, compiled and run with the doctests so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;

pub use channel::{EventReceiver, EventSender, Waker, event_channel};
pub use error::{IoCause, PortHold, SocketError, code_meaning};
pub use event::{DATA_EVENT_BYTES, Event, SocketId, SocketIds};
pub use handler::{Passive, Socket, SocketHandler};
pub use os_socket::interface_name;
pub use runtime::Runtime;
pub use server_socket::{Limits, PoolStatus, ServerSocket};
/// What the kernel says, as events carry it (`Event::AcceptQueue`, `Event::KernelState`):
/// nameable without a dependency on the kernel crate.
pub use serversocket_kernel::{AcceptQueue, TcpState, TcpView};
pub use status::{SocketState, SocketStatus};
pub use tcp_socket::{ConnectBuilder, DEFAULT_CONNECT_TIMEOUT, TcpSocket};

//! The behaviour of the original ServerSocket example, for both sides of its conversation.
//!
//! The server's pooled socket (the seed's `ClientSocket`) greets each client once connected and
//! takes whatever it receives. The client's socket writes `Socket N connected!` once connected
//! and answers every message with ` I got something from you.`. Logging is not done here: the
//! event channel reports every Connected, DataAvailable and SendComplete (the crate
//! `serversocket-report` writes them out).

use bytes::Bytes;

use crate::{Socket, SocketHandler};

/// What the seed's server writes to each client it is connected to.
pub const SERVER_GREETING: &str = "From the server socket, I connected to you.";
/// What the seed's client writes back on every DataAvailable.
pub const CLIENT_REPLY: &str = " I got something from you.";

/// What the seed's client socket `index` writes once connected.
#[must_use]
pub fn client_hello(index: u64) -> String {
    format!("Socket {index} connected!")
}

/// The server side: greet on Connected, take everything that arrives.
#[derive(Debug, Clone)]
pub struct Greeter {
    /// Written once, when the pool hands this socket a connection.
    greeting: Bytes,
}

impl Greeter {
    /// A socket that writes `greeting` when connected.
    #[must_use]
    pub fn new(greeting: impl Into<Bytes>) -> Self {
        Self {
            greeting: greeting.into(),
        }
    }
}

impl Default for Greeter {
    fn default() -> Self {
        Self::new(SERVER_GREETING)
    }
}

impl SocketHandler for Greeter {
    fn connected(&mut self, socket: &mut Socket) {
        if !self.greeting.is_empty() {
            // Just connected and nothing queued yet: writing cannot fail here.
            let _ = socket.write(self.greeting.clone());
        }
    }

    fn data_available(&mut self, socket: &mut Socket) {
        socket.read_all();
    }
}

/// How many automatic replies the seed's client writes on one socket before it stops. Against
/// an echo server the seed's client would answer its own echoed replies forever, and against a
/// server that streams it would answer every chunk for as long as the stream goes on.
pub const REPLY_LIMIT: u64 = 1000;

/// The client side: say hello on Connected, reply to every DataAvailable, at most
/// [`REPLY_LIMIT`] times. Each behaviour can be switched off (the client window shows them as
/// toggles).
#[derive(Debug, Clone, Copy)]
pub struct Replier {
    /// Write `Socket N connected!` when connected.
    pub say_hello: bool,
    /// Write ` I got something from you.` after each DataAvailable.
    pub reply: bool,
    /// The most automatic replies on one socket; then it stops and says why, once.
    pub reply_limit: u64,
    /// Replies written so far.
    replies: u64,
    /// Something arrived already (the first chunk is looked at for a TLS server's answer).
    heard: bool,
}

impl Replier {
    /// The seed's client with its two behaviours as chosen and the default reply limit.
    #[must_use]
    pub fn new(say_hello: bool, reply: bool) -> Self {
        Self::with_reply_limit(say_hello, reply, REPLY_LIMIT)
    }

    /// The seed's client replying at most `reply_limit` times per socket.
    #[must_use]
    pub fn with_reply_limit(say_hello: bool, reply: bool, reply_limit: u64) -> Self {
        Self {
            say_hello,
            reply,
            reply_limit,
            replies: 0,
            heard: false,
        }
    }
}

impl Default for Replier {
    fn default() -> Self {
        Self::new(true, true)
    }
}

impl SocketHandler for Replier {
    fn connected(&mut self, socket: &mut Socket) {
        if self.say_hello {
            let _ = socket.write(client_hello(socket.id().0));
        }
    }

    fn data_available(&mut self, socket: &mut Socket) {
        let received = socket.read_all();
        if !self.heard {
            self.heard = true;
            if looks_like_tls(&received) {
                socket.note(SPEAKS_TLS);
            }
        }
        if !self.reply {
            return;
        }
        if self.replies < self.reply_limit {
            self.replies += 1;
            // A full send queue means the server is not reading; the Error event reports it.
            let _ = socket.write(CLIENT_REPLY);
        } else if self.replies == self.reply_limit {
            self.replies += 1;
            socket.note(format!(
                "stopped replying after {} automatic replies: the peer keeps sending (an echo server answering each reply, or a server that streams data), and answering every arrival would go on as long as it does",
                self.reply_limit
            ));
        }
    }
}

/// The note of a plain client whose server answered in TLS: its bytes alone (`\x15\x03…`)
/// read as a garbled greeting.
pub const SPEAKS_TLS: &str = "the server's first bytes are a TLS record, not text: it speaks TLS \
     and took this plain-text connection for a bad handshake; connect with TLS on (--tls headless)";

/// Whether `bytes` start as a TLS record does, an alert or a handshake of SSL 3.0 to TLS 1.3:
/// what a TLS server sends a client that spoke plain text to it (not a greeting).
#[must_use]
pub fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [0x15 | 0x16, 0x03, 0x00..=0x04, ..])
}

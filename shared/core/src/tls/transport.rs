//! A connected socket's bytes: straight through the TCP stream, or through TLS records.
//!
//! The connection's task waits for the stream's readiness and then reads or writes what is
//! there without waiting (see `connection.rs`). A TLS connection is driven the same way:
//! rustls's session holds the records, and reads and writes here move records between it and
//! the TCP stream as readiness allows. The one difference the loop sees: a TLS session may
//! have bytes of its own to send (its half of a key update, the goodbye) when the socket has
//! nothing queued, which [`Transport::wants_write`] tells.

use std::io::{self, BufRead, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::BufMut;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A connected socket's stream.
pub(crate) enum Transport {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP, after a finished handshake.
    Tls(Box<Session>),
}

/// A TLS session over its TCP stream.
pub(crate) struct Session {
    /// The TCP stream the records travel on.
    tcp: TcpStream,
    /// rustls's state: records in, plaintext out and the reverse.
    tls: rustls::Connection,
    /// True when a read may find something without the TCP stream being readable: plaintext
    /// already decrypted (a read took only part of it), or the end of the stream to report.
    buffered: bool,
}

impl Transport {
    /// A TLS session over `tcp`, whose handshake is done.
    pub(crate) fn tls(tcp: TcpStream, tls: rustls::Connection) -> Self {
        // The handshake may have brought application data along with its last records.
        Self::Tls(Box::new(Session {
            tcp,
            tls,
            buffered: true,
        }))
    }

    /// The TCP stream underneath.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(tcp) => tcp,
            Self::Tls(session) => &session.tcp,
        }
    }

    /// Waits until a read may find something.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        match self {
            Self::Tls(session) if session.buffered => Ok(()),
            _ => self.tcp().readable().await,
        }
    }

    /// Waits until the TCP stream takes bytes.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        self.tcp().writable().await
    }

    /// True when the TLS session has records of its own to send.
    pub(crate) fn wants_write(&self) -> bool {
        match self {
            Self::Plain(_) => false,
            Self::Tls(session) => session.tls.wants_write(),
        }
    }

    /// Reads what is there, at most `limit` bytes, into `buffer`, without waiting. `Ok(0)` when
    /// the peer closed its side (for TLS: a close_notify, or a TCP close without one); a
    /// `WouldBlock` error when nothing was there after all.
    pub(crate) fn try_read_into(
        &mut self,
        buffer: &mut impl BufMut,
        limit: usize,
    ) -> io::Result<usize> {
        match self {
            Self::Plain(tcp) => read_now(tcp, buffer),
            Self::Tls(session) => session.read(buffer, limit),
        }
    }

    /// Writes what the stream takes of `data` now; how many of `data`'s bytes went.
    pub(crate) fn try_write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(tcp) => tcp.try_write(data),
            Self::Tls(session) => session.write(data),
        }
    }

    /// Sends what the TLS session has of its own to send, as far as the stream takes it.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(_) => Ok(()),
            Self::Tls(session) => session.flush().map(|_| ()),
        }
    }

    /// Says goodbye: TLS's close_notify (as far as the stream takes it now), then TCP's FIN.
    pub(crate) async fn shutdown(&mut self) {
        if let Self::Tls(session) = self {
            session.tls.send_close_notify();
            let _ = session.flush();
        }
        let tcp = match self {
            Self::Plain(tcp) => tcp,
            Self::Tls(session) => &mut session.tcp,
        };
        let _ = tcp.shutdown().await;
    }
}

impl Session {
    /// Plaintext already decrypted first; then records from the TCP stream, until `limit`
    /// bytes are taken or the stream has no more now.
    fn read(&mut self, buffer: &mut impl BufMut, limit: usize) -> io::Result<usize> {
        let mut taken = 0;
        loop {
            let mut reader = self.tls.reader();
            match reader.fill_buf() {
                // A close_notify: the peer's side is closed.
                Ok([]) => {
                    self.buffered = true;
                    return Ok(taken);
                }
                Ok(chunk) => {
                    let count = chunk.len().min(limit - taken);
                    buffer.put_slice(&chunk[..count]);
                    reader.consume(count);
                    taken += count;
                    if taken == limit {
                        self.buffered = true;
                        return Ok(taken);
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // TCP closed without a close_notify: still the peer's close, as with plain TCP
                // (many programs never send one).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.buffered = true;
                    return Ok(taken);
                }
                Err(e) => return Err(e),
            }
            match self.tls.read_tls(&mut Tcp(&self.tcp)) {
                Ok(_) => {
                    // Records that do not decrypt, or an alert: the connection is broken.
                    self.tls
                        .process_new_packets()
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.buffered = false;
                    return if taken > 0 { Ok(taken) } else { Err(e) };
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends the records already made first: only when they are all gone does more plaintext
    /// go in, so the session never holds more than one write's worth.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if !self.flush()? {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let count = self.tls.writer().write(data)?;
        self.flush()?;
        Ok(count)
    }

    /// Writes the session's records to the TCP stream; false when the stream took only part.
    fn flush(&mut self) -> io::Result<bool> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut Tcp(&self.tcp)) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// Reads into `buffer` what `tcp` has now, without waiting; `WouldBlock` when it has nothing.
///
/// Through tokio's own `poll_read`, not `try_read`: a read that fills less than it was offered
/// emptied the socket, and `poll_read` then clears the stream's readiness, so the next read
/// waits for the next readiness instead of asking the OS and hearing EAGAIN. `try_read` clears
/// it only on that EAGAIN: in a bulk upload one `recv` in five was such a question (the pool
/// bench's `throughput`: 57,400 `recvfrom` calls against the plain loop's 47,700 for the same
/// bytes). A closed peer stays readable: tokio never clears a read-closed readiness.
fn read_now(tcp: &mut TcpStream, buffer: &mut impl BufMut) -> io::Result<usize> {
    // The connection's loop waits with `readable()`, whose waiters are woken apart from the
    // waker a pending read leaves here: this one needs no waking.
    let mut context = Context::from_waker(Waker::noop());
    match tokio_util::io::poll_read_buf(Pin::new(tcp), &mut context, buffer) {
        Poll::Ready(read) => read,
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}

/// The TCP stream as rustls's blocking-style reader and writer: each call does what the
/// stream allows now, or says WouldBlock (which also clears tokio's readiness, so the
/// connection's loop waits for the next).
struct Tcp<'a>(&'a TcpStream);

impl Read for Tcp<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        // Not `read_now`'s way, measured: with a short read clearing the readiness here too,
        // the pool bench's throughput_tls fell from 1.04 to 0.86 (six interleaved pairs).
        // rustls asks for about a record at a time, and stops at WouldBlock.
        self.0.try_read(buffer)
    }
}

impl Write for Tcp<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.try_write(data)
    }

    fn write_vectored(&mut self, data: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

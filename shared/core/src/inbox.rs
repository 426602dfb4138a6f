//! A connection's read buffers: how bytes go from the OS into the chunks that the receive
//! buffer and the Data event share, without allocating a large buffer for every read.
//!
//! Most connections carry a line or two, so reads start small, into a buffer of the thread's,
//! and are copied out at their own size (a log keeping one keeps only its bytes). Once a read
//! fills all it was offered the peer is sending in bulk: reads then go, [`READ_CHUNK`] at a
//! time, into buffers that are handed on whole with no copy. The receive buffer holds a chunk
//! until the handler reads it (a Data event keeps only a copy of a long chunk's start, see
//! [`crate::DATA_EVENT_BYTES`]); when the last holder lets go, the buffer comes back to its
//! connection for the next read, still in the cache. Without that, every read of a bulk
//! transfer allocated a fresh buffer, and the allocator gave the freed ones back to the OS only
//! to fault them in again: half the upload speed went on page faults.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};

use crate::tls::transport::Transport;

use crate::handler::READ_CHUNK;
use crate::sync::lock;

/// Reads shorter than this are copied to a buffer of their own size; a connection's first
/// reads offer the OS this much.
const SMALL_CHUNK: usize = 16 * 1024;

/// How many bulk buffers a connection keeps for reuse (1.1 MiB at most, given back when the
/// connection ends): as many as its receive buffer can hold unread before the socket stops
/// reading, and one more for the read under way. Data events no longer hold bulk buffers
/// (while they did, a busy window's millisecond of them needed 64).
const SPARE_BUFFERS: usize = crate::handler::RECEIVE_BUFFER_LIMIT / READ_CHUNK + 1;

/// Bulk buffers whose chunks were dropped, ready for the next read.
type Spare = Arc<Mutex<Vec<Vec<u8>>>>;

thread_local! {
    /// Where small reads land before they are copied out: one buffer per runtime thread rather
    /// than one per connection, so a short-lived or idle connection allocates none.
    static SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// One connection's read buffers.
pub(crate) struct Inbox {
    /// True once a read filled all it was offered.
    bulk: bool,
    /// Buffers back from their chunks' last holders (made at the first bulk read).
    spare: Option<Spare>,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Self {
            bulk: false,
            spare: None,
        }
    }

    /// Takes what the OS has for this socket: `None` if nothing was there after all, an empty
    /// chunk when the peer closed its side.
    pub(crate) fn read(&mut self, stream: &mut Transport) -> io::Result<Option<Bytes>> {
        if self.bulk {
            return self.read_bulk(stream);
        }
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.clear();
            scratch.reserve(SMALL_CHUNK);
            let offered = scratch.capacity();
            match stream.try_read_into(scratch, offered) {
                Ok(count) => {
                    self.bulk = count == offered;
                    Ok(Some(Bytes::copy_from_slice(scratch)))
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// A read into a whole buffer of its own (a spare one if any came back).
    fn read_bulk(&mut self, stream: &mut Transport) -> io::Result<Option<Bytes>> {
        let spare = self.spare.get_or_insert_with(Spare::default);
        let mut buffer = lock(spare)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(READ_CHUNK));
        let room = buffer.capacity() - buffer.len();
        let read = stream.try_read_into(&mut buffer, room);
        match read {
            Ok(count) if count >= SMALL_CHUNK => Ok(Some(Bytes::from_owner(Recycled {
                buffer,
                spare: Arc::clone(spare),
            }))),
            Ok(_) => {
                let chunk = Bytes::copy_from_slice(&buffer);
                give_back(spare, buffer);
                Ok(Some(chunk))
            }
            Err(e) => {
                give_back(spare, buffer);
                if e.kind() == io::ErrorKind::WouldBlock {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// A bulk chunk's buffer, which goes back to its connection's spares when the chunk's last
/// holder drops it.
struct Recycled {
    buffer: Vec<u8>,
    spare: Spare,
}

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        give_back(&self.spare, std::mem::take(&mut self.buffer));
    }
}

/// Keeps `buffer` for a later read, unless enough are kept already.
fn give_back(spare: &Mutex<Vec<Vec<u8>>>, mut buffer: Vec<u8>) {
    buffer.clear();
    let mut spare = lock(spare);
    if spare.len() < SPARE_BUFFERS {
        spare.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;

    /// A connected pair on loopback: (our end, the peer's end).
    async fn pair() -> (Transport, TcpStream) {
        let (ours, peer) = crate::loopback_pair::loopback_pair().await;
        (Transport::Plain(ours), peer)
    }

    /// A runtime on this thread, with its I/O driver.
    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// Reads until `want` bytes arrived, in at most a thousand reads of at most 10 s each.
    async fn read_exactly(inbox: &mut Inbox, stream: &mut Transport, want: usize) -> Vec<Bytes> {
        let mut chunks = Vec::new();
        let mut got = 0;
        for _ in 0..1_000 {
            if got == want {
                break;
            }
            tokio::time::timeout(Duration::from_secs(10), stream.readable())
                .await
                .expect("data within 10 s")
                .expect("readable");
            if let Some(chunk) = inbox.read(stream).expect("read") {
                got += chunk.len();
                chunks.push(chunk);
            }
        }
        assert_eq!(got, want, "every byte arrived");
        chunks
    }

    #[test]
    fn small_reads_are_copied_and_a_bulk_transfer_reuses_its_buffers() {
        current_thread().block_on(async {
            let (mut ours, mut peer) = pair().await;
            let mut inbox = Inbox::new();
            peer.write_all(b"hello").await.expect("write");
            let chunks = read_exactly(&mut inbox, &mut ours, 5).await;
            assert_eq!(&chunks[0][..], b"hello");
            assert!(
                !inbox.bulk,
                "a short read leaves the connection in small mode"
            );

            // Megabytes in a row: the first full read switches to bulk buffers.
            let block: Vec<u8> = (0..4 * READ_CHUNK)
                .map(|i| u8::try_from(i % 251).expect("below 256"))
                .collect();
            let writer = {
                let block = block.clone();
                tokio::spawn(async move {
                    peer.write_all(&block).await.expect("write");
                    peer
                })
            };
            let chunks = read_exactly(&mut inbox, &mut ours, block.len()).await;
            let _peer = writer.await.expect("writer");
            assert!(inbox.bulk);
            assert_eq!(
                chunks.concat(),
                block,
                "the bytes arrive intact and in order"
            );
            let spare = |inbox: &Inbox| inbox.spare.as_ref().map_or(0, |s| lock(s).len());
            // A read that found nothing or only a short tail gave its buffer back at once, so
            // some buffers may be spare already; the chunks still held keep theirs.
            let spare_while_held = spare(&inbox);
            // The read that filled the small buffer was copied; every large read after it
            // had a buffer of its own.
            let own_buffers = chunks.iter().filter(|c| c.len() >= SMALL_CHUNK).count() - 1;
            assert!(own_buffers > 0);
            drop(chunks);
            assert_eq!(
                spare(&inbox),
                (spare_while_held + own_buffers).min(SPARE_BUFFERS),
                "each dropped bulk chunk gave its buffer back"
            );
        });
    }

    /// Whether `stream` says it is readable at once, without waiting.
    fn readable_now(stream: &Transport) -> bool {
        let readable = std::pin::pin!(stream.readable());
        readable
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
            .is_ready()
    }

    /// A read that takes less than it was offered emptied the socket, so the stream is not
    /// readable again until more comes: the next read waits for it rather than asking the OS
    /// and hearing EAGAIN (tokio's own `read` does the same; `try_read` asked again).
    #[test]
    fn a_short_read_waits_for_more_before_reading_again() {
        current_thread().block_on(async {
            let (mut ours, mut peer) = pair().await;
            let mut inbox = Inbox::new();
            peer.write_all(b"hello").await.expect("write");
            assert_eq!(
                &read_exactly(&mut inbox, &mut ours, 5).await[0][..],
                b"hello"
            );
            assert!(
                !readable_now(&ours),
                "the short read left the stream waiting for more"
            );
            peer.write_all(b"more").await.expect("write");
            assert_eq!(
                &read_exactly(&mut inbox, &mut ours, 4).await[0][..],
                b"more"
            );
            // The peer's close is still seen: a closed side stays readable.
            drop(peer);
            tokio::time::timeout(Duration::from_secs(10), ours.readable())
                .await
                .expect("the close within 10 s")
                .expect("readable");
            let end = inbox.read(&mut ours).expect("read");
            assert_eq!(
                end.as_deref(),
                Some(&b""[..]),
                "an empty chunk: the peer closed"
            );
        });
    }
}

//! A socket's writes waiting to go out, in order: what Xojo's Write queues and BytesLeftToSend
//! counts.
//!
//! Small writes are gathered into one buffer as they are queued. A caller that writes a byte
//! at a time would otherwise cost a system call, a SendProgress and an allocation a byte: a
//! million one-byte writes held a million buffers and took seconds to go out. A large write is
//! kept as it came (no copy), and so is the first write of an empty queue, which is most
//! sockets' only one (a greeting, a reply).

use std::collections::VecDeque;

use bytes::Bytes;

/// A write shorter than this is copied into the gathering buffer when others wait before it.
const SMALL_WRITE: usize = 4 * 1024;

/// The gathering buffer is queued as one write once it holds this much.
const GATHERED: usize = 64 * 1024;

/// Writes waiting to go out. The front one is kept apart from the rest: most sockets have one
/// write queued at a time, and a `VecDeque` allocates for its first element, which was one of
/// the few allocations every connection made. The gathering buffer lives among the rest, not
/// beside them: a field of its own made every connection's task 32 bytes larger, and tokio
/// rounds a task up to 128.
#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    /// The oldest write; `None` only when the queue is empty.
    front: Option<Bytes>,
    /// How much of the front write has been sent already.
    front_sent: usize,
    /// The writes after it, oldest first.
    rest: VecDeque<Queued>,
    /// Bytes queued and not yet sent.
    queued: usize,
}

/// A write after the front one.
#[derive(Debug)]
enum Queued {
    /// A write as it came.
    Whole(Bytes),
    /// Small writes gathered, while it holds less than [`GATHERED`].
    Gathered(Vec<u8>),
}

impl Queued {
    fn into_bytes(self) -> Bytes {
        match self {
            Self::Whole(bytes) => bytes,
            Self::Gathered(gathered) => Bytes::from(gathered),
        }
    }
}

impl SendQueue {
    /// Queues `data` after everything already queued.
    pub(crate) fn push(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        self.queued += data.len();
        if self.front.is_none() {
            self.front = Some(data);
        } else if data.len() < SMALL_WRITE {
            match self.rest.back_mut() {
                Some(Queued::Gathered(gathered)) if gathered.len() < GATHERED => {
                    gathered.extend_from_slice(&data);
                }
                _ => self.rest.push_back(Queued::Gathered(data.to_vec())),
            }
        } else {
            self.rest.push_back(Queued::Whole(data));
        }
    }

    /// Bytes queued and not yet sent.
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// The unsent part of the front write, shared with the queue (no copy).
    pub(crate) fn pending(&self) -> Option<Bytes> {
        self.front
            .as_ref()
            .map(|front| front.slice(self.front_sent..))
    }

    /// The unsent part of the front write, if any.
    pub(crate) fn next_to_send(&self) -> Option<&[u8]> {
        self.front.as_ref().map(|front| &front[self.front_sent..])
    }

    /// Records that `count` bytes of the front write went out.
    pub(crate) fn sent(&mut self, count: usize) {
        self.queued -= count;
        self.front_sent += count;
        if self
            .front
            .as_ref()
            .is_some_and(|front| self.front_sent == front.len())
        {
            self.front = self.rest.pop_front().map(Queued::into_bytes);
            self.front_sent = 0;
        }
    }

    /// Drops everything queued; returns how many bytes that was.
    pub(crate) fn purge(&mut self) -> usize {
        let dropped = self.queued;
        self.front = None;
        self.front_sent = 0;
        self.rest.clear();
        self.queued = 0;
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends everything queued in steps of at most `step` bytes, as the OS might take it.
    fn drain(queue: &mut SendQueue, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..1_000_000 {
            let Some(pending) = queue.next_to_send() else {
                break;
            };
            let count = pending.len().min(step);
            out.extend_from_slice(&pending[..count]);
            queue.sent(count);
        }
        out
    }

    #[test]
    fn writes_go_out_in_order_whatever_their_sizes() {
        let mut queue = SendQueue::default();
        let mut expected = Vec::new();
        let sizes = [5, 1, 1, 70_000, 3, 4_095, 4_096, 2, 0, 100_000, 1];
        for (n, size) in sizes.into_iter().enumerate() {
            let data: Vec<u8> = (0..size)
                .map(|i| u8::try_from((i + n) % 251).unwrap_or(0))
                .collect();
            expected.extend_from_slice(&data);
            queue.push(Bytes::from(data));
        }
        assert_eq!(queue.len(), expected.len());
        assert_eq!(drain(&mut queue, 1_000), expected);
        assert_eq!(queue.len(), 0);
        assert!(queue.pending().is_none());
    }

    #[test]
    fn small_writes_are_gathered_into_few_buffers() {
        let mut queue = SendQueue::default();
        for _ in 0..100_000 {
            queue.push(Bytes::from_static(b"x"));
        }
        // The first write stays as it came; the rest go out 64 KiB at a time.
        assert_eq!(queue.pending().map(|front| front.len()), Some(1));
        queue.sent(1);
        assert_eq!(queue.pending().map(|front| front.len()), Some(GATHERED));
        assert!(queue.rest.len() <= 1, "{} buffers", queue.rest.len());
        assert_eq!(drain(&mut queue, usize::MAX).len(), 99_999);
    }

    #[test]
    fn a_purge_drops_everything_and_counts_it() {
        let mut queue = SendQueue::default();
        queue.push(Bytes::from_static(b"hello"));
        queue.push(Bytes::from_static(b" world"));
        queue.push(Bytes::from(vec![0; 10_000]));
        queue.sent(2);
        assert_eq!(queue.purge(), 10_009);
        assert_eq!(queue.len(), 0);
        assert!(queue.next_to_send().is_none());
        queue.push(Bytes::from_static(b"again"));
        assert_eq!(drain(&mut queue, 2), b"again");
    }
}

//! The bytes a socket received that its handler has not read yet.
//!
//! Kept as the chunks that arrived, shared (not copied) with the Data events that reported them.
//! A handler that reads everything each time (the usual ReadAll) gets the chunk itself back,
//! without a copy; reading across chunks copies just what it takes.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Received bytes in arrival order.
#[derive(Debug, Default)]
pub(crate) struct ReceiveBuffer {
    /// The chunks, oldest first; never an empty one.
    chunks: VecDeque<Bytes>,
    /// Their total length.
    len: usize,
}

impl ReceiveBuffer {
    /// Adds a chunk at the end.
    pub(crate) fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.len += chunk.len();
            self.chunks.push_back(chunk);
        }
    }

    /// How many bytes wait.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Takes up to `count` bytes from the front.
    pub(crate) fn take(&mut self, count: usize) -> Bytes {
        let count = count.min(self.len);
        self.len -= count;
        match self.chunks.front_mut() {
            None => Bytes::new(),
            // Within the first chunk: hand over a shared slice of it.
            Some(front) if front.len() >= count => {
                let taken = front.split_to(count);
                if front.is_empty() {
                    self.chunks.pop_front();
                }
                taken
            }
            Some(_) => {
                let mut taken = BytesMut::with_capacity(count);
                while taken.len() < count {
                    let Some(front) = self.chunks.front_mut() else {
                        break;
                    };
                    let wanted = count - taken.len();
                    if front.len() <= wanted {
                        taken.extend_from_slice(front);
                        self.chunks.pop_front();
                    } else {
                        taken.extend_from_slice(&front.split_to(wanted));
                    }
                }
                taken.freeze()
            }
        }
    }

    /// Everything, as one piece to look at without taking it.
    pub(crate) fn contiguous(&mut self) -> &[u8] {
        if self.chunks.len() > 1 {
            let all = self.take(self.len);
            self.push(all);
        }
        self.chunks.front().map_or(&[], |chunk| &chunk[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_out_in_order_whole_or_in_parts() {
        let mut buffer = ReceiveBuffer::default();
        buffer.push(Bytes::from_static(b"hello "));
        buffer.push(Bytes::new());
        buffer.push(Bytes::from_static(b"wor"));
        buffer.push(Bytes::from_static(b"ld"));
        assert_eq!(buffer.len(), 11);
        assert_eq!(&buffer.take(3)[..], b"hel");
        assert_eq!(&buffer.take(5)[..], b"lo wo", "across chunks");
        assert_eq!(buffer.contiguous(), b"rld");
        assert_eq!(&buffer.take(100)[..], b"rld");
        assert_eq!(buffer.len(), 0);
        assert!(buffer.take(1).is_empty());
        assert_eq!(buffer.contiguous(), b"");
    }

    #[test]
    fn taking_a_whole_chunk_shares_it() {
        let chunk = Bytes::from(vec![7_u8; 1000]);
        let mut buffer = ReceiveBuffer::default();
        buffer.push(chunk.clone());
        let taken = buffer.take(1000);
        assert_eq!(taken.as_ptr(), chunk.as_ptr(), "no copy");
    }
}

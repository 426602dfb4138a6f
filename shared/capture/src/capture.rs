//! A capture running: the packet socket read on a thread of its own (never a UI thread or a
//! runtime worker), each packet parsed into a [`Segment`] and handed on through a bounded
//! channel (a pcapng file is written by whoever takes them: [`crate::CaptureFile`]).
//!
//! Nothing here can make the server wait: the server's sockets and this one are separate, the
//! kernel drops what this socket's buffer cannot hold, and a segment the channel has no room
//! for is counted in [`Capture::dropped`] and dropped, never waited for.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

use crate::error::CaptureError;
use crate::segment::Segment;

/// What a capture runs once it has handed on a batch of segments.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// How many segments may wait in the channel for whoever takes them: a burst of a thousand
/// connections' handshakes and greetings, about a megabyte.
pub const CHANNEL_SEGMENTS: usize = 8192;

/// What the capture counted since it started.
#[derive(Debug, Default)]
struct Counts {
    /// Segments read from the kernel.
    captured: AtomicU64,
    /// Segments read but dropped because the channel was full.
    dropped: AtomicU64,
    /// Reads that found nothing for a whole read timeout: the kernel had nothing queued.
    idle: AtomicU64,
}

/// A capture of the TCP segments to and from one port, on every interface.
#[derive(Debug)]
pub struct Capture {
    /// The segments, in the order the kernel handed them over.
    segments: flume::Receiver<Segment>,
    /// What was captured and dropped.
    counts: Arc<Counts>,
    /// Tells the thread to stop (it looks between reads, at least every 50 ms).
    stop: Arc<AtomicBool>,
    /// The thread, joined by [`Capture::finish`].
    thread: Option<JoinHandle<Result<(), CaptureError>>>,
}

impl Capture {
    /// Starts capturing `tcp port {port}`; `program` names the program in the command a
    /// [`CaptureError::NotPermitted`] gives. Segments sent after this returns are captured.
    pub fn start(port: u16, program: &str) -> Result<Self, CaptureError> {
        platform::start(port, program, None)
    }

    /// [`Capture::start`], and `waker` runs each time the thread has handed on a batch of
    /// segments (a window sets it to repaint itself, so the segments that come after the
    /// last event, a goodbye's ACK, are drawn too).
    pub fn start_waking(port: u16, program: &str, waker: Waker) -> Result<Self, CaptureError> {
        platform::start(port, program, Some(waker))
    }

    /// The segments captured, for a loop to take (`recv_async` in a headless program,
    /// `try_recv` in a window's frame).
    #[must_use]
    pub fn segments(&self) -> &flume::Receiver<Segment> {
        &self.segments
    }

    /// How many segments were read from the kernel.
    #[must_use]
    pub fn captured(&self) -> u64 {
        self.counts.captured.load(Ordering::Relaxed)
    }

    /// How many segments were dropped because nobody took them in time.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.counts.dropped.load(Ordering::Relaxed)
    }

    /// How many times the thread found the kernel's queue empty for a whole read timeout: once
    /// this has grown since a moment, every segment the kernel had by then was taken (a
    /// stopping program waits for that before it takes its last segments).
    #[must_use]
    pub fn idle_reads(&self) -> u64 {
        self.counts.idle.load(Ordering::Relaxed)
    }

    /// Stops the capture and waits for its thread (at most a read's timeout); its error, if
    /// the capture broke off.
    pub fn finish(mut self) -> Result<(), CaptureError> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(CaptureError::Thread(std::io::Error::other(
                "the capture thread panicked",
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for Capture {
    /// Tells the thread to stop without waiting for it: dropping a capture never blocks (the
    /// window drops one on its UI thread).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::{CHANNEL_SEGMENTS, Capture, Counts, Waker};
    use crate::error::CaptureError;
    use crate::packet_socket::PacketSocket;
    use crate::segment::Segment;

    /// How long the thread sleeps when nothing comes before it looks at whether it should
    /// stop (and says it is idle).
    const WAIT: Duration = Duration::from_millis(50);

    /// How long the packets of a busy spell gather before the thread reads them: a few
    /// hundred wake-ups a second under a flood rather than one a segment. Far below what the
    /// kernel's buffer holds at any rate loopback reaches.
    const GATHER: Duration = Duration::from_millis(2);

    /// A packet as large as the loopback interface sends (its MTU is 64 KiB, and the filter
    /// keeps only the first bytes anyway).
    const BUFFER: usize = 1 << 16;

    pub(super) fn start(
        port: u16,
        program: &str,
        waker: Option<Waker>,
    ) -> Result<Capture, CaptureError> {
        let socket =
            PacketSocket::open(port).map_err(|error| CaptureError::from_socket(error, program))?;
        let (sender, segments) = flume::bounded(CHANNEL_SEGMENTS);
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name(format!("capture tcp port {port}"))
            .spawn({
                let counts = Arc::clone(&counts);
                let stop = Arc::clone(&stop);
                move || read(socket, port, &sender, &counts, &stop, waker.as_deref())
            })
            .map_err(CaptureError::Thread)?;
        Ok(Capture {
            segments,
            counts,
            stop,
            thread: Some(thread),
        })
    }

    /// The capture's thread: reads until told to stop, parses, hands on.
    fn read(
        mut socket: PacketSocket,
        port: u16,
        sender: &flume::Sender<Segment>,
        counts: &Counts,
        stop: &AtomicBool,
        waker: Option<&(dyn Fn() + Send + Sync)>,
    ) -> Result<(), CaptureError> {
        let mut buffer = vec![0; BUFFER];
        let mut busy = false;
        while !stop.load(Ordering::Relaxed) {
            let packet = match socket.next(&mut buffer) {
                Ok(Some(packet)) => packet,
                Ok(None) if busy => {
                    // Read dry after a busy spell: let the next packets gather instead of
                    // waking for each one (a flood is a few hundred thousand a second).
                    busy = false;
                    if let Some(waker) = waker {
                        waker();
                    }
                    std::thread::sleep(GATHER);
                    continue;
                }
                Ok(None) => {
                    match socket.wait(WAIT) {
                        Ok(true) => {}
                        Ok(false) => {
                            counts.idle.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => return Err(CaptureError::Socket(error)),
                    }
                    continue;
                }
                Err(error) => return Err(CaptureError::Socket(error)),
            };
            busy = true;
            // Stamped by the kernel as it saw the packet: a busy spell's packets are read
            // together, milliseconds later, and the order against the sockets' events (the
            // handshake before Connected) must be the wire's.
            let Some(segment) = Segment::parse(&buffer[..packet.length], packet.at) else {
                continue;
            };
            // Packets queued before the filter was attached were not filtered.
            if !segment.has_port(port) {
                continue;
            }
            counts.captured.fetch_add(1, Ordering::Relaxed);
            if sender.try_send(segment).is_err() {
                counts.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {

    use super::{Capture, Waker};
    use crate::error::CaptureError;

    pub(super) fn start(
        _port: u16,
        _program: &str,
        _waker: Option<Waker>,
    ) -> Result<Capture, CaptureError> {
        Err(CaptureError::NotAvailable {
            reason: "packet sockets are Linux's; this system has none",
        })
    }
}

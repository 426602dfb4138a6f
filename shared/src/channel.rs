//! The event channel from the background runtime to the caller, with a waker.
//!
//! Sockets run on background threads; the caller (a window, the headless printer, a test) drains
//! events at its own pace. After every send the waker runs, so a GUI can pass
//! `ctx.request_repaint()` and repaint only when there is news: an idle window costs nothing.
//!
//! The channel is bounded. When the caller falls behind, senders wait, sockets stop reading, and
//! TCP's own flow control slows the peers: a flood never turns into unbounded memory.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Event;

/// How many events may wait for the caller before the sockets pause.
const CAPACITY: usize = 4096;

/// A callback run after each event is sent, e.g. `move || ctx.request_repaint()`.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Creates an event channel. `waker` runs after every event.
#[must_use]
pub fn event_channel(waker: Option<Waker>) -> (EventSender, EventReceiver) {
    let (sender, receiver) = flume::bounded(CAPACITY);
    (
        EventSender {
            sender,
            waker: waker.unwrap_or_else(|| Arc::new(|| {})),
        },
        EventReceiver { receiver },
    )
}

/// The sending side, cloned into every socket task.
#[derive(Clone)]
pub struct EventSender {
    /// Events go here; bounded so a slow caller slows the sockets instead of growing memory.
    sender: flume::Sender<Event>,
    /// Tells the caller there is news (e.g. requests a repaint).
    waker: Waker,
}

impl fmt::Debug for EventSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSender")
            .field("queued", &self.sender.len())
            .finish_non_exhaustive()
    }
}

impl EventSender {
    /// Sends an event, waiting while the caller is `CAPACITY` events behind.
    /// A caller that went away (dropped its receiver) is not an error: the event is dropped.
    pub(crate) async fn send(&self, event: Event) {
        if self.sender.send_async(event).await.is_ok() {
            (self.waker)();
        }
    }
}

/// The receiving side, held by the caller.
#[derive(Debug)]
pub struct EventReceiver {
    /// Events from every socket sharing this channel, in the order they happened per socket.
    receiver: flume::Receiver<Event>,
}

impl EventReceiver {
    /// The next event if one is waiting; never blocks (for a GUI's frame).
    #[must_use]
    pub fn try_recv(&self) -> Option<Event> {
        self.receiver.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event (for headless programs and tests, never a GUI).
    #[must_use]
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.receiver.recv_timeout(timeout).ok()
    }

    /// Waits for the next event; `None` once every sender is gone.
    pub async fn recv(&self) -> Option<Event> {
        self.receiver.recv_async().await.ok()
    }
}

//! The event channel from the background runtime to the caller, with a waker.
//!
//! Sockets run on background threads; the caller (a window, the headless printer, a test) drains
//! events at its own pace. When news arrives the waker runs, so a GUI can pass
//! `ctx.request_repaint()` and repaint only when there is news: an idle window costs nothing.
//! The waker runs once per batch, not once per event: after it ran, it runs again only once
//! the receiver has come back for events. A window under a flood asks for one repaint a frame
//! instead of thousands (each of which would wake its event loop).
//!
//! Two events that happen together (a socket's SendProgress and SendComplete, its Error and
//! Closed) travel as one parcel: one trip through the channel and at most one wake-up.
//!
//! Each parcel is stamped with the moment it was sent (one clock read a parcel; a pair shares
//! it, as its two events happened together), and the receiver says when the event it handed
//! out last was sent ([`EventReceiver::sent_at`]). A window drains once a frame, up to 16 ms
//! after the fact and many events at once: it shows each event at the time it happened, not
//! at the time it was drawn, so the log, a socket's sequence and the packets beside it keep the
//! order of the wire (the handshake before Connected).
//!
//! The channel is bounded twice: by parcels ([`CAPACITY`]) and by the bytes of received data
//! its events report ([`DATA_BUDGET`], 64 MiB; at 64 KiB a read, the parcel bound alone would
//! let 256 MiB through). When the caller falls behind, senders wait, sockets stop reading, and
//! TCP's own flow control slows the peers: a flood never turns into unbounded memory or work.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use tokio::sync::Semaphore;

use crate::Event;

/// How many parcels (one or two events each) may wait for the caller before the sockets pause.
pub const CAPACITY: usize = 4096;

/// How many bytes of received data (in Data events) may wait for the caller before the
/// sockets pause, whatever the number of parcels. As rerun bounds its log channel by bytes.
pub const DATA_BUDGET: usize = 64 * 1024 * 1024;

/// A callback run when news arrives, e.g. `move || ctx.request_repaint()`.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Creates an event channel. `waker` runs after an event is sent, unless it already ran and
/// the receiver has not asked for events since (it will find this one too).
#[must_use]
pub fn event_channel(waker: Option<Waker>) -> (EventSender, EventReceiver) {
    with_budget(waker, DATA_BUDGET)
}

/// An event channel with `budget` bytes of Data in flight at most.
fn with_budget(waker: Option<Waker>, budget: usize) -> (EventSender, EventReceiver) {
    let (sender, receiver) = flume::bounded(CAPACITY);
    let woken = Arc::new(AtomicBool::new(false));
    let budget = Arc::new(Semaphore::new(budget));
    let waits = Arc::new(AtomicU64::new(0));
    (
        EventSender {
            sender,
            waker: waker.unwrap_or_else(|| Arc::new(|| {})),
            woken: Arc::clone(&woken),
            budget: Arc::clone(&budget),
            waits: Arc::clone(&waits),
        },
        EventReceiver {
            receiver,
            woken,
            waits,
            budget,
            second: None,
            sent_at: None,
        },
    )
}

/// The sending side, cloned into every socket task.
#[derive(Clone)]
pub struct EventSender {
    /// Events go here; bounded so a slow caller slows the sockets instead of growing memory.
    sender: flume::Sender<Parcel>,
    /// Tells the caller there is news (e.g. requests a repaint).
    waker: Waker,
    /// True from a waker call until the receiver next asks for events.
    woken: Arc<AtomicBool>,
    /// One permit per byte of Data in flight: taken before sending, given back by the
    /// receiver as it hands each Data event out. Closed when the receiver goes away.
    budget: Arc<Semaphore>,
    /// How many times a socket had to wait for the caller to make room (see
    /// [`EventReceiver::waits`]).
    waits: Arc<AtomicU64>,
}

impl fmt::Debug for EventSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSender")
            .field("queued", &self.sender.len())
            .finish_non_exhaustive()
    }
}

impl EventSender {
    /// Sends an event, waiting while the caller is `CAPACITY` events behind, and wakes the
    /// caller unless it was woken already and has not come back for events since.
    /// A caller that went away (dropped its receiver) is not an error: the event is dropped.
    pub(crate) fn send(&self, event: Event) -> Deliver<'_> {
        Deliver::new(self, Parcel::new(Events::One(event)))
    }

    /// Sends two events that happened together, in this order, as one parcel.
    pub(crate) fn send_pair(&self, first: Event, second: Event) -> Deliver<'_> {
        Deliver::new(self, Parcel::new(Events::Pair(first, second)))
    }

    /// Sends events that happened together, in order, two to a parcel.
    pub(crate) fn send_all<I>(&self, events: I) -> impl Future<Output = ()> + Send + use<'_, I>
    where
        I: IntoIterator<Item = Event>,
        I::IntoIter: Send,
    {
        let mut events = events.into_iter();
        // An `async move` block rather than an `async fn`, which would keep the events twice.
        async move {
            while let Some(first) = events.next() {
                match events.next() {
                    Some(second) => self.send_pair(first, second).await,
                    None => self.send(first).await,
                }
            }
        }
    }

    /// Sends `parcel` at once if its bytes fit the budget and the channel has room, as it
    /// nearly always has; else gives it back, saying which of the two is full.
    // The parcel comes back by value, as flume's `TrySendError` gives it back: boxing it would
    // allocate on the path that is already slow, for a move the fast path never makes.
    #[allow(clippy::result_large_err)]
    fn try_deliver(&self, parcel: Parcel) -> Result<(), Full> {
        let cost = parcel.data_cost();
        if cost > 0 {
            match self.budget.try_acquire_many(cost) {
                // Given back by the receiver, event by event.
                Ok(permit) => permit.forget(),
                Err(tokio::sync::TryAcquireError::NoPermits) => {
                    return Err(Full::Budget(parcel, cost));
                }
                // The receiver went away: nobody will read this.
                Err(tokio::sync::TryAcquireError::Closed) => return Ok(()),
            }
        }
        match self.sender.try_send(parcel) {
            Ok(()) => self.wake_receiver(),
            Err(flume::TrySendError::Full(parcel)) => return Err(Full::Channel(parcel)),
            Err(flume::TrySendError::Disconnected(_)) => {}
        }
        Ok(())
    }

    /// Sends a parcel that found the budget or the channel full: waits for room, counting
    /// each wait.
    async fn deliver_when_room(&self, full: Full) {
        let parcel = match full {
            Full::Budget(parcel, cost) => {
                self.waits.fetch_add(1, Ordering::Relaxed);
                match self.budget.acquire_many(cost).await {
                    // Given back by the receiver, event by event.
                    Ok(permit) => permit.forget(),
                    // The receiver went away: nobody will read this.
                    Err(_closed) => return,
                }
                match self.sender.try_send(parcel) {
                    Ok(()) => return self.wake_receiver(),
                    Err(flume::TrySendError::Full(parcel)) => parcel,
                    Err(flume::TrySendError::Disconnected(_)) => return,
                }
            }
            Full::Channel(parcel) => parcel,
        };
        self.waits.fetch_add(1, Ordering::Relaxed);
        if self.sender.send_async(parcel).await.is_ok() {
            self.wake_receiver();
        }
    }

    /// A parcel was sent: wakes the caller unless it was woken already.
    fn wake_receiver(&self) {
        // SeqCst pairs with the receiver's `store` before it looks at the queue: either the
        // receiver sees this parcel, or this swap sees its `false` and wakes it.
        if !self.woken.swap(true, Ordering::SeqCst) {
            (self.waker)();
        }
    }
}

/// A parcel that could not be sent at once, and what it waits for.
enum Full {
    /// The budget of Data bytes in flight is spent; the parcel needs `u32` more.
    Budget(Parcel, u32),
    /// The budget is taken; the channel has no room.
    Channel(Parcel),
}

/// Sending one parcel: at its first poll it goes at once if it can (nearly always), and only a
/// parcel that must wait for room makes the waiting future, boxed. Written out rather than as
/// an `async fn`, whose future keeps its arguments twice and the waiting state inline: every
/// connection's task holds a send in its own future, so a send's size is paid per connection,
/// and its copies per event.
#[must_use = "a Deliver sends nothing until awaited"]
pub(crate) struct Deliver<'a> {
    /// The channel.
    sender: &'a EventSender,
    /// The parcel, until the first poll.
    parcel: Option<Parcel>,
    /// The send that waits for room, if it had to.
    waiting: Option<Pin<Box<dyn Future<Output = ()> + Send + 'a>>>,
}

impl<'a> Deliver<'a> {
    fn new(sender: &'a EventSender, parcel: Parcel) -> Self {
        Self {
            sender,
            parcel: Some(parcel),
            waiting: None,
        }
    }
}

impl Future for Deliver<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(parcel) = this.parcel.take() {
            match this.sender.try_deliver(parcel) {
                Ok(()) => return Poll::Ready(()),
                Err(full) => this.waiting = Some(Box::pin(this.sender.deliver_when_room(full))),
            }
        }
        match &mut this.waiting {
            Some(waiting) => waiting.as_mut().poll(context),
            None => Poll::Ready(()),
        }
    }
}

/// The budget a Data event takes: its chunk's whole length, though the event carries at most
/// [`crate::DATA_EVENT_BYTES`] of it, so that a caller who falls behind still slows the sockets
/// as the chunks' sizes say. A read is at most 64 KiB ([`crate::handler::READ_CHUNK`]), so a
/// parcel always fits in [`DATA_BUDGET`].
fn data_cost(event: &Event) -> u32 {
    match event {
        Event::Data { bytes, .. } => u32::try_from(*bytes).unwrap_or(u32::MAX),
        _ => 0,
    }
}

/// What travels through the channel: one event, or two that happened together, and when.
struct Parcel {
    /// When it was sent: when its events happened, as far as the caller can know. Read when
    /// the send begins, so a parcel that waits for room keeps the moment it happened, not the
    /// moment the caller made room.
    sent: SystemTime,
    /// Its event or events.
    events: Events,
}

/// One event, or two that happened together, in order.
enum Events {
    One(Event),
    Pair(Event, Event),
}

impl Parcel {
    /// `events`, stamped now: the one clock read a parcel costs.
    fn new(events: Events) -> Self {
        Self {
            sent: SystemTime::now(),
            events,
        }
    }

    /// The budget its Data events take.
    fn data_cost(&self) -> u32 {
        match &self.events {
            Events::One(event) => data_cost(event),
            Events::Pair(first, second) => data_cost(first) + data_cost(second),
        }
    }
}

/// The receiving side, held by the caller. One receiver takes the events: receiving takes
/// `&mut self`, so a pair's two halves (Connected and its AddSocket, SendComplete and
/// Closed) can never be split between two threads and arrive out of order. Sharing one
/// between threads does not compile:
///
/// ```compile_fail
/// use std::sync::Arc;
/// let (_events, receiver) = serversocket::event_channel(None);
/// let shared = Arc::new(receiver);
/// let other = Arc::clone(&shared);
/// std::thread::spawn(move || other.try_recv());
/// shared.try_recv();
/// ```
#[derive(Debug)]
pub struct EventReceiver {
    /// Events from every socket sharing this channel, in the order they happened per socket.
    receiver: flume::Receiver<Parcel>,
    /// Cleared whenever the caller asks for events, so the next event wakes it again.
    woken: Arc<AtomicBool>,
    /// The second event of the pair last opened, handed out by the next call. One slot is
    /// enough: receiving takes `&mut self`, so one receiver takes events one at a time and a
    /// pair's two halves can never be taken apart by another thread (with `&self`, a thread
    /// could take a later event between the two, Closed before SendComplete).
    second: Option<Event>,
    /// When the parcel last opened was sent: the time of the event handed out last (a pair's
    /// second shares its first's). `None` until the first event.
    sent_at: Option<SystemTime>,
    /// The senders' byte budget, given back as Data events are handed out.
    budget: Arc<Semaphore>,
    /// Counted by the senders each time the channel was full when they came.
    waits: Arc<AtomicU64>,
}

impl Drop for EventReceiver {
    fn drop(&mut self) {
        // Senders waiting for budget would wait forever: nobody gives it back any more.
        self.budget.close();
    }
}

impl EventReceiver {
    /// How many times a socket found the channel full (or its bytes of Data over
    /// [`DATA_BUDGET`]) and waited for this receiver to take events: 0 while the caller keeps
    /// up. A window shows it, so that a server slowed by the window that watches it says so.
    #[must_use]
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    /// When the event handed out last (by any of the receives) was sent: the moment it
    /// happened on the socket's task, on the wall clock. `None` before the first event.
    ///
    /// A caller that takes events later than they happen (a window, once a frame) stamps
    /// them with this rather than with the time it took them:
    ///
    /// ```
    /// # let (_events, mut receiver) = serversocket::event_channel(None);
    /// while let Some(event) = receiver.try_recv() {
    ///     let happened = receiver.sent_at();
    ///     # let _ = (event, happened);
    /// }
    /// ```
    #[must_use]
    pub fn sent_at(&self) -> Option<SystemTime> {
        self.sent_at
    }

    /// The next event if one is waiting; never blocks (for a GUI's frame).
    #[must_use]
    pub fn try_recv(&mut self) -> Option<Event> {
        self.woken.store(false, Ordering::SeqCst);
        let event = self
            .held()
            .or_else(|| Some(self.open(self.receiver.try_recv().ok()?)));
        self.hand_out(event)
    }

    /// Waits up to `timeout` for the next event (for headless programs and tests, never a GUI).
    #[must_use]
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<Event> {
        self.woken.store(false, Ordering::SeqCst);
        let event = self
            .held()
            .or_else(|| Some(self.open(self.receiver.recv_timeout(timeout).ok()?)));
        self.hand_out(event)
    }

    /// Waits for the next event; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        self.woken.store(false, Ordering::SeqCst);
        if let Some(event) = self.held() {
            return self.hand_out(Some(event));
        }
        let parcel = self.receiver.recv_async().await.ok()?;
        let event = self.open(parcel);
        self.hand_out(Some(event))
    }

    /// Gives a Data event's bytes back to the senders' budget as it leaves the channel.
    fn hand_out(&self, event: Option<Event>) -> Option<Event> {
        if let Some(event) = &event {
            let cost = data_cost(event) as usize;
            if cost > 0 {
                self.budget.add_permits(cost);
            }
        }
        event
    }

    /// The second event of a pair, if one is waiting.
    fn held(&mut self) -> Option<Event> {
        self.second.take()
    }

    /// The parcel's first event; a second one waits for the next call. Both are stamped with
    /// the parcel's time.
    fn open(&mut self, parcel: Parcel) -> Event {
        self.sent_at = Some(parcel.sent);
        match parcel.events {
            Events::One(event) => event,
            Events::Pair(first, second) => {
                self.second = Some(second);
                first
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::SocketId;

    /// A channel whose waker counts its calls.
    fn counted() -> (EventSender, EventReceiver, Arc<AtomicUsize>) {
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&wakes);
        let (sender, receiver) = event_channel(Some(Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })));
        (sender, receiver, wakes)
    }

    /// A runtime on this thread, to await the sender's futures.
    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    }

    /// Socket `id`'s Closed: an event of no size.
    fn closed(id: u64) -> Event {
        Event::Closed {
            socket: SocketId(id),
        }
    }

    fn send(sender: &EventSender, id: u64) {
        current_thread().block_on(sender.send(closed(id)));
    }

    #[test]
    fn the_waker_runs_once_per_batch_and_again_after_the_receiver_came_back() {
        let (sender, mut receiver, wakes) = counted();
        for id in 0..3 {
            send(&sender, id);
        }
        assert_eq!(wakes.load(Ordering::SeqCst), 1, "one wake for three events");
        let mut taken = Vec::new();
        while let Some(event) = receiver.try_recv() {
            taken.push(event);
        }
        assert_eq!(taken.len(), 3, "every event is still delivered");
        send(&sender, 3);
        assert_eq!(
            wakes.load(Ordering::SeqCst),
            2,
            "news after a drain wakes again"
        );
        send(&sender, 4);
        assert_eq!(wakes.load(Ordering::SeqCst), 2);
        assert!(receiver.try_recv().is_some());
        // The receiver came back but left an event waiting: the next event still wakes it,
        // so a caller that stops mid-drain is never left asleep with news queued.
        send(&sender, 5);
        assert_eq!(wakes.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_pair_arrives_in_order_with_one_wake_by_every_kind_of_receive() {
        let (sender, mut receiver, wakes) = counted();
        let runtime = current_thread();
        runtime.block_on(async {
            sender.send_pair(closed(1), closed(2)).await;
            sender.send_pair(closed(3), closed(4)).await;
            sender.send(closed(5)).await;
        });
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        let mut seen = vec![receiver.try_recv(), receiver.try_recv()];
        seen.push(receiver.recv_timeout(Duration::from_secs(5)));
        seen.push(runtime.block_on(receiver.recv()));
        seen.push(receiver.try_recv());
        assert_eq!(seen, (1..=5).map(|id| Some(closed(id))).collect::<Vec<_>>());
        assert_eq!(receiver.try_recv(), None);
    }

    #[test]
    fn data_waits_once_its_bytes_fill_the_budget_and_goes_on_as_the_receiver_takes_some() {
        let (sender, mut receiver) = with_budget(None, 10 * 1024);
        let data = |id| Event::data(SocketId(id), &bytes::Bytes::from(vec![0_u8; 1024]));
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for id in 0..10 {
            let mut send = std::pin::pin!(sender.send(data(id)));
            assert!(send.as_mut().poll(&mut context).is_ready(), "within budget");
        }
        assert_eq!(receiver.waits(), 0, "nothing waited within the budget");
        // Ten KiB in flight: the eleventh waits, though the channel has room for parcels.
        let mut eleventh = std::pin::pin!(sender.send(data(10)));
        assert!(eleventh.as_mut().poll(&mut context).is_pending());
        assert_eq!(receiver.waits(), 1, "the wait is counted");
        assert_eq!(receiver.try_recv(), Some(data(0)));
        assert!(eleventh.as_mut().poll(&mut context).is_ready());
        drop(receiver);
        // Nobody reads any more: a sender over budget neither waits nor fails.
        let runtime = current_thread();
        runtime.block_on(sender.send_pair(data(11), data(12)));
    }

    #[test]
    fn a_sender_that_finds_the_channel_full_waits_and_the_wait_is_counted() {
        let (sender, mut receiver) = event_channel(None);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for id in 0..CAPACITY as u64 {
            let mut send = std::pin::pin!(sender.send(closed(id)));
            assert!(send.as_mut().poll(&mut context).is_ready(), "room for {id}");
        }
        assert_eq!(receiver.waits(), 0);
        let mut one_more = std::pin::pin!(sender.send(closed(u64::MAX)));
        assert!(one_more.as_mut().poll(&mut context).is_pending());
        assert_eq!(receiver.waits(), 1);
        // The receiver takes one: the waiting sender goes on, and nothing is lost.
        assert_eq!(receiver.try_recv(), Some(closed(0)));
        assert!(one_more.as_mut().poll(&mut context).is_ready());
        let mut rest = 0;
        while receiver.try_recv().is_some() {
            rest += 1;
        }
        assert_eq!(
            rest, CAPACITY,
            "every event after the first, the waiting one included"
        );
        assert_eq!(receiver.waits(), 1);
    }

    #[test]
    fn each_event_says_when_it_was_sent_not_when_it_was_taken() {
        let (sender, mut receiver) = event_channel(None);
        let runtime = current_thread();
        let before = SystemTime::now();
        runtime.block_on(sender.send(closed(1)));
        let between = SystemTime::now();
        // Time passes between the two sends, as between two events of a connection; both are
        // taken afterwards, at once, as a window takes them at its next frame.
        std::thread::sleep(Duration::from_millis(20));
        runtime.block_on(sender.send_pair(closed(2), closed(3)));
        let after = SystemTime::now();
        assert_eq!(receiver.sent_at(), None, "nothing handed out yet");
        let mut stamped = Vec::new();
        while let Some(event) = receiver.try_recv() {
            stamped.push((event, receiver.sent_at().expect("a stamp")));
        }
        let stamps: Vec<SystemTime> = stamped.iter().map(|(_, sent)| *sent).collect();
        assert_eq!(stamped.len(), 3);
        assert!(before <= stamps[0] && stamps[0] <= between, "{stamps:?}");
        assert!(between < stamps[1] && stamps[1] <= after, "{stamps:?}");
        assert_eq!(stamps[1], stamps[2], "a pair shares its moment");
    }

    #[test]
    fn a_parcel_that_waited_for_room_keeps_the_moment_it_was_sent() {
        let (sender, mut receiver) = event_channel(None);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for id in 0..CAPACITY as u64 {
            let mut send = std::pin::pin!(sender.send(closed(id)));
            assert!(send.as_mut().poll(&mut context).is_ready());
        }
        let mut waiting = std::pin::pin!(sender.send(closed(u64::MAX)));
        assert!(waiting.as_mut().poll(&mut context).is_pending());
        let sent = SystemTime::now();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(receiver.try_recv(), Some(closed(0)));
        let room = SystemTime::now();
        assert!(waiting.as_mut().poll(&mut context).is_ready());
        let mut last = None;
        while let Some(event) = receiver.try_recv() {
            last = Some((event, receiver.sent_at()));
        }
        let (event, stamp) = last.expect("the waiting parcel arrived");
        assert_eq!(event, closed(u64::MAX));
        let stamp = stamp.expect("a stamp");
        assert!(
            stamp <= sent && sent < room,
            "stamped when sent, not when room came"
        );
    }

    #[test]
    fn events_for_a_receiver_that_went_away_neither_block_nor_wake() {
        let (sender, receiver, wakes) = counted();
        drop(receiver);
        send(&sender, 0);
        assert_eq!(wakes.load(Ordering::SeqCst), 0);
    }
}

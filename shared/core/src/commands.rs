//! A socket's command queue: the caller's handles push Write and Close, the socket's task takes
//! them in order.
//!
//! tokio's unbounded channel allocates a block of 32 slots and a cache-padded channel, about
//! 1.6 KiB, when it is made, whether or not a command ever comes: with ten thousand idle
//! connections that was a quarter of what each one cost. Commands are rare (a window's Write or
//! Close), so this queue is a `VecDeque` that allocates only once something is queued, behind a
//! lock that is never held across an await, beside the waker of the task that waits on it.
//!
//! The queue shares its allocation with the socket's status snapshot ([`StatusCell`]): both
//! live exactly as long as the socket's task or a handle does, and one allocation a
//! connection is cheaper than two.
//!
//! The task looks at the queue at every turn of its loop. A tokio `Notify` made each look
//! register a waiter and unregister it again (two more locks and a list of waiters, for a queue
//! with one reader); the waker kept under the queue's own lock costs one lock a look, and the
//! queue and the waker can never disagree.
//!
//! The owner's shutdown reaches the task the same way ([`ShutdownWatch`]): a flag under the
//! queue's lock, and the same waker. A `CancellationToken` shared by every connection did it
//! before, and each of them took that token's one lock (and its `Notify`'s) a dozen times in
//! its life: when cloned and dropped, and at every poll of its task, which looked at the
//! cancellation first. Two workers serving short connections met on that lock.

use std::collections::VecDeque;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use crate::status::SocketStatus;
use crate::sync::lock;

/// What the caller asks a socket's task to do.
#[derive(Debug)]
pub(crate) enum SocketCommand {
    /// Queue bytes for sending.
    Write(Bytes),
    /// Close the connection.
    Close,
    /// Close the connection as Xojo's Disconnect does: with Error 102 before Closed.
    Disconnect,
    /// Drop every byte queued and not yet sent (Xojo's Purge).
    Purge,
}

/// A write shorter than this, queued right after another such, joins it: a caller writing a
/// byte at a time held an entry of some 40 bytes a byte (the limit counts the bytes written,
/// so one socket reached 1.3 GiB before writes were refused).
const SMALL_WRITE: usize = 4 * 1024;

/// Small writes joined into one entry stop joining at this size.
const GATHERED: usize = 64 * 1024;

/// An entry of the queue: a command, or small writes gathered into one (taken as a Write).
#[derive(Debug)]
enum Queued {
    Command(SocketCommand),
    Gathered(Vec<u8>),
}

impl Queued {
    /// The command it is, and the bytes of it that count against the limit.
    fn into_command(self) -> (SocketCommand, usize) {
        match self {
            Self::Command(command) => {
                let bytes = match &command {
                    SocketCommand::Write(data) => data.len(),
                    _ => 0,
                };
                (command, bytes)
            }
            Self::Gathered(gathered) => {
                let bytes = gathered.len();
                (SocketCommand::Write(Bytes::from(gathered)), bytes)
            }
        }
    }
}

/// A new queue, beside the socket's `status`: the handles' end and the socket task's end.
pub(crate) fn command_queue(status: SocketStatus) -> (CommandSender, CommandReceiver) {
    let shared = Arc::new(Shared {
        status: Mutex::new(status),
        state: Mutex::new(State {
            queue: VecDeque::new(),
            queued_bytes: 0,
            senders: 1,
            receiver_gone: false,
            shut_down: false,
            waker: None,
        }),
    });
    (CommandSender(Arc::clone(&shared)), CommandReceiver(shared))
}

/// What both ends share.
struct Shared {
    /// The socket's snapshot, written by its task and read by its handles ([`StatusCell`]).
    status: Mutex<SocketStatus>,
    /// The queue, who is still there and who waits, changed in one step under the lock.
    state: Mutex<State>,
}

struct State {
    /// Commands not yet taken, oldest first.
    queue: VecDeque<Queued>,
    /// The bytes of the Writes among them: with what the socket's task holds, bounded by the
    /// send queue's limit, so writes through a handle cannot grow without end while the task
    /// waits (say, on a full event channel).
    queued_bytes: usize,
    /// Handles alive. At zero the task hears "disconnected" and closes the socket: a client
    /// whose caller dropped every handle closes, as Xojo's does when it goes out of scope.
    senders: usize,
    /// The socket's task has ended: commands are refused instead of kept for nobody.
    receiver_gone: bool,
    /// The socket's owner shuts down: the task closes the socket ([`ShutdownWatch`]).
    shut_down: bool,
    /// The socket's task, when it found the queue empty (or no shutdown) and waits: woken (and
    /// forgotten) when a command is queued, the last handle went away or the owner shuts down.
    /// Kept under the same lock as the queue, so a command queued just after the task looked
    /// cannot go unnoticed.
    waker: Option<Waker>,
}

impl State {
    /// Leaves the task's waker for whoever changes the state next.
    fn wait(&mut self, context: &Context<'_>) {
        // Most looks find the same task waiting as last time: nothing to replace.
        if !self
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(context.waker()))
        {
            self.waker = Some(context.waker().clone());
        }
    }
}

/// The socket's task has ended; the command was not queued.
#[derive(Debug)]
pub(crate) struct Gone;

/// Why a Write was not queued.
#[derive(Debug)]
pub(crate) enum WriteRefused {
    /// The socket's task has ended.
    Gone,
    /// There is no room: the limit's worth already waits, this many bytes of it in the
    /// command queue.
    Full(usize),
}

/// Why [`CommandReceiver::try_recv`] had nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Empty {
    /// Nothing queued now.
    Waiting,
    /// Nothing queued, and every handle is gone.
    Disconnected,
}

/// The handles' end; every clone counts as a handle.
pub(crate) struct CommandSender(Arc<Shared>);

/// A socket's status snapshot, in the allocation it shares with its command queue: the task
/// writes it and the handles read it, each through a clone of this (no allocation of its own,
/// and no count as a handle).
#[derive(Clone)]
pub(crate) struct StatusCell(Arc<Shared>);

impl Deref for StatusCell {
    type Target = Mutex<SocketStatus>;

    fn deref(&self) -> &Mutex<SocketStatus> {
        &self.0.status
    }
}

impl fmt::Debug for StatusCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The mutex's own Debug, which does not wait for the lock.
        f.debug_tuple("StatusCell").field(&self.0.status).finish()
    }
}

impl CommandSender {
    /// The socket's status snapshot.
    pub(crate) fn status(&self) -> StatusCell {
        StatusCell(Arc::clone(&self.0))
    }

    /// The socket's owner shuts down: wakes the task, whose [`ShutdownWatch`] now says so.
    pub(crate) fn shut_down(&self) {
        let waiting = {
            let mut state = lock(&self.0.state);
            state.shut_down = true;
            state.waker.take()
        };
        wake(waiting);
    }

    /// Queues `command` for the socket's task and wakes it.
    pub(crate) fn send(&self, command: SocketCommand) -> Result<(), Gone> {
        let waiting = {
            let mut state = lock(&self.0.state);
            if state.receiver_gone {
                return Err(Gone);
            }
            if let SocketCommand::Write(data) = &command {
                state.queued_bytes += data.len();
            }
            state.queue.push_back(Queued::Command(command));
            state.waker.take()
        };
        wake(waiting);
        Ok(())
    }
}

impl CommandSender {
    /// Queues a Write of `data` unless the Writes already queued fill `room` (the send queue's
    /// limit less what the socket's task holds), and wakes the task. A write is taken whole
    /// while there is any room, however long it is: its bytes are already in memory, and a
    /// write longer than the limit could otherwise never be sent.
    pub(crate) fn write(&self, data: Bytes, room: usize) -> Result<(), WriteRefused> {
        let waiting = {
            let mut state = lock(&self.0.state);
            if state.receiver_gone {
                return Err(WriteRefused::Gone);
            }
            if !data.is_empty() && state.queued_bytes >= room {
                return Err(WriteRefused::Full(state.queued_bytes));
            }
            state.queued_bytes += data.len();
            if data.len() < SMALL_WRITE {
                match state.queue.back_mut() {
                    Some(Queued::Gathered(gathered)) if gathered.len() < GATHERED => {
                        gathered.extend_from_slice(&data);
                    }
                    _ => state.queue.push_back(Queued::Gathered(data.to_vec())),
                }
            } else {
                state
                    .queue
                    .push_back(Queued::Command(SocketCommand::Write(data)));
            }
            state.waker.take()
        };
        wake(waiting);
        Ok(())
    }
}

impl Clone for CommandSender {
    fn clone(&self) -> Self {
        lock(&self.0.state).senders += 1;
        Self(Arc::clone(&self.0))
    }
}

impl Drop for CommandSender {
    fn drop(&mut self) {
        let waiting = {
            let mut state = lock(&self.0.state);
            state.senders -= 1;
            if state.senders == 0 {
                state.waker.take()
            } else {
                None
            }
        };
        wake(waiting);
    }
}

impl fmt::Debug for CommandSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandSender")
            .field("queued", &lock(&self.0.state).queue.len())
            .finish()
    }
}

/// The socket task's end.
pub(crate) struct CommandReceiver(Arc<Shared>);

impl CommandReceiver {
    /// What the task watches for its owner's shutdown.
    pub(crate) fn shutdown_watch(&self) -> ShutdownWatch {
        ShutdownWatch(Arc::clone(&self.0))
    }

    /// The oldest command, without waiting.
    pub(crate) fn try_recv(&mut self) -> Result<SocketCommand, Empty> {
        let mut state = lock(&self.0.state);
        match state.queue.pop_front() {
            Some(queued) => {
                let (command, bytes) = queued.into_command();
                state.queued_bytes -= bytes;
                Ok(command)
            }
            None if state.senders == 0 => Err(Empty::Disconnected),
            None => Err(Empty::Waiting),
        }
    }

    /// Ends the queue as the socket closes and returns what was still in it, oldest first:
    /// from here on the handles' commands are refused (a write says the socket is closed), so
    /// every write a handle made is either among these or refused, never queued for nobody.
    pub(crate) fn close_and_take(&mut self) -> impl Iterator<Item = SocketCommand> + use<> {
        let mut state = lock(&self.0.state);
        state.receiver_gone = true;
        state.queued_bytes = 0;
        std::mem::take(&mut state.queue)
            .into_iter()
            .map(|queued| queued.into_command().0)
    }

    /// The oldest command, waiting for one; `None` once every handle is gone and the queue is
    /// empty. Cancel-safe: a command is only taken when this returns it.
    pub(crate) async fn recv(&mut self) -> Option<SocketCommand> {
        std::future::poll_fn(|context| self.poll_recv(context)).await
    }

    /// [`Self::recv`] as a poll: the oldest command, or the task's waker left for the senders.
    fn poll_recv(&mut self, context: &Context<'_>) -> Poll<Option<SocketCommand>> {
        let mut state = lock(&self.0.state);
        match state.queue.pop_front() {
            Some(queued) => {
                let (command, bytes) = queued.into_command();
                state.queued_bytes -= bytes;
                Poll::Ready(Some(command))
            }
            None if state.senders == 0 => Poll::Ready(None),
            None => {
                state.wait(context);
                Poll::Pending
            }
        }
    }
}

/// Whether the socket's owner shuts down, as its task sees it: it waits on this beside its
/// work, and closes the socket when it resolves (see [`CommandSender::shut_down`]). Shares the
/// queue's allocation, like [`StatusCell`], and counts as no handle.
#[derive(Clone)]
pub(crate) struct ShutdownWatch(Arc<Shared>);

impl ShutdownWatch {
    /// Resolves once the owner shuts down; never for a socket whose owner never does.
    pub(crate) async fn shut_down(&self) {
        std::future::poll_fn(|context| self.poll_shut_down(context)).await;
    }

    /// [`Self::shut_down`] as a poll: ready, or the task's waker left for the owner. The task
    /// shares the waker's slot with its own [`CommandReceiver::recv`]: either leaves the same
    /// waker, its task's.
    fn poll_shut_down(&self, context: &Context<'_>) -> Poll<()> {
        let mut state = lock(&self.0.state);
        if state.shut_down {
            return Poll::Ready(());
        }
        state.wait(context);
        Poll::Pending
    }
}

/// Wakes the task that waited, if one did; called with the lock let go.
fn wake(waiting: Option<Waker>) {
    if let Some(waker) = waiting {
        waker.wake();
    }
}

impl Drop for CommandReceiver {
    fn drop(&mut self) {
        let dropped = {
            let mut state = lock(&self.0.state);
            state.receiver_gone = true;
            state.queued_bytes = 0;
            // The task's waker would keep the ended task's memory for as long as a handle
            // lives.
            (std::mem::take(&mut state.queue), state.waker.take())
        };
        // Written data is let go outside the lock.
        drop(dropped);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;

    /// A caller writing a byte at a time holds a few entries, not one a byte, and its
    /// writes keep their order around the other commands.
    #[test]
    fn small_writes_join_in_the_queue_in_order() {
        let (sender, mut receiver) = command_queue(SocketStatus::default());
        for _ in 0..100_000 {
            sender.write(Bytes::from_static(b"x"), usize::MAX).unwrap();
        }
        assert!(
            lock(&sender.0.state).queue.len() <= 2,
            "{} entries",
            lock(&sender.0.state).queue.len()
        );
        sender.write(Bytes::from_static(b"y"), usize::MAX).unwrap();
        sender.send(SocketCommand::Purge).unwrap();
        sender.write(Bytes::from_static(b"z"), usize::MAX).unwrap();
        let mut written = Vec::new();
        let mut purged_after = None;
        while let Ok(command) = receiver.try_recv() {
            match command {
                SocketCommand::Write(data) => written.extend_from_slice(&data),
                SocketCommand::Purge => purged_after = Some(written.len()),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(written.len(), 100_002);
        assert_eq!(purged_after, Some(100_001), "the Purge between y and z");
        assert_eq!(&written[99_999..], b"xyz");
        assert_eq!(lock(&sender.0.state).queued_bytes, 0);
    }

    #[tokio::test]
    async fn commands_arrive_in_order_and_the_last_handle_gone_ends_the_queue() {
        let (sender, mut receiver) = command_queue(SocketStatus::default());
        let second = sender.clone();
        sender
            .send(SocketCommand::Write(Bytes::from_static(b"one")))
            .expect("queued");
        second.send(SocketCommand::Close).expect("queued");
        assert!(matches!(receiver.recv().await, Some(SocketCommand::Write(data)) if data == "one"));
        assert!(matches!(receiver.recv().await, Some(SocketCommand::Close)));
        assert_eq!(receiver.try_recv().err(), Some(Empty::Waiting));
        drop(sender);
        assert_eq!(
            receiver.try_recv().err(),
            Some(Empty::Waiting),
            "one handle left"
        );
        drop(second);
        assert_eq!(receiver.try_recv().err(), Some(Empty::Disconnected));
        assert!(receiver.recv().await.is_none());
    }

    /// A task waiting on `receiver` for at most 10 s, as a connection's task waits.
    fn wait_for_a_command(
        mut receiver: CommandReceiver,
    ) -> tokio::task::JoinHandle<Option<SocketCommand>> {
        tokio::spawn(async move {
            tokio::time::timeout(Duration::from_secs(10), receiver.recv())
                .await
                .expect("woken within 10 s")
        })
    }

    #[tokio::test]
    async fn a_waiting_task_wakes_for_a_command_sent_from_another_thread() {
        let (sender, receiver) = command_queue(SocketStatus::default());
        let waiting = wait_for_a_command(receiver);
        // Sent from a plain thread, as a window's Close is.
        std::thread::spawn(move || sender.send(SocketCommand::Close).expect("queued"))
            .join()
            .expect("sender thread");
        assert!(matches!(
            waiting.await.expect("task"),
            Some(SocketCommand::Close)
        ));
    }

    #[tokio::test]
    async fn a_waiting_task_wakes_when_the_last_handle_goes() {
        let (sender, receiver) = command_queue(SocketStatus::default());
        let waiting = wait_for_a_command(receiver);
        tokio::task::yield_now().await;
        drop(sender);
        assert!(waiting.await.expect("task").is_none());
    }

    #[test]
    fn a_command_for_an_ended_task_is_refused() {
        let (sender, receiver) = command_queue(SocketStatus::default());
        drop(receiver);
        assert!(sender.send(SocketCommand::Close).is_err());
    }

    /// The task's loop waits for a command and for its owner's shutdown at once, with one
    /// waker between them: a shutdown from another thread wakes it, and the watch says so
    /// from then on; commands still arrive.
    #[tokio::test]
    async fn a_task_waiting_for_commands_wakes_for_its_owners_shutdown() {
        let (sender, mut receiver) = command_queue(SocketStatus::default());
        let watch = receiver.shutdown_watch();
        let waiting = tokio::spawn(async move {
            let woken_by = tokio::time::timeout(Duration::from_secs(10), async {
                tokio::select! {
                    biased;
                    () = watch.shut_down() => "shutdown",
                    _ = receiver.recv() => "command",
                }
            })
            .await
            .expect("woken within 10 s");
            (woken_by, watch, receiver)
        });
        tokio::task::yield_now().await;
        let owner = sender.clone();
        std::thread::spawn(move || owner.shut_down())
            .join()
            .expect("owner thread");
        let (woken_by, watch, mut receiver) = waiting.await.expect("task");
        assert_eq!(woken_by, "shutdown");
        watch.shut_down().await;
        sender.send(SocketCommand::Close).expect("queued");
        assert!(matches!(receiver.recv().await, Some(SocketCommand::Close)));
    }

    /// A shutdown is not a command, nor the end of the handles: a socket whose owner never
    /// shuts it down (a client's) waits on its watch for ever, and its commands work as ever.
    #[tokio::test]
    async fn a_watch_stays_quiet_until_its_owner_shuts_down() {
        let (sender, mut receiver) = command_queue(SocketStatus::default());
        let watch = receiver.shutdown_watch();
        let quiet = std::pin::pin!(watch.shut_down());
        let noop = &mut Context::from_waker(Waker::noop());
        assert!(quiet.poll(noop).is_pending());
        sender.send(SocketCommand::Purge).expect("queued");
        assert!(matches!(receiver.recv().await, Some(SocketCommand::Purge)));
        let still_quiet = std::pin::pin!(watch.shut_down());
        assert!(
            still_quiet.poll(noop).is_pending(),
            "a command is no shutdown"
        );
    }
}

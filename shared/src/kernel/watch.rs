//! The listener's sampling task: reads the accept queue while listening and reports changes.

use std::net::SocketAddr;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::{AcceptQueue, KernelError, KernelProbe, SAMPLE_EVERY};
use crate::{Event, EventSender};

/// While connections only wait in the queue, half-open ones are counted every this many
/// samples (once a second at [`SAMPLE_EVERY`]).
const HALF_OPEN_EVERY: u32 = 20;

/// Samples the accept queue of the listener at `address` every [`SAMPLE_EVERY`] until `stop`,
/// and sends [`Event::AcceptQueue`] whenever a value differs from the last one sent (so an
/// idle, unchanged listener sends nothing). Where the kernel's view is not available it says
/// so once in the trace and ends; the listener is not affected. A sample that fails (say, the
/// kernel is short of memory) is skipped. Half-open connections are counted only while the
/// queue is busy (see below).
pub(crate) async fn watch_accept_queue(
    address: SocketAddr,
    events: EventSender,
    stop: CancellationToken,
) {
    let started = KernelProbe::new().and_then(|mut probe| {
        let since = probe.overflow_counters()?;
        Ok((probe, since))
    });
    let (mut probe, since) = match started {
        Ok(started) => started,
        Err(error) => return not_watching(&error),
    };
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last: Option<AcceptQueue> = None;
    // The overflow count grew at the last sample: the queue is overflowing now.
    let mut overflowing = false;
    // Samples since half-open connections were last counted.
    let mut since_counted: u32 = 0;
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        // A netlink dump filtered to one port is answered at once from kernel memory; it does
        // not wait on the network, so it runs here rather than on a blocking thread.
        // Half-open connections are counted only while something is happening at the queue
        // (connections waiting, overflowing, or half-open last time): counting them walks
        // every connection of the system, which a busy server should not pay for 20 times a
        // second while its queue is empty anyway. A queue that merely has connections waiting
        // (a busy server's usual state) has them counted every [`HALF_OPEN_EVERY`]th sample:
        // the kernel walks its whole connection table for them (262,144 buckets here, and
        // the 80,000 TIME_WAITs a churning benchmark leaves), a few ms each time, which 20
        // times a second was a third of a busy printing server's CPU.
        // While they are there, or the queue overflows, they are counted every time.
        since_counted = since_counted.saturating_add(1);
        let busy = overflowing
            || last.is_some_and(|q| {
                q.syn_recv > 0 || (q.waiting > 0 && since_counted >= HALF_OPEN_EVERY)
            });
        if busy {
            since_counted = 0;
        }
        match probe.sample_accept_queue(address, since, busy) {
            Ok(Some(now)) if last != Some(now) => {
                overflowing = last.is_some_and(|q| now.overflows > q.overflows);
                last = Some(now);
                events
                    .send(Event::AcceptQueue {
                        waiting: now.waiting,
                        capacity: now.capacity,
                        syn_recv: now.syn_recv,
                        overflows: now.overflows,
                    })
                    .await;
            }
            // Unchanged, or the listener is closing.
            Ok(_) => overflowing = false,
            Err(KernelError::Unavailable) => return not_watching(&KernelError::Unavailable),
            Err(error) => tracing::debug!(%error, "accept queue sample skipped"),
        }
    }
}

fn not_watching(error: &KernelError) {
    tracing::info!(%error, "not watching the accept queue");
}

//! The listener's sampling task: reads the accept queue while listening and reports changes.

use std::net::SocketAddr;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::{Event, EventSender};
use serversocket_kernel::{
    AcceptQueue, HALF_OPEN_EVERY, KernelError, KernelProbe, PAUSE_FACTOR, SAMPLE_EVERY,
};

/// Samples the accept queue of the listener at `address` every [`SAMPLE_EVERY`] until `stop`,
/// and sends [`Event::AcceptQueue`] whenever a value differs from the last one sent (so an
/// idle, unchanged listener sends nothing). Where the kernel's view is not available it says
/// so once in the trace and ends; the listener is not affected. A sample that fails (say, the
/// kernel is short of memory) is skipped. Half-open connections are counted only while the
/// queue is full or overflowing, and then every [`HALF_OPEN_EVERY`], or less often when a
/// count is costly ([`PAUSE_FACTOR`]; see below).
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
    // When half-open connections may be counted again.
    let mut half_open_next = Instant::now();
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        // A dump of the listeners is answered at once from kernel memory; it does not wait on
        // the network, so it runs here rather than on a blocking thread.
        // Half-open connections are counted only while they can pile up: while the accept
        // queue is full (the kernel then keeps a handshake whose last ACK found no room in
        // SYN_RECV, and drops new SYNs: overflows), or while some were half-open last time.
        // With room in the queue a handshake completes within a round trip, and counting walks
        // every connection of the system (tens of thousands in TIME_WAIT on a server that took
        // many short connections: tens of milliseconds of kernel time), which a busy server
        // should not pay for 20 times a second. So a count runs on a blocking thread, not on
        // one of the runtime's workers, and the next waits HALF_OPEN_EVERY or PAUSE_FACTOR
        // times what this one took, whichever is longer; between counts the last one stands.
        let busy = overflowing || last.is_some_and(|q| q.waiting >= q.capacity || q.syn_recv > 0);
        let sample = if busy && Instant::now() >= half_open_next {
            let started = Instant::now();
            let counted = tokio::task::spawn_blocking(move || {
                let sample = probe.sample_accept_queue(address, since, true);
                (probe, sample)
            })
            .await;
            let Ok((returned, sample)) = counted else {
                return;
            };
            probe = returned;
            half_open_next = Instant::now() + HALF_OPEN_EVERY.max(started.elapsed() * PAUSE_FACTOR);
            sample
        } else {
            probe
                .sample_accept_queue(address, since, false)
                .map(|sample| {
                    sample.map(|mut now| {
                        if busy {
                            now.syn_recv = last.map_or(0, |q| q.syn_recv);
                        }
                        now
                    })
                })
        };
        match sample {
            Ok(Some(now)) if last != Some(now) => {
                overflowing = last.is_some_and(|q| now.overflows > q.overflows);
                last = Some(now);
                events.send(Event::from(now)).await;
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

//! The listener's sampling task: reads the accept queue while listening and reports changes.

use std::net::SocketAddr;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::{AcceptQueue, KernelError, KernelProbe, SAMPLE_EVERY};
use crate::{Event, EventSender};

/// Samples the accept queue of the listener at `address` every [`SAMPLE_EVERY`] until `stop`,
/// and sends [`Event::AcceptQueue`] whenever a value differs from the last one sent (so an
/// idle, unchanged listener sends nothing). Where the kernel's view is not available it says
/// so once in the trace and ends; the listener is not affected. A sample that fails (say, the
/// kernel is short of memory) is skipped.
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
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        // A netlink dump filtered to one port is answered at once from kernel memory; it does
        // not wait on the network, so it runs here rather than on a blocking thread.
        match probe.accept_queue(address, since) {
            Ok(Some(now)) if last != Some(now) => {
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
            Ok(_) => {}
            Err(KernelError::Unavailable) => return not_watching(&KernelError::Unavailable),
            Err(error) => tracing::debug!(%error, "accept queue sample skipped"),
        }
    }
}

fn not_watching(error: &KernelError) {
    tracing::info!(%error, "not watching the accept queue");
}

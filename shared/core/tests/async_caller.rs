//! The library called from inside an async program (a `#[tokio::main]`, or a single-threaded
//! tokio runtime): shutting a server down and dropping the [`serversocket::Runtime`] there.
//! Dropping the Runtime panicked ("Cannot drop a runtime in a context where blocking is not
//! allowed"), and `shutdown` returned false at once without waiting.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use test_support::sockets as common;

use common::{PATIENCE, is_closed};

/// Inside a multi-threaded runtime, as `#[tokio::main]` makes: `shutdown` waits for the
/// connection's close (its Closed is in the channel when it returns), and the Runtime drops.
#[test]
fn inside_a_multi_threaded_async_runtime_shutdown_waits_and_the_runtime_drops() {
    let callers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    callers.block_on(async {
        let (runtime, server, mut watch, _peer, _socket) = common::serving_one();
        assert!(server.shutdown(PATIENCE), "every task ended");
        // Its Closed was sent before shutdown returned: it waits in the channel.
        watch.drain();
        assert_eq!(watch.count(|e| is_closed(e, 0)), 1, "{:#?}", watch.seen);
        drop(runtime);
    });
}

/// Inside a single-threaded runtime nothing may block: `shutdown` says at once whether
/// everything had ended, and the Runtime drops without waiting, and without a panic.
#[test]
fn inside_a_single_threaded_async_runtime_the_runtime_drops_without_a_panic() {
    let callers = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    callers.block_on(async {
        let (runtime, server, mut watch, _peer, _socket) = common::serving_one();
        // Whether the tasks ended in the meantime is a race; that it returns is the point.
        let _ = server.shutdown(PATIENCE);
        watch.until("closed", |e| is_closed(e, 0));
        drop(runtime);
    });
}

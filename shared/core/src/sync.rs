//! The crate's one way to take a lock.
//!
//! Every shared structure here (a socket's status, the pool's lists) is updated in one step
//! under its lock, so a panic elsewhere cannot leave it half-written: poisoning carries no
//! information and is ignored rather than turned into a second panic.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, ignoring poisoning (see the module's note).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

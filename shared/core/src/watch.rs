//! What the core asks of the kernel while it runs (through `serversocket_kernel`): the
//! listener's accept queue, sampled while listening, and the connections a window follows.
//! Both run on the runtime and report what changed as events.

mod accept_queue;
mod connections;

pub(crate) use accept_queue::watch_accept_queue;
pub use connections::{CONNECTION_SAMPLE_EVERY, ConnectionWatch, LOOKUPS_UP_TO, NUMBERS_EVERY};

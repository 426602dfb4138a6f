//! The egui pieces both windows use, written once: the event log and its view, the socket
//! rows and their table, state colours, and draining the event channel within a frame budget.
//!
//! # Layout
//! - [`drain`]: take events from the channel without ever blocking a frame.
//! - [`repaint`]: an event channel whose waker repaints the window.
//! - [`native`]: how the windows open: size, position, icon.
//! - [`diagnostics`]: the library's tracing on the terminal, and its level switch.
//! - [`log`]: [`EventLog`], every event as the seed's line, and [`LogView`], its virtualized view.
//! - [`shortcuts`]: the keyboard shortcuts.
//! - [`rows`]: [`SocketRows`], what each socket is doing, kept up to date from events.
//! - [`table`]: the socket table with per-row Send and Close.
//! - [`kernel_view`]: a socket's TCP state as the kernel reports it, in its row.
//! - [`state`]: colours and plain words for socket states.
//! - [`timeline`]: [`Timeline`], the live plot of levels, rates and the user's actions.
//! - [`sequence`]: one socket's events in order, with times, when it is selected.

#![forbid(unsafe_code)]

pub mod diagnostics;
pub mod drain;
pub mod kernel_view;
pub mod log;
pub mod native;
pub mod repaint;
pub mod rows;
pub mod sequence;
pub mod shortcuts;
pub mod state;
pub mod table;
pub mod timeline;

pub use drain::drain_events;
pub use log::{EventLog, LogView};
pub use repaint::RepaintOnEvent;
pub use rows::{SocketRow, SocketRows};
pub use state::RowState;
pub use table::{RowAction, socket_table_ui};
pub use timeline::Timeline;

//! What both apps share beyond the library, written once: the egui pieces of the windows (the
//! event log and its view, the socket rows and their table, state colours, draining the event
//! channel within a frame budget).
//!
//! # Layout
//! - [`drain`]: take events from the channel without ever blocking a frame.
//! - [`repaint`]: an event channel whose waker repaints the window.
//! - [`native`]: how the windows open: size, position, icon.
//! - [`settings_store`]: what a window remembers between runs, kept as a private file.
//! - [`other_window`]: the button (and F6) that brings the other window to the front.
//! - [`diagnostics`]: the switch for how much the library traces on the terminal.
//! - [`shell`]: one app shell for both windows: lessons, the other window, saving, opening.
//! - [`log`]: [`EventLog`], every event as the seed's line, and [`LogView`], its virtualized view.
//! - [`log_entry`]: [`log_entry::LogEntry`], one line of the log (the log and the sequence read it).
//! - [`copy`]: Copy buttons: the system clipboard, and "Copied N lines" beside them.
//! - [`field`]: a labelled field with its tooltip, the unit of every settings row.
//! - [`file_dialog`]: the system's Save as dialog, on a thread of its own.
//! - [`replace_guard`]: asks before an Export replaces a file the window did not write.
//! - [`log_to_file`]: the log written to a file as it happens (text or NDJSON, rotated).
//! - [`shortcuts`]: the keyboard shortcuts.
//! - [`rows`]: [`SocketRows`], what each socket is doing, kept up to date from events.
//! - [`table`]: the socket table: the essential columns and Close.
//! - [`details`]: the selected socket's details pane: addresses, kernel view, error, Send.
//! - [`stream_view`]: [`stream_view::StreamView`], writes and reads as segments on two lanes.
//! - [`stream_lanes`]: the Stream view's lanes: the segments since the last Clear, drawn.
//! - [`kernel_view`]: a socket's TCP state as the kernel reports it, in its row.
//! - [`state`]: colours and plain words for socket states.
//! - [`theme`]: the shared palette, status chips, spacing, light/dark and focus.
//! - [`timeline`]: [`Timeline`], the live plot of levels, rates and the user's actions.
//! - [`sequence`]: one socket's events in order, with times, when it is selected.
//! - [`packets`]: [`packets::Packets`], a window's capture: its segments taken each frame,
//!   tied to the sockets, kept bounded, exported as pcapng.
//! - [`packets_view`]: the Packets view, the selected connection's segments as a sequence
//!   diagram with the socket's events on the same time axis.
//! - [`send_box`]: [`SendBox`], what to write to a socket: text or hex, repeats, history.
//! - [`lesson_panel`]: the Lessons panel: a guided lab's steps, questions and report.
//! - [`tls_concepts`]: the TLS concepts both concepts panels explain.
//! - [`concepts_window`]: the floating Concepts window both apps open.

#![forbid(unsafe_code)]

pub mod concepts_window;
pub mod copy;
pub mod details;
pub mod diagnostics;
pub mod drain;
pub mod field;
pub mod file_dialog;
pub mod kernel_view;
pub mod lesson_panel;
pub mod log;
pub mod log_entry;
pub mod log_to_file;
pub mod native;
pub mod other_window;
pub mod packets;
pub mod packets_view;
pub mod repaint;
pub mod replace_guard;
pub mod rows;
pub mod send_box;
pub mod sequence;
pub mod settings_store;
pub mod shell;
pub mod shortcuts;
pub mod state;
pub mod stream_lanes;
pub mod stream_view;
pub mod table;
pub mod theme;
pub mod timeline;
pub mod tls_concepts;

pub use details::details_ui;
pub use drain::{drain_events, fell_behind_ui};
pub use log::{EventLog, LogView, log_panel, main_view};
pub use repaint::RepaintOnEvent;
pub use rows::{SocketRow, SocketRows};
pub use send_box::{SendAction, SendBox, SendRequest};
pub use state::RowState;
pub use table::{RowAction, socket_table_ui};
pub use timeline::Timeline;

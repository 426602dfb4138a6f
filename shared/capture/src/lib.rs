//! The TCP segments between a server and its clients, captured from the kernel on real
//! traffic: what moves between the two ends (the SYN, the SYN-ACK, the RST a refused client
//! gets, each side's FIN, a SYN sent again), tied to the sockets the rest of the project shows.
//!
//! A capture reads a Linux packet socket (AF_PACKET through `socket2`, no system library),
//! filtered in the kernel to the server's port, on a thread of its own; it needs CAP_NET_RAW,
//! and says in one line how to grant it when it is missing ([`CaptureError::NotPermitted`]).
//! Elsewhere it is [`CaptureError::NotAvailable`]. The socket core knows nothing of it
//! (`cargo tree -e normal -p serversocket`): the apps start a capture beside their sockets.
//!
//! # Layout
//! - [`capture`]: [`Capture`], the thread that reads, parses and hands segments on through a
//!   bounded channel (drops counted, never a wait).
//! - [`capture_file`]: [`CaptureFile`], the pcapng file a person names, with this program's
//!   segments.
//! - `packet_socket`: the packet socket itself (Linux), each packet with the kernel's time.
//! - [`filter`]: the kernel's classic BPF program for `tcp port N`, which also drops
//!   loopback's second copy of every segment.
//! - [`segment`]: [`Segment`], one TCP segment parsed with `etherparse`: flags, numbers,
//!   length, window, a SYN's options.
//! - [`conversation`]: [`Conversations`], segments as one program sees them ([`Seen`]):
//!   direction, relative numbers, tied to their socket by the four ends.
//! - [`rings`]: [`Rings`], the segments kept for a window, bounded per connection and in all.
//! - [`pcapng`]: the pcapng file Wireshark and `tshark` open.
//! - [`error`]: [`CaptureError`], and the command that grants the capability.

#![forbid(unsafe_code)]

pub mod capture;
pub mod capture_file;
pub mod conversation;
pub mod error;
pub mod filter;
#[cfg(target_os = "linux")]
mod packet_socket;
pub mod pcapng;
pub mod rings;
pub mod segment;

pub use capture::Capture;
pub use capture_file::CaptureFile;
pub use conversation::{Conversations, Direction, End, Seen, Tally};
pub use error::{CaptureError, grant_command};
pub use rings::Rings;
pub use segment::{Flags, SNAP_LEN, Segment, SynOptions};

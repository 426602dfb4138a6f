//! What both apps (the server's window and the client's) share that is not egui: settings as a
//! person types them, how a server's pooled sockets answer, what a client socket sends on its
//! own, the stream lab, and how a headless program starts and stops.
//!
//! # Layout
//! - [`typed`]: a port or a host as a person types it, checked one way for the command lines
//!   and the windows.
//! - [`file_to_send`]: a file to send, checked for what it is and bounded before it is read.
//! - [`reply`]: how a server's pooled sockets answer (greeting, echo, silent, fixed, rules).
//! - [`script`]: what a client socket sends on its own (hello, repeats, a file, the reply).
//! - [`stream_lab`]: one loopback connection whose writes and reads are reported in place.
//! - [`shutdown`]: when a headless program stops (Ctrl-C, SIGTERM, its reader gone).
//! - [`program`]: how both programs begin (open files, arguments, diagnostics) and end.
//! - [`version`]: what `--version` says (the version and the commit).
//! - [`manual`]: the `man` and `completions SHELL` subcommands, from the clap definitions.
//! - [`launch`]: starts the other program when its window is asked for and it is not running.
//! - [`diagnostics`]: the library's tracing on the terminal, and its level switch.
//! - [`headless`]: what both headless programs set up first: runtime, printer, stop signal.
//! - [`capture`]: `--capture` and `--capture-file`: the segments of a headless program's
//!   connections, as `segment` lines and a pcapng file.

#![forbid(unsafe_code)]

pub mod capture;
pub mod diagnostics;
pub mod file_to_send;
pub mod headless;
pub mod launch;
pub mod manual;
pub mod program;
pub mod reply;
pub mod script;
pub mod shutdown;
pub mod stream_lab;
pub mod typed;
pub mod version;

pub use serversocket_files::say;
pub use typed::{BindAddress, parse_bind_address, parse_host, parse_port, parse_remote_port};

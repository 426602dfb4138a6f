//! Files and descriptors, handled so that nothing another user of the machine wrote is trusted
//! and nothing a person names can hang or exhaust a program: below the socket core, which
//! keeps its TLS key in a private folder, reads certificates with a bound and checks its
//! limits against the open-files limit.
//!
//! # Layout
//! - [`private_files`]: folders and files only this user can touch (a private key, a log, a
//!   lesson's shared state), never written through a link another user planted.
//! - [`settings_file`]: a window's settings file, kept as a private file and read only if it
//!   is a regular file of ours of a sane size.
//! - [`bounded_file`]: a file a person names, read only if regular and only up to a size.
//! - [`open_files`]: the open-files limit every connection counts against, raised at start.
//! - [`stderr`]: [`say!`], a line on standard error that never panics.
//! - [`shell_word`]: a path as one word of a command a message suggests.

#![forbid(unsafe_code)]

pub mod bounded_file;
pub mod open_files;
pub mod private_files;
pub mod settings_file;
pub mod shell_word;
pub mod stderr;

//! Every way starting a capture can fail, as one typed error: not permitted (with the command
//! that grants it), not available on this system, or a system call that failed.

use std::io;

/// Why a capture could not start (or its file could not be written).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Capturing needs CAP_NET_RAW, which this process lacks (it is not root and its program
    /// file was not granted the capability). Everything else runs as before.
    #[error(
        "capturing packets needs the CAP_NET_RAW capability; grant it once with: {grant_command}"
    )]
    NotPermitted {
        /// The exact command that grants it to the program, as a person types it.
        grant_command: String,
    },
    /// This system has no packet socket (it is not Linux).
    #[error("capturing packets is not available here: {reason}")]
    NotAvailable {
        /// Why, in a few words.
        reason: &'static str,
    },
    /// The packet socket or its filter could not be set up.
    #[error("the packet socket: {0}")]
    Socket(#[source] io::Error),
    /// The capture thread could not start.
    #[error("the capture thread cannot start: {0}")]
    Thread(#[source] io::Error),
    /// The pcapng file could not be created or written.
    #[error("the capture file {path}: {source}")]
    File {
        /// The file, as named.
        path: String,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

impl CaptureError {
    /// The error a failed packet socket gives `program` (`server-app`): NotPermitted, naming
    /// the command that grants the capability to the program on the `PATH`, for a permission
    /// error; the system's error otherwise.
    #[must_use]
    pub fn from_socket(error: io::Error, program: &str) -> Self {
        if error.kind() == io::ErrorKind::PermissionDenied {
            CaptureError::NotPermitted {
                grant_command: grant_command(program),
            }
        } else {
            CaptureError::Socket(error)
        }
    }
}

/// The one command that lets `program` capture without being root: the capabilities on its
/// file (CAP_NET_ADMIN besides CAP_NET_RAW, as the issue and Wireshark's dumpcap grant them).
/// The file is this very program's, named by its path, whatever its name: `$(command -v
/// program)` named nothing for a program run from a folder not on PATH (an unpacked build),
/// and another file than this one for a renamed copy.
#[must_use]
pub fn grant_command(program: &str) -> String {
    let file = std::env::current_exe().ok().map_or_else(
        || format!("$(command -v {program})"),
        |path| serversocket_files::shell_word::shell_word(&path),
    );
    format!("sudo setcap cap_net_raw,cap_net_admin=eip {file}")
}

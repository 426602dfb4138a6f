//! The examples' command line: `[HOST] PORT` in that order, each with a default, and a clear
//! error for a port that is not one instead of a silent fall-back to the default.

use serversocket::SocketError;

/// The argument at `position` (1 is the first after the program's name), if given.
pub fn argument(position: usize) -> Option<String> {
    std::env::args().nth(position)
}

/// The port at `position`, or `default` when none is given.
pub fn port(position: usize, default: u16) -> Result<u16, SocketError> {
    argument(position).map_or(Ok(default), |text| {
        text.parse().map_err(|_| SocketError::InvalidSetting {
            field: "port",
            reason: format!("{text:?} is not a number from 0 to 65535"),
        })
    })
}

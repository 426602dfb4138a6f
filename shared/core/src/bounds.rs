//! The upper bounds of every count a person can set, checked one way for the command lines and
//! the windows, so both refuse the same values with the same words.
//!
//! A count is bounded twice: by a fixed ceiling past which the program would only burn CPU and
//! memory (a pool of 100 million idle sockets, 100,000 connects started at once), and by the
//! process's open-files limit (`ulimit -n`), since every connected socket holds a file
//! descriptor: a Max above it can never be reached and only ends in "too many open files".

use crate::SocketError;
use serversocket_files::open_files::{self, OpenFiles};

/// The most idle sockets the pool may keep ready: each is made (AddSocket) before the first
/// client is served, so a huge pool delays everyone.
pub const MINIMUM_SOCKETS_AVAILABLE_CEILING: usize = 1000;
/// The most connections a server may be set to hold at once.
pub const MAXIMUM_SOCKETS_CONNECTED_CEILING: usize = 50_000;
/// The most sockets the client may open (each stays open while connected).
pub const CONNECT_CEILING: u64 = 10_000;
/// The most connects the client may have under way at once.
pub const IN_FLIGHT_CEILING: usize = 1000;
/// How many connects the client has under way at once unless told otherwise: the rest start
/// as these finish, so `--connect 10000` does not ask the OS for 10,000 sockets at one instant.
pub const DEFAULT_IN_FLIGHT: usize = 100;

/// A count a person can set, with its name as the windows show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Count {
    /// The server's MinimumSocketsAvailable (`--min`).
    MinimumSocketsAvailable,
    /// The server's MaximumSocketsConnected (`--max`).
    MaximumSocketsConnected,
    /// How many sockets the client opens (`--connect`, Connect ×N).
    Connect,
    /// How many of the client's connects may be under way at once (`--in-flight`).
    InFlight,
}

impl Count {
    /// The setting's name in errors and windows.
    #[must_use]
    pub fn field(self) -> &'static str {
        match self {
            Self::MinimumSocketsAvailable => "MinimumSocketsAvailable",
            Self::MaximumSocketsConnected => "MaximumSocketsConnected",
            Self::Connect => "sockets to connect",
            Self::InFlight => "connects in flight",
        }
    }

    /// The smallest value allowed.
    fn floor(self) -> u64 {
        match self {
            Self::MinimumSocketsAvailable => 0,
            Self::MaximumSocketsConnected | Self::Connect | Self::InFlight => 1,
        }
    }

    /// The fixed ceiling, and why it is there.
    fn ceiling(self) -> (u64, &'static str) {
        match self {
            Self::MinimumSocketsAvailable => (
                MINIMUM_SOCKETS_AVAILABLE_CEILING as u64,
                "every idle socket is made before the first client is served",
            ),
            Self::MaximumSocketsConnected => (
                MAXIMUM_SOCKETS_CONNECTED_CEILING as u64,
                "the most this server is built to hold at once",
            ),
            Self::Connect => (CONNECT_CEILING, "the most this client opens"),
            Self::InFlight => (
                IN_FLIGHT_CEILING as u64,
                "the most connects under way at once",
            ),
        }
    }

    /// Checks `value` against the floor, the ceiling and (for counts of open sockets) the
    /// open-files limit.
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] naming the setting and the limit it passed.
    pub fn check(self, value: u64) -> Result<u64, SocketError> {
        self.check_with(value, open_files::current())
    }

    /// [`Count::check`] with the open-files limits given (`None`: unknown, not checked).
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] naming the setting and the limit it passed.
    pub fn check_with(self, value: u64, open_files: Option<OpenFiles>) -> Result<u64, SocketError> {
        let refuse = |reason: String| SocketError::InvalidSetting {
            field: self.field(),
            reason,
        };
        let floor = self.floor();
        if value < floor {
            return Err(refuse(match self {
                Self::MaximumSocketsConnected => {
                    "must be at least 1, or no client could ever be served".to_owned()
                }
                Self::Connect => "must be at least 1, or there is nothing to do".to_owned(),
                _ => format!("must be at least {floor}"),
            }));
        }
        let (ceiling, why) = self.ceiling();
        if value > ceiling {
            return Err(refuse(format!("{value} is more than {ceiling} ({why})")));
        }
        // Connects in flight are among the client's sockets, which `Connect` already counts:
        // `--connect 10 --in-flight 1000` holds 10 descriptors, not 1,000.
        let holds_descriptors = matches!(self, Self::MaximumSocketsConnected | Self::Connect);
        if let Some(words) = open_files
            .filter(|_| holds_descriptors)
            .and_then(|limits| open_files::too_low(value, limits))
        {
            return Err(refuse(words));
        }
        Ok(value)
    }

    /// Parses a count as typed on a command line, then [`Count::check`]s it.
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] when it is not a whole number or out of bounds.
    pub fn parse(self, text: &str) -> Result<u64, SocketError> {
        let trimmed = text.trim();
        let refuse = |reason: String| SocketError::InvalidSetting {
            field: self.field(),
            reason,
        };
        let value = trimmed.parse::<u64>().map_err(|_| {
            // More digits than any count holds: more than the most, as a smaller excess is.
            if !trimmed.is_empty() && trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
                let (ceiling, why) = self.ceiling();
                refuse(format!("{trimmed} is more than {ceiling} ({why})"))
            } else {
                refuse(format!("\"{trimmed}\" is not a whole number"))
            }
        })?;
        self.check(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_digits_than_a_count_holds_is_more_than_the_most() {
        let words = Count::MaximumSocketsConnected
            .parse("99999999999999999999")
            .expect_err("too many")
            .to_string();
        assert!(
            words.contains("99999999999999999999 is more than "),
            "{words}"
        );
        let words = Count::Connect
            .parse("12a")
            .expect_err("not a number")
            .to_string();
        assert!(words.contains("\"12a\" is not a whole number"), "{words}");
    }

    #[test]
    fn counts_out_of_bounds_are_refused_naming_the_setting_and_the_limit() {
        let too_many = Count::MinimumSocketsAvailable
            .check_with(100_000_000, None)
            .expect_err("above the ceiling");
        assert_eq!(too_many.code(), 106);
        let words = too_many.to_string();
        assert!(words.starts_with("MinimumSocketsAvailable: "), "{words}");
        assert!(words.contains("1000"), "{words}");

        let limits = OpenFiles {
            soft: Some(1024),
            hard: Some(1024),
        };
        let past_descriptors = Count::MaximumSocketsConnected
            .check_with(5000, Some(limits))
            .expect_err("above the open-files limit");
        let words = past_descriptors.to_string();
        assert!(words.contains("open-files limit is 1024"), "{words}");
        // The program's own descriptors count too: 1,000 connections fit under 1,024, 1,001
        // do not.
        assert_eq!(
            Count::MaximumSocketsConnected.check_with(1000, Some(limits)),
            Ok(1000)
        );
        assert!(
            Count::MaximumSocketsConnected
                .check_with(1001, Some(limits))
                .is_err()
        );

        let nothing = Count::Connect.check_with(0, None).expect_err("zero");
        assert!(nothing.to_string().contains("at least 1"), "{nothing}");
        assert_eq!(Count::MinimumSocketsAvailable.check_with(0, None), Ok(0));
        assert!(Count::InFlight.parse("x").is_err());
        // In flight is bounded by Connect's descriptors, not on its own.
        let tight = OpenFiles {
            soft: Some(100),
            hard: Some(100),
        };
        assert_eq!(Count::InFlight.check_with(1000, Some(tight)), Ok(1000));
    }
}

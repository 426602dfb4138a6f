//! MinimumSocketsAvailable and MaximumSocketsConnected: the pool's two limits, checked together
//! and against their bounds, and read by the listener at every accept.

use crate::SocketError;
use crate::bounds::Count;
use serversocket_files::open_files::{self, OpenFiles};

/// MinimumSocketsAvailable unless set (the seed's example uses 2).
pub const DEFAULT_MINIMUM_SOCKETS_AVAILABLE: usize = 2;
/// MaximumSocketsConnected unless set (Xojo's default since 2017r2).
pub const DEFAULT_MAXIMUM_SOCKETS_CONNECTED: usize = 10;

/// MinimumSocketsAvailable and MaximumSocketsConnected, checked together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Idle sockets the pool keeps ready (AddSocket fires to refill it).
    pub min: usize,
    /// Most sockets connected at once; at the cap the listener stops accepting.
    pub max: usize,
}

impl Limits {
    /// Checks the pair, and each against its bounds ([`crate::bounds`]: 1 <= Max <= 50,000 and
    /// the open-files limit, Min <= 1,000).
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] naming the field that is out of range.
    pub fn new(min: usize, max: usize) -> Result<Self, SocketError> {
        Self::new_with(min, max, open_files::current())
    }

    /// [`Limits::new`] with the open-files limits given (`None`: not checked, as for a lesson
    /// file, whose Max is the same whichever machine reads it).
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] naming the field that is out of range.
    pub fn new_with(
        min: usize,
        max: usize,
        open_files: Option<OpenFiles>,
    ) -> Result<Self, SocketError> {
        Count::MaximumSocketsConnected.check_with(max as u64, open_files)?;
        Count::MinimumSocketsAvailable.check_with(min as u64, open_files)?;
        if min > max {
            return Err(SocketError::InvalidSetting {
                field: "MinimumSocketsAvailable",
                reason: format!(
                    "{min} is more than MaximumSocketsConnected ({max}): the pool would hold idle sockets that could never connect"
                ),
            });
        }
        Ok(Self { min, max })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min: DEFAULT_MINIMUM_SOCKETS_AVAILABLE,
            max: DEFAULT_MAXIMUM_SOCKETS_CONNECTED,
        }
    }
}

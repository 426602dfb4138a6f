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
        Self { min, max }.with_min_under(min, open_files)
    }

    /// These limits with MinimumSocketsAvailable `min`, checked against its bounds and Max.
    /// Max is not checked again: a Min setter would otherwise blame a Max its caller never set
    /// (the default 10 against a small open-files limit). Listen checks it
    /// ([`Self::check_open_files`]).
    pub(crate) fn with_min(self, min: usize) -> Result<Self, SocketError> {
        self.with_min_under(min, open_files::current())
    }

    /// [`Self::with_min`] with the open-files limits given.
    fn with_min_under(
        self,
        min: usize,
        open_files: Option<OpenFiles>,
    ) -> Result<Self, SocketError> {
        Count::MinimumSocketsAvailable.check_with(min as u64, open_files)?;
        let max = self.max;
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

    /// Checks Max against the open-files limit as it is at Listen: the default Max was never
    /// checked, and the limit may have been lowered since Max was set. Listen with a Max that
    /// could never be reached fails as setting it would have.
    ///
    /// # Errors
    /// [`SocketError::InvalidSetting`] for MaximumSocketsConnected, saying when it is the
    /// default.
    pub(crate) fn check_open_files(self) -> Result<(), SocketError> {
        match Count::MaximumSocketsConnected.check(self.max as u64) {
            Ok(_) => Ok(()),
            Err(SocketError::InvalidSetting { field, reason })
                if self.max == DEFAULT_MAXIMUM_SOCKETS_CONNECTED =>
            {
                Err(SocketError::InvalidSetting {
                    field,
                    reason: format!(
                        "{} is its default, kept when none is set, and {reason}",
                        self.max
                    ),
                })
            }
            Err(error) => Err(error),
        }
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

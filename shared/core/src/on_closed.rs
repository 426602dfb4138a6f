//! What a connection does once it is closed, before its Closed is sent: it leaves its server's
//! list (ActiveConnections) and, for a pool, tells the listener a slot is free.
//!
//! A value rather than a boxed closure: a box was one more allocation for every connection.
//! The list and the pool are reached through the two traits here, so that the connection's
//! task knows neither the registry nor the pool (each of which knows the connection).

use std::sync::Arc;

use crate::SocketId;

/// A server's list of connected sockets, which a socket leaves when it closes.
pub(crate) trait ConnectedList: Send + Sync {
    /// Takes `id` out of the list.
    fn forget(&self, id: SocketId);
}

/// A listener that may wait for a connection to close (a pool at MaximumSocketsConnected, or
/// after a failed accept).
pub(crate) trait WaitsForRoom: Send + Sync {
    /// A connection closed: wakes the listener if it waits.
    fn room_freed(&self);
}

/// What runs once a socket is closed.
pub(crate) struct OnClosed {
    /// The list to leave, and the socket's id in it; `None` for a client socket.
    listed: Option<(Arc<dyn ConnectedList>, SocketId)>,
    /// The pool whose listener may be waiting for a connection to close; `None` for a client
    /// or a naive server.
    pool: Option<Arc<dyn WaitsForRoom>>,
}

impl OnClosed {
    /// For a socket no server lists (a client's).
    pub(crate) fn nothing() -> Self {
        Self {
            listed: None,
            pool: None,
        }
    }

    /// For socket `id` of a server's `list`, and of `pool` when a pool accepted it.
    pub(crate) fn listed(
        list: Arc<dyn ConnectedList>,
        id: SocketId,
        pool: Option<Arc<dyn WaitsForRoom>>,
    ) -> Self {
        Self {
            listed: Some((list, id)),
            pool,
        }
    }

    /// The socket is closed: forgets it, then wakes the pool's listener if it waits for room.
    pub(crate) fn run(self) {
        if let Some((list, id)) = self.listed {
            list.forget(id);
        }
        if let Some(pool) = self.pool {
            pool.room_freed();
        }
    }
}

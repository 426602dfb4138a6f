//! A socket's handler, guarded: a panic in one of its methods ends that socket (an Error that
//! says so, then Closed, its MaximumSocketsConnected slot freed), never the task that runs it
//! and never the server.
//!
//! Without the guard a panicking handler ended its task before `closed` ran: the socket stayed
//! in ActiveConnections, held its slot for ever and still showed as connected, with no Error
//! and no Closed. After a panic the handler is not called again: its state may be half
//! changed, and the socket is closing anyway.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::{Socket, SocketError, SocketHandler};

/// A handler whose every method runs inside `catch_unwind`.
pub(crate) struct Guarded {
    /// The application's handler.
    handler: Box<dyn SocketHandler>,
    /// One of its methods panicked: it is not called again.
    panicked: bool,
}

impl Guarded {
    pub(crate) fn new(handler: Box<dyn SocketHandler>) -> Self {
        Self {
            handler,
            panicked: false,
        }
    }

    /// Runs `method` of the handler unless it panicked before; a panic now is reported on the
    /// socket's next turn (as a refused write is) and closes the socket. `otherwise` is what
    /// the method returns when it does not run.
    fn call<T>(
        &mut self,
        socket: &mut Socket,
        otherwise: T,
        method: impl FnOnce(&mut dyn SocketHandler, &mut Socket) -> T,
    ) -> T {
        if self.panicked {
            return otherwise;
        }
        let handler = &mut *self.handler;
        match catch_unwind(AssertUnwindSafe(|| method(handler, socket))) {
            Ok(value) => value,
            Err(payload) => {
                self.panicked = true;
                let message = panic_message(&*payload);
                tracing::error!(socket = socket.id().0, %message, "the socket's handler panicked");
                socket.fail(SocketError::Panicked {
                    what: "the socket's handler",
                    message,
                });
                socket.close();
                otherwise
            }
        }
    }
}

impl SocketHandler for Guarded {
    fn connected(&mut self, socket: &mut Socket) {
        self.call(socket, (), SocketHandler::connected);
    }

    fn data_available(&mut self, socket: &mut Socket) {
        self.call(socket, (), SocketHandler::data_available);
    }

    fn end_of_file(&mut self, socket: &mut Socket) {
        self.call(socket, (), SocketHandler::end_of_file);
    }

    fn send_progress(&mut self, socket: &mut Socket, bytes_sent: u64, bytes_left: u64) -> bool {
        self.call(socket, false, |handler, socket| {
            handler.send_progress(socket, bytes_sent, bytes_left)
        })
    }

    fn send_complete(&mut self, socket: &mut Socket, user_aborted: bool) {
        self.call(socket, (), |handler, socket| {
            handler.send_complete(socket, user_aborted);
        });
    }

    fn error(&mut self, socket: &mut Socket, error: &SocketError) {
        self.call(socket, (), |handler, socket| handler.error(socket, error));
    }

    fn closed(&mut self, socket: &mut Socket) {
        self.call(socket, (), SocketHandler::closed);
    }
}

/// The words a panic was raised with (`panic!("…")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}

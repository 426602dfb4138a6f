//! What a connection's task tells its caller outside the serving loop's own events: refused
//! writes and a handler's panic (Error, and the handler's `error`), a finished or failed TLS
//! handshake, and the failures still unreported when the socket ends.

use std::sync::Mutex;

use crate::guarded::Guarded;
use crate::on_closed::OnClosed;
use crate::status::{SocketState, SocketStatus};
use crate::sync::lock;
use crate::tls::TlsInfo;
use crate::{Event, EventSender, Socket, SocketError, SocketHandler};

/// Fires Error for each write refused since the last look (by a handler, or a caller's write
/// that reached a closing socket), after setting LastErrorCode where the caller reads it.
/// A write refused inside the handler's own `error` is reported on the next turn.
pub(super) async fn report_failed_writes(
    socket: &mut Socket,
    handler: &mut dyn SocketHandler,
    events: &EventSender,
    status: &Mutex<SocketStatus>,
) {
    for error in socket.take_failed_writes() {
        lock(status).last_error_code = Some(error.code());
        events
            .send(Event::Error {
                socket: Some(socket.id()),
                error: error.clone(),
            })
            .await;
        handler.error(socket, &error);
    }
}

/// Reports a finished handshake: the socket shows what it agreed on, and Secured is sent.
pub(super) async fn secured_event(
    status: &Mutex<SocketStatus>,
    events: &EventSender,
    socket: crate::SocketId,
    tls: TlsInfo,
) {
    tracing::debug!(socket = socket.0, protocol = %tls.protocol, "secured");
    lock(status).tls = Some(tls.clone());
    events.send(Event::Secured { socket, tls }).await;
}

/// A handshake that failed (`Some`) or was cut short by shutdown (`None`): the socket never
/// came up. Error (if any) and Closed, after the handler's `error` and `closed`, as for a
/// client's failed connect; the pool forgets the socket and goes on serving.
pub(super) async fn never_secured(
    id: crate::SocketId,
    mut handler: Guarded,
    events: &EventSender,
    status: &Mutex<SocketStatus>,
    on_closed: OnClosed,
    error: Option<SocketError>,
) {
    let mut socket = Socket::new(id);
    {
        let mut status = lock(status);
        status.state = SocketState::Closed;
        if let Some(error) = &error {
            status.last_error_code = Some(error.code());
        }
    }
    on_closed.run();
    let mut parcel = Vec::new();
    if let Some(error) = error {
        tracing::info!(socket = id.0, %error, "handshake failed");
        socket.set_error(&error);
        handler.error(&mut socket, &error);
        parcel.push(Event::Error {
            socket: Some(id),
            error,
        });
    }
    handler.closed(&mut socket);
    // A panic of the handler's `error` or `closed`, said before the end.
    parcel.extend(unreported(&mut socket));
    parcel.push(Event::Closed { socket: id });
    events.send_all(parcel).await;
}

/// The socket's failures not reported yet (writes refused, a panic of its handler) as Error
/// events, for the parcel that ends with Closed.
pub(crate) fn unreported(socket: &mut Socket) -> impl Iterator<Item = Event> + use<> {
    let id = socket.id();
    socket
        .take_failed_writes()
        .into_iter()
        .map(move |error| Event::Error {
            socket: Some(id),
            error,
        })
}

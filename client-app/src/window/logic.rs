//! The client window's logic: the events it takes each frame (into the state, the timeline and
//! the lesson), and what its buttons ask of the sockets.

use std::time::{Duration, Instant};

use serversocket::seed::Replier;
use serversocket::tls::TlsProblem;
use serversocket::{Event, SocketError};
use serversocket_ui::{RowState, drain_events};

use super::state::Connect;
use super::{CONNECTED, CONNECTING, CONNECTS, ClientWindow, FAILED};

impl ClientWindow {
    /// Takes what the sockets reported since the last frame, and starts the queued connects
    /// that may start now.
    pub fn take_events(&mut self, ctx: &egui::Context) {
        self.repaint.attach(ctx);
        self.packets.take_for(&mut self.shell.lessons);
        let mut unknown_ca = false;
        let mut secured = false;
        let taken = drain_events(&mut self.receiver, ctx, |event, happened| {
            let now = happened.instant;
            secured |= matches!(&event, Event::Secured { .. });
            unknown_ca |= matches!(
                &event,
                Event::Error {
                    error: SocketError::Tls {
                        problem: TlsProblem::UnknownCa,
                        ..
                    },
                    ..
                }
            );
            // A socket a fresh start (Start, Reset, a step's Close all) forgot can still report
            // what was on its way as it closed: not the new run's.
            if !event.socket().is_some_and(|id| self.client.rows.forgot(id)) {
                self.shell.lessons.observe(&event, happened.at);
            }
            self.packets.follow(&event);
            let logged = self.settings.logs(&event);
            let applied = self.client.apply(event, logged, happened.at);
            if applied.connected {
                self.timeline.count(CONNECTS, now);
            }
            // Refused, unknown host, timed out, or cut off before being served.
            if applied.failed {
                self.timeline.count(FAILED, now);
            }
        });
        if unknown_ca {
            self.offer_to_trust();
        } else if secured {
            // A handshake that succeeded (a pin, a CA file, or "accept any") answers the
            // offer: left up, it said the certificate was not trusted beside a secure socket.
            self.trust_offer = None;
        }
        if taken == 0 {
            return;
        }
        self.client.start_queued();
        let now = Instant::now();
        let connecting = self.client.rows.count(RowState::Connecting) as f64;
        self.timeline.set(CONNECTING, now, connecting);
        let connected = self.client.rows.count(RowState::Connected) as f64;
        self.timeline.set(CONNECTED, now, connected);
    }

    /// A connect failed on a certificate of an unknown CA: offer to pin the certificate the
    /// server presented (once; the offer stays until the learner trusts or dismisses it).
    fn offer_to_trust(&mut self) {
        if self.trust_offer.is_some() {
            return;
        }
        let Ok((host, _)) = self.settings.validated() else {
            return;
        };
        self.trust_offer = Some(super::trust_offer::TrustOffer::new(
            self.tls.refused_certificate(&host),
        ));
    }

    /// Adds `count` sockets and connects each with the settings as they are now, as the
    /// seed's Connect button does; at most the "at once" setting connect at a time.
    pub(super) fn connect(&mut self, count: usize) {
        let Ok((host, port)) = self.settings.validated() else {
            return;
        };
        let Ok(in_flight) = self.settings.validated_in_flight() else {
            return;
        };
        // The TLS row says why its settings cannot be used.
        let Ok(tls) = self.tls.client_tls() else {
            return;
        };
        if count > 1 {
            self.timeline
                .mark(Instant::now(), format!("Connect ×{count}"));
        }
        // Capturing another port than the one connected to now: capture this one instead.
        if self.packets_window.view.capture && self.packets.port() != port {
            self.packets
                .start(port, None, "client-app", self.repaint.waker());
            self.packets.tie_existing(&self.client.sockets);
        }
        let connect = Connect {
            host,
            port,
            behaviour: Replier::new(self.settings.say_hello, self.settings.reply),
            timeout: Duration::from_secs(self.settings.timeout_seconds),
            in_flight,
            tls,
        };
        self.client.connect(&connect, count);
    }

    /// Capture packets switched on (of the server's port, as the settings name it) or off.
    pub(super) fn switch_capture(&mut self, on: bool) {
        if !on {
            self.packets.stop();
            return;
        }
        if let Ok((_, port)) = self.settings.validated() {
            self.packets
                .start(port, None, "client-app", self.repaint.waker());
            self.packets.tie_existing(&self.client.sockets);
        }
    }

    /// Sends a file through every connected socket (or `to`), repainting when a send fails.
    pub(super) fn send_file(
        &mut self,
        ctx: &egui::Context,
        path: &std::path::Path,
        to: Option<serversocket::SocketId>,
    ) {
        let ctx = ctx.clone();
        self.send_box.file_problem = self
            .client
            .send_file(path, to, move || ctx.request_repaint())
            .err();
    }
}

//! The server window's logic: the events it takes each frame (into the state, the timeline,
//! the pipeline and the lesson), and what its settings and buttons ask of the server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serversocket::Event;
use serversocket_ui::drain::Happened;
use serversocket_ui::{RowState, drain_events};

use super::state::idle_timeout;
use super::{ACCEPT_QUEUE, ACCEPTS, CONNECTED, IDLE, LISTENER_OPEN, ServerWindow};

impl ServerWindow {
    /// Takes what the sockets reported since the last frame.
    pub fn take_events(&mut self, ctx: &egui::Context) {
        self.repaint.attach(ctx);
        self.packets.take_for(&mut self.shell.lessons);
        let mut taken = Vec::new();
        drain_events(&mut self.receiver, ctx, |event, happened| {
            taken.push((event, happened));
        });
        if taken.is_empty() {
            return;
        }
        for (event, happened) in taken {
            self.record_event(event, happened);
        }
        let now = Instant::now();
        let rows = &self.server.rows;
        self.timeline
            .set(IDLE, now, rows.count(RowState::Idle) as f64);
        self.timeline
            .set(CONNECTED, now, rows.count(RowState::Connected) as f64);
    }

    /// Shows an event that `happened` in the log, the rows and tiles, and the status line. The
    /// window calls it for everything the server reports; benchmarks call it to fill the
    /// window.
    pub fn record_event(&mut self, event: Event, happened: Happened) {
        let now = happened.instant;
        match &event {
            Event::Listening { .. } | Event::ListenerReopened { .. } => {
                self.timeline.set(LISTENER_OPEN, now, 1.0);
            }
            Event::Stopped | Event::ListenerClosed => self.timeline.set(LISTENER_OPEN, now, 0.0),
            Event::Connected { .. } => self.timeline.count(ACCEPTS, now),
            Event::LimitsChanged { min, max } => {
                self.timeline.mark(now, format!("Min {min} / Max {max}"));
            }
            Event::AcceptQueue {
                waiting, overflows, ..
            } => {
                self.timeline.set(ACCEPT_QUEUE, now, f64::from(*waiting));
                let before = self.server.kernel.queue().map_or(0, |q| q.overflows);
                // The kernel counts drops of every listener of the machine, not this one's
                // alone: the mark says so, as the log's line does ("system-wide").
                if *overflows > before {
                    self.timeline.mark(
                        now,
                        format!("{} dropped system-wide (overflow)", overflows - before),
                    );
                }
            }
            _ => {}
        }
        self.pipeline.record(
            &event,
            Duration::from_millis(self.settings.handoff_delay_ms),
            happened.instant,
        );
        // A socket a lesson's fresh start forgot can still report what was on its way as it
        // closed (its error, the kernel's TIME_WAIT): not the new run's.
        if !event.socket().is_some_and(|id| self.server.rows.forgot(id)) {
            self.shell.lessons.observe(&event, happened.at);
        }
        self.packets.follow(&event);
        self.server.apply(event, happened);
    }

    /// Applies the settings and starts listening; a failure shows in the status line and log.
    pub(super) fn listen(&mut self) {
        let Ok((interface, port)) = self.settings.validated() else {
            return;
        };
        // The reply row says why its mode cannot be used (Listen is off meanwhile).
        if self.server.reply_problem.is_some() {
            return;
        }
        self.server.forget_last_listen();
        let mode = if self.settings.naive {
            "Listen (naive)"
        } else {
            "Listen"
        };
        self.timeline.mark(Instant::now(), mode);
        let started = if self.settings.naive {
            self.server.listen_naive(
                SocketAddr::new(interface, port),
                Duration::from_millis(self.settings.relisten_delay_ms),
            )
        } else {
            // The TLS row says why a certificate cannot be used.
            let Ok(tls) = self.tls.certificate() else {
                return;
            };
            self.server
                .listen_pool(&self.settings, (interface, port), tls)
        };
        match started {
            Ok(address) if self.packets_view.capture => {
                self.packets.start(
                    address.port(),
                    Some(address.ip()),
                    "server-app",
                    self.repaint.waker(),
                );
            }
            Ok(_) => {}
            // Returned, not sent as an event: shown (log, status line, lessons) as the event
            // would be, once.
            Err(error) => self.record_event(
                Event::Error {
                    socket: None,
                    error,
                },
                Happened::now(),
            ),
        }
    }

    /// Capture packets switched on (of the port listened on, or to be listened on) or off.
    pub(super) fn switch_capture(&mut self, on: bool) {
        if !on {
            self.packets.stop();
            return;
        }
        let address = self
            .server
            .socket
            .pool_status()
            .listening
            .map(|address| (address.ip(), address.port()))
            .or_else(|| self.settings.validated().ok());
        if let Some((ip, port)) = address.filter(|(_, port)| *port != 0) {
            self.packets
                .start(port, Some(ip), "server-app", self.repaint.waker());
            self.packets
                .tie_existing(&self.server.socket.active_connections());
        }
    }

    /// Stops listening, and marks it on the timeline.
    pub(super) fn stop_listening(&mut self) {
        self.server.stop_listening();
        self.timeline.mark(Instant::now(), "Stop Listening");
    }

    /// Min or Max changed: applied at once, even while listening. A pair the pool refuses is
    /// applied as far as each field can be on its own, and each field's mistake is said: with
    /// Max 0 and then Min 30, only Max's showed, and Min waited for Max to be mended.
    pub(super) fn apply_limits(&mut self) {
        let (min, max) = (self.settings.min, self.settings.max);
        let socket = &self.server.socket;
        if socket.set_limits(min, max).is_ok() {
            self.settings.limits_errors.clear();
            return;
        }
        let max_set = socket.set_maximum_sockets_connected(max);
        let min_set = socket.set_minimum_sockets_available(min);
        // A Max below the Min in force is taken once the new Min is.
        let max_set = match max_set {
            Err(_) if min_set.is_ok() => socket.set_maximum_sockets_connected(max),
            other => other,
        };
        self.settings.limits_errors = [max_set, min_set]
            .into_iter()
            .filter_map(|set| set.err().map(|error| error.to_string()))
            .collect();
    }

    /// What the settings rows changed, applied at once.
    pub(super) fn apply_settings(&mut self, changes: super::settings::Changes) {
        if changes.limits {
            self.apply_limits();
        }
        if changes.slow_motion {
            self.server
                .socket
                .set_handoff_delay(Duration::from_millis(self.settings.handoff_delay_ms));
        }
        if changes.idle_timeout {
            self.server
                .socket
                .set_idle_timeout(idle_timeout(self.settings.idle_timeout_seconds));
        }
    }
}

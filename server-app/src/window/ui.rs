//! How the server window draws a frame: the settings and status chips at the top, the Listen
//! button, the pipeline, the view under it (tiles, timeline or kernel queue), the active
//! connections and the log; the concepts float over them.

use std::time::Instant;

use serversocket_ui::lesson_panel::mark;
use serversocket_ui::packets_view::Selected;
use serversocket_ui::shell::AppWindow;
use serversocket_ui::{RowAction, RowState, shortcuts, socket_table_ui};

use super::state::Serving;
use super::{
    ServerWindow, concepts, kernel_view, pipeline, pool_view, status, tls_concepts, views,
};

/// What the empty log says.
const NOTHING_LOGGED_YET: &str = "Nothing yet: click Listen, then connect a client (the client window's Connect, or `client-app --headless`).";

impl ServerWindow {
    /// Draws one frame: the settings and status chips at the top, then the pipeline, the
    /// tiles, the timeline, the table and the log; the concepts float over them.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.take_events(ui.ctx());
        self.shell.tick(ui.ctx());
        egui::Panel::top("settings").show(ui, |ui| {
            ui.add_space(4.0);
            // The buttons on top, the settings under them, the chips last: settings fold and
            // chips come and go as the server works, and neither may move a button the
            // learner aims at.
            ui.horizontal_wrapped(|ui| {
                let enter_pressed = self.enter_pressed_once();
                self.listen_button_ui(ui, enter_pressed);
                ui.toggle_value(&mut self.settings.show_concepts, "Concepts")
                    .on_hover_text(
                        "Plain explanations of each part, pointing at what is on screen now",
                    );
                self.stream.toggle_ui(ui);
                self.shell.lessons_toggle_ui(ui);
                self.shell.other.button_ui(ui);
                self.shell.developer_ui(ui);
                if self.server.is_listening() {
                    ui.toggle_value(&mut self.all_settings, "All settings").on_hover_text(
                        "While listening the settings keep to their first row (Min, Max, slow motion, idle timeout, and TLS's fingerprint when TLS is on); this shows the mode, backlog, greeting and reply too",
                    );
                }
            });
            self.settings_ui(ui);
            // Whole chips move to the next line on a narrow screen, as in the client window: a
            // row scrolled sideways cut its last chip in two, and its scroll bar, drawn over
            // the chips on hover, hid their lower half and their tooltips.
            ui.horizontal_wrapped(|ui| self.chips_ui(ui));
            ui.add_space(4.0);
        });
        self.stream.show(ui.ctx(), &self.server.runtime);
        self.lessons_ui(ui);
        self.concepts_ui(ui.ctx(), ui.available_rect_before_wrap());
        let log = &mut self.server.log;
        serversocket_ui::log_panel(ui, |ui| self.log_view.ui(ui, log, NOTHING_LOGGED_YET));
        serversocket_ui::main_view(ui, "server main", |ui| self.main_ui(ui));
    }

    /// The pipeline, the view under it (tiles, timeline or kernel queue) and the table.
    fn main_ui(&mut self, ui: &mut egui::Ui) {
        let status = self.server.socket.pool_status();
        let counts = pipeline::Counts {
            queue: self.server.kernel.queue(),
            listener: self.listener_state(),
            limits: (!self.naive_view()).then_some((status.limits.min, status.limits.max)),
            rows: &self.server.rows,
            selected: self.log_view.socket_filter,
            lit: self.lit,
            packets: self.packets.is_capturing().then_some(&self.packets),
        };
        if let Some(socket) = self.pipeline.ui(ui, &counts) {
            self.log_view.toggle_socket(socket);
        }
        // The naive socket has no cap to draw.
        let max = counts.limits.map(|(_, max)| max);
        let (rows, waiting) = (&self.server.rows, self.server.waiting.as_slice());
        views::tabs_ui(
            ui,
            &mut self.view,
            max.is_none(),
            self.pipeline.slow_mut(),
            |ui| {
                pool_view::summary_ui(ui, rows, waiting, max);
            },
        );
        match self.view {
            views::View::Tiles => {
                let top = ui.cursor().min;
                let clicked =
                    pool_view::tiles_ui(ui, &self.server.rows, self.server.waiting.as_slice());
                // What a lesson points at when it says "the pool".
                let tiles = ui.interact(
                    egui::Rect::from_min_max(
                        top,
                        egui::pos2(ui.max_rect().right(), ui.cursor().min.y),
                    ),
                    egui::Id::unique("pool tiles outline"),
                    egui::Sense::hover(),
                );
                mark(ui, "pool", &tiles);
                if let Some(socket) = clicked {
                    self.log_view.toggle_socket(socket);
                }
            }
            views::View::Timeline => self.timeline.contents_ui(ui, Instant::now()),
            views::View::Kernel => kernel_view::ui(ui, &self.server.kernel, &self.server.socket),
            views::View::Packets => {
                let events: Vec<_> = self.log_view.sequence().events().collect();
                let selected = Selected {
                    packets: &self.packets,
                    end: serversocket_capture::End::Server,
                    socket: self.log_view.socket_filter,
                    events: &events,
                };
                if let Some(on) = self.packets_view.ui(ui, selected) {
                    self.switch_capture(on);
                }
            }
        }
        ui.separator();
        self.connections_ui(ui);
    }

    /// The settings rows; what changed is applied at once.
    fn settings_ui(&mut self, ui: &mut egui::Ui) {
        let listening = self.server.is_listening();
        let folded = listening && !self.all_settings;
        let changes = self.settings.ui(ui, listening, folded, &self.interfaces);
        self.enter_pressed = changes.enter_pressed;
        self.apply_settings(changes);
        // Folded, the reply row stays only with TLS on (it shows the certificate's
        // fingerprint, which the learner copies into the client while the server listens)
        // or with a mistake in it: new sockets keep the last good mode, and the row says so.
        if folded && !self.tls.enabled && self.server.reply_problem.is_none() {
            return;
        }
        // TLS at the end of the reply row: one row less, so the log keeps its room.
        let tls = &mut self.tls;
        let reply_changed =
            self.settings
                .reply
                .ui(ui, self.server.reply_problem.as_deref(), |ui| {
                    tls.ui(ui, listening);
                });
        if changes.greeting || reply_changed {
            self.server.set_reply(&self.settings);
        }
    }

    /// Enter was pressed in the port field this frame (read once).
    fn enter_pressed_once(&mut self) -> bool {
        std::mem::take(&mut self.enter_pressed)
    }

    /// Whether the window shows naive mode: its socket runs, or it is chosen for the next
    /// Listen (then the pool's Min and Max mean nothing and are not shown).
    fn naive_view(&self) -> bool {
        match self.server.serving {
            Serving::Naive(_) => true,
            Serving::Pool => self.settings.naive && !self.server.socket.is_listening(),
        }
    }

    /// The status chips of whichever server runs, and the last listener error.
    fn chips_ui(&self, ui: &mut egui::Ui) {
        if self.naive_view() {
            status::naive_chips_ui(
                ui,
                status::NaiveStatus {
                    relisten_delay_ms: self.settings.relisten_delay_ms,
                    accepted: self.server.naive_accepted(),
                    gaps: self.server.listener_gaps,
                },
            );
        } else {
            status::pool_chips_ui(
                ui,
                &self.server.socket.pool_status(),
                self.server.accepted,
                &self.server.rows,
                self.server.kernel.queue(),
            );
        }
        if let Some(error) = &self.server.listener_error {
            status::error_chip_ui(ui, error);
        }
        serversocket_ui::fell_behind_ui(ui, &self.receiver);
    }

    /// Whether the listener takes connections now, for the pipeline.
    fn listener_state(&self) -> pipeline::ListenerState {
        let open = match self.server.serving {
            Serving::Pool => self.server.socket.is_listening(),
            Serving::Naive(_) if self.server.closed_since.is_some() => {
                return pipeline::ListenerState::Gap;
            }
            Serving::Naive(_) => true,
        };
        if !open {
            pipeline::ListenerState::Closed
        } else if self.server.socket.is_accepting_paused()
            && matches!(self.server.serving, Serving::Pool)
        {
            pipeline::ListenerState::Paused
        } else {
            pipeline::ListenerState::Open
        }
    }

    /// The concepts, floating over the right of the window so the main view keeps its width;
    /// the stage of the concept open lights up in the pipeline.
    fn concepts_ui(&mut self, ctx: &egui::Context, over: egui::Rect) {
        self.lit = None;
        if !self.settings.show_concepts {
            return;
        }
        let status = self.server.socket.pool_status();
        let live = concepts::Live {
            status: &status,
            rows: &self.server.rows,
            naive_accepted: self.server.naive_accepted(),
            waiting: self.server.waiting.as_slice(),
            handoff_delay_ms: self.settings.handoff_delay_ms,
            port: self.settings.validated().ok().map(|(_, port)| port),
            accept_queue: self.server.kernel.queue(),
            kernel_unavailable: self.server.kernel.unavailable(),
            paused: self.server.socket.is_accepting_paused(),
            packets: &self.packets,
        };
        let tls = self.server.socket.tls();
        let mut open = true;
        let mut lit = None;
        serversocket_ui::concepts_window::concepts_window(ctx, &mut open, over).show(ctx, |ui| {
            let more = |ui: &mut egui::Ui| {
                tls_concepts::ui(
                    ui,
                    &tls_concepts::Live {
                        tls: tls.as_deref(),
                        rows: &self.server.rows,
                    },
                );
            };
            lit = concepts::ui(ui, &live, more).and_then(pipeline::Stage::of_concept);
        });
        self.lit = lit;
        self.settings.show_concepts = open;
    }

    /// The seed's Listen button (Stop Listening while listening).
    fn listen_button_ui(&mut self, ui: &mut egui::Ui, enter_pressed: bool) {
        let listen = (&shortcuts::LISTEN, "listen");
        let stop_what = match self.server.serving {
            Serving::Naive(_) => Some("Close the naive listening socket"),
            Serving::Pool if self.server.socket.is_listening() => Some(
                "Close the listening socket and release the idle pool; connected sockets stay connected",
            ),
            Serving::Pool => None,
        };
        if let Some(what) = stop_what {
            let stop = shortcuts::steady_action_button(
                ui,
                "Stop Listening",
                "Stop Listening",
                true,
                what,
                listen,
            );
            if stop.clicked() || shortcuts::pressed(ui, &shortcuts::LISTEN) {
                // The naive socket: dropping it stops its listener and closes its connections.
                self.stop_listening();
            }
        } else {
            // A reply mode that cannot be used (Rules with no good rule) would listen with the
            // last good one, the greeting, while the row said Rules: the row says why instead.
            // Nor Min and Max the pool refused (Max 0): Listen said Error 106 in the log, where
            // a bad port turns Listen off and says why beside it, as this does.
            let ready = self.settings.validated().is_ok()
                && self.server.reply_problem.is_none()
                && (self.settings.naive || self.settings.limits_errors.is_empty());
            let what = "Open the listening socket on the port; AddSocket fills the pool with MinimumSocketsAvailable idle sockets";
            let clicked = shortcuts::steady_action_button(
                ui,
                "Listen",
                "Stop Listening",
                ready,
                what,
                listen,
            )
            .clicked();
            let shortcut = shortcuts::pressed(ui, &shortcuts::LISTEN);
            if clicked || ((enter_pressed || shortcut) && ready) {
                self.listen();
            }
        }
    }

    /// The active connections, with Disconnect per row (Send is in the selected socket's
    /// details), and Disconnect all.
    fn connections_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let heading = ui.strong("Active connections").on_hover_text(
                "ActiveConnections: the sockets now connected, and closed ones whose connection \
                 the kernel still keeps (TIME_WAIT when this side closed first), until it forgets it",
            );
            mark(ui, "table", &heading);
            let disconnect_all = ui
                .button("Disconnect all")
                .on_hover_text("Close every connected socket");
            mark(ui, "table", &disconnect_all);
            if disconnect_all.clicked() {
                self.server.close_all();
            }
        });
        // The connected first, then the closed the kernel still keeps, each in the order
        // they came: after Disconnect all, the closed rows filled the view and the sockets
        // then serving were below them, out of sight.
        let mut rows: Vec<_> = self
            .server
            .rows
            .iter_mut()
            .filter(|row| shows_in_active_connections(row))
            .collect();
        rows.sort_by_key(|row| row.state != RowState::Connected);
        let actions = socket_table_ui(
            ui,
            rows.into_iter(),
            "Disconnect",
            self.log_view.socket_filter,
        );
        for action in actions {
            match action {
                RowAction::Send(id, bytes) => self.server.write(id, bytes),
                RowAction::Close(id) => {
                    if let Some(socket) = self.server.connection(id) {
                        socket.close();
                    }
                }
                RowAction::Select(id) => self.log_view.toggle_socket(id),
            }
        }
    }
}

/// A row of the Active connections table: a connected socket, or a closed one whose connection
/// the kernel still keeps (TIME_WAIT, LAST_ACK …): the learner sees which side holds TIME_WAIT,
/// and the row leaves when the kernel forgets the connection.
fn shows_in_active_connections(row: &serversocket_ui::SocketRow) -> bool {
    match row.state {
        RowState::Connected => true,
        RowState::Closed | RowState::Failed => row.kernel.is_some(),
        _ => false,
    }
}

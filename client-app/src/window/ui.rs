//! How the client window draws a frame: the settings and TLS rows, Connect and Connect ×N with
//! the sockets' chips, the timeline, the socket array with its send box and file progress, and
//! the log; the concepts and the Stream view float over them.

use std::time::Instant;

use serversocket::TcpSocket;
use serversocket_ui::lesson_panel::mark;
use serversocket_ui::packets_view::Selected;
use serversocket_ui::shell::AppWindow;
use serversocket_ui::theme;
use serversocket_ui::{RowAction, RowState, SendAction, shortcuts, socket_table_ui};

use super::state::FileProgress;
use super::{ClientWindow, concepts};

/// What the empty log says: true whether or not the server listens yet, which this window
/// does not know (it said "start the server" to a learner whose server listened).
const NOTHING_LOGGED_YET: &str =
    "Nothing yet: click Connect here once the server listens (Listen, in the server window).";

impl ClientWindow {
    /// Draws one frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.shell.tick(ui.ctx());
        self.take_events(ui.ctx());
        egui::Panel::top("connect").show(ui, |ui| {
            ui.add_space(4.0);
            // The buttons on the top row, as the server's Listen, so that nothing drawn above
            // them can move them: under the settings, ticking TLS opened its fields and
            // moved Connect a line down, under the pointer.
            ui.horizontal_wrapped(|ui| {
                self.connect_buttons_ui(ui);
                self.shell.developer_ui(ui);
                let stream = self.stream.toggle_ui(ui);
                mark(ui, "stream", &stream);
                self.packets_window.toggle_ui(ui);
                ui.toggle_value(&mut self.concepts_open, "Concepts")
                    .on_hover_text("Plain explanations: connect, SYN_SENT, refused or reset, TIME_WAIT, ephemeral ports");
                self.shell.lessons_toggle_ui(ui);
                self.shell.other.button_ui(ui);
            });
            let enter_pressed = self.settings.ui(ui);
            if enter_pressed && self.settings.validated().is_ok() {
                self.connect(1);
            }
            self.tls.ui(ui);
            // The chips last, as in the server window: they change width as sockets connect.
            ui.horizontal_wrapped(|ui| self.chips_ui(ui));
            ui.add_space(4.0);
        });
        self.stream.show(ui.ctx(), &self.client.runtime);
        let events: Vec<_> = self.log_view.sequence().events().collect();
        let selected = Selected {
            packets: &self.packets,
            end: serversocket_capture::End::Client,
            socket: self.log_view.socket_filter,
            events: &events,
        };
        if let Some(on) = self.packets_window.show(ui.ctx(), selected) {
            self.switch_capture(on);
        }
        // After the Stream view took its news, so a step it ends shows in this frame.
        self.stream_to_lesson();
        self.lessons_ui(ui);
        concepts::window_ui(
            ui.ctx(),
            &mut self.concepts_open,
            ui.available_rect_before_wrap(),
            &self.client.rows,
            &self.tls,
            &self.packets,
        );
        let log = &mut self.client.log;
        serversocket_ui::log_panel(ui, |ui| self.log_view.ui(ui, log, NOTHING_LOGGED_YET));
        self.send_panel_ui(ui);
        serversocket_ui::main_view(ui, "client main", |ui| {
            self.tls.problem_ui(ui);
            self.trust_offer_ui(ui);
            // The sockets first, the timeline under them: on a 600-high screen the table had
            // room for one row under the timeline's header during a lesson.
            self.sockets_ui(ui);
            ui.separator();
            self.timeline.ui(ui, Instant::now());
        });
    }

    /// The offer to trust the server's certificate, while there is one (above the sockets, so
    /// that it moves no control of the top rows).
    fn trust_offer_ui(&mut self, ui: &mut egui::Ui) {
        let Some(offer) = &self.trust_offer else {
            return;
        };
        match offer.ui(ui) {
            Some(super::trust_offer::Choice::Trust(fingerprint)) => {
                self.tls.pin_certificate(fingerprint);
                self.trust_offer = None;
            }
            Some(super::trust_offer::Choice::Dismiss) => self.trust_offer = None,
            None => {}
        }
        ui.separator();
    }

    /// The sockets' counts as chips, each one phrase that never wraps in the middle.
    fn chips_ui(&self, ui: &mut egui::Ui) {
        let rows = &self.client.rows;
        for (count, state, words, tip) in [
            (
                // A secure socket's TLS handshake is part of its connecting; one whose hello
                // waits in the server's accept queue is counted there.
                rows.count(RowState::Connecting) + rows.count(RowState::Handshaking)
                    - rows.in_accept_queue_while(RowState::Handshaking),
                RowState::Connecting,
                "connecting",
                "Looking up the host and waiting for the handshake (the kernel's SYN_SENT), then the TLS handshake of a secure socket",
            ),
            (
                rows.count(RowState::Connected) - rows.in_accept_queue_while(RowState::Connected),
                RowState::Connected,
                "connected",
                "Connected and accepted by the server: they can send and receive",
            ),
            (
                rows.count(RowState::Closed),
                RowState::Closed,
                "closed",
                "Closed after being connected",
            ),
        ] {
            theme::chip(ui, format!("{count} {words}"), state.color(), tip);
        }
        // Counted as the rows show them: connected in the client's kernel, not yet accepted.
        let waiting = rows.in_accept_queue();
        if waiting > 0 {
            theme::chip(
                ui,
                format!("{waiting} in accept queue"),
                serversocket_ui::kernel_view::IN_ACCEPT_QUEUE_COLOR,
                serversocket_ui::kernel_view::IN_ACCEPT_QUEUE_TIP,
            );
        }
        theme::chip(
            ui,
            format!("{} failed", rows.count(RowState::Failed)),
            RowState::Failed.color(),
            "Never served: refused, unknown host, timed out, or cut off before the server sent anything",
        );
        theme::chip(
            ui,
            format!("{} refused", rows.refused()),
            RowState::Failed.color(),
            "Refused: nothing listened when the socket connected (the server's kernel answered with a reset)",
        );
        theme::chip(
            ui,
            format!("{} dropped unserved", rows.dropped_unserved()),
            RowState::Failed.color(),
            "The connection was made, then cut before the server sent anything (it waited in the backlog of a listener that closed)",
        );
        serversocket_ui::fell_behind_ui(ui, &self.receiver);
    }

    /// Connect and Connect ×N.
    fn connect_buttons_ui(&mut self, ui: &mut egui::Ui) {
        let ready = self.settings.validated().is_ok();
        // The more specific shortcut first: Ctrl+N alone would also match Ctrl+Shift+N.
        let burst_shortcut = shortcuts::pressed(ui, &shortcuts::CONNECT_BURST);
        let connect_shortcut = shortcuts::pressed(ui, &shortcuts::CONNECT);
        let what = "Add the next socket to the array and connect it to the address and port";
        let connect = (&shortcuts::CONNECT, "connect");
        let connect = shortcuts::action_button(ui, "Connect", ready, what, connect);
        if connect.clicked() || (connect_shortcut && ready) {
            self.connect(1);
        }
        let burst_ok = self.settings.validated_burst();
        let burst_ready = ready && burst_ok.is_ok();
        let what = "Open that many sockets at once: a burst of simultaneous connections";
        let text = format!("Connect ×{}", self.settings.burst);
        let burst = (&shortcuts::CONNECT_BURST, "burst");
        let burst =
            shortcuts::steady_action_button(ui, text, "Connect ×1000", burst_ready, what, burst);
        if burst.clicked() || (burst_shortcut && burst_ready) {
            self.connect(self.settings.burst);
        }
    }

    /// The socket array, with Close all and Remove closed.
    fn sockets_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Sockets");
            let close_all = ui.button("Close all").on_hover_text("Close every socket");
            mark(ui, "sockets", &close_all);
            if close_all.clicked() {
                self.client.sockets.iter().for_each(TcpSocket::close);
            }
            if ui
                .button("Remove closed")
                .on_hover_text("Take closed and failed sockets out of the list")
                .clicked()
            {
                self.client.remove_closed();
            }
        });
        let actions = socket_table_ui(
            ui,
            self.client.rows.iter_mut(),
            "Close",
            self.log_view.socket_filter,
        );
        for action in actions {
            match action {
                RowAction::Send(id, bytes) => self.client.write(id, bytes),
                RowAction::Close(id) => self.client.socket(id).iter().for_each(|s| s.close()),
                RowAction::Select(id) => self.log_view.toggle_socket(id),
            }
        }
    }

    /// The send box with its file's progress and its repeats, in a panel of its own above
    /// the log: always in view, however many sockets the rows above hold (under them, at
    /// half a 1366×768 screen six rows hid it, and at 800×600 three).
    fn send_panel_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("send").show(ui, |ui| {
            ui.add_space(4.0);
            self.send_ui(ui);
        });
    }

    /// What [`Self::send_panel_ui`] holds.
    fn send_ui(&mut self, ui: &mut egui::Ui) {
        let connected = self.client.rows.count(serversocket_ui::RowState::Connected);
        match self.send_box.ui(ui, self.log_view.socket_filter, connected) {
            Some(SendAction::Bytes(request)) => self.client.send(&request),
            Some(SendAction::File { path, to }) => self.send_file(&ui.ctx().clone(), &path, to),
            // Nothing asked, or an action this window does not offer.
            _ => {}
        }
        self.file_progress_ui(ui);
        self.repeats_ui(ui);
    }

    /// How far the repeated sends are, with Stop (a send ×100 every second ran on unseen,
    /// and only closing its socket stopped it).
    fn repeats_ui(&mut self, ui: &mut egui::Ui) {
        let Some((done, all, running)) = self.client.repeating() else {
            return;
        };
        ui.horizontal_wrapped(|ui| {
            let sockets = if running == 1 {
                "1 socket".to_owned()
            } else {
                format!("{running} sockets")
            };
            serversocket_ui::theme::phrase(
                ui,
                egui::RichText::new(format!("Repeating: {done} of {all} sent, to {sockets}")),
            );
            if ui
                .button("Stop repeating")
                .on_hover_text("Stop the repeated sends; what was sent stays sent")
                .clicked()
            {
                self.client.stop_repeats();
            }
        });
        // The count moves with each write, which sends no event here.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
    }

    /// A progress bar per file being sent, from the socket's counters (SendProgress).
    fn file_progress_ui(&mut self, ui: &mut egui::Ui) {
        self.client.take_file_errors();
        self.client.file_sends.retain(|send| {
            let FileProgress {
                sent,
                fraction,
                going,
            } = send.progress();
            ui.add(
                egui::ProgressBar::new(fraction)
                    .show_percentage()
                    .text(format!(
                        "Socket {}: {} {sent} of {} bytes",
                        send.socket.id(),
                        send.name,
                        send.total
                    )),
            );
            // Kept while going; a finished or abandoned send's bar goes with the next frame.
            going
        });
    }
}

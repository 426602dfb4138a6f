//! The Stream view: a loopback connection's writes and reads drawn as numbered segments on two
//! lanes, so a learner sees that TCP keeps the bytes and their order but not the writes'
//! boundaries. Controls: Nagle, read size, stop reading, and a framing that finds the messages
//! again. The connection itself is the library's [`StreamLab`].

use serversocket::{Runtime, Waker};
use serversocket_app::stream_lab::{Framing, LabEvent, MAX_READ_SIZE, Reassembler, StreamLab};
use serversocket_report::escapes::unescape;

use crate::stream_lanes::Lanes;

/// The Stream view's state.
#[derive(Debug)]
pub struct StreamView {
    /// The connection, once started.
    lab: Option<StreamLab>,
    /// The writes and reads since the last Clear.
    pub lanes: Lanes,
    /// What a click on Write sends (escapes allowed).
    pub message: String,
    /// How many writes one click makes.
    pub burst: u32,
    /// Nagle's algorithm on the sending side.
    pub nagle: bool,
    /// The receiving side reads.
    pub reading: bool,
    /// The most one read takes.
    pub read_size: usize,
    /// How messages are found in what was read.
    pub framing: Framing,
    /// The messages found.
    pub reassembler: Reassembler,
    /// Why the lab stopped, if it did.
    problem: Option<String>,
    /// The kernel's queues as last sampled: (the receiver's unread Recv-Q, the sender's
    /// unacknowledged Send-Q), in bytes; `None` before any sample (reading never stopped, or no
    /// kernel view on this system).
    pub queues: Option<(u32, u32)>,
}

impl Default for StreamView {
    fn default() -> Self {
        Self {
            lab: None,
            lanes: Lanes::default(),
            message: r"hello\n".to_owned(),
            burst: 3,
            nagle: true,
            reading: true,
            read_size: MAX_READ_SIZE,
            framing: Framing::Lines,
            reassembler: Reassembler::new(Framing::Lines),
            problem: None,
            queues: None,
        }
    }
}

impl StreamView {
    /// Takes the lab's news.
    fn take_events(&mut self) {
        let Some(lab) = &self.lab else {
            return;
        };
        while let Some(event) = lab.try_recv() {
            match event {
                // The lanes number the segments since the last Clear, not the lab's numbers.
                LabEvent::Wrote { start, len, .. } => self.lanes.wrote(start, len),
                LabEvent::Read { start, data, .. } => {
                    let shown = self.lanes.read(start, &data);
                    self.reassembler.push(shown);
                }
                LabEvent::Queues {
                    receiver_unread,
                    sender_unacknowledged,
                } => self.queues = Some((receiver_unread, sender_unacknowledged)),
                LabEvent::Failed(problem) => self.problem = Some(problem),
                _ => {}
            }
        }
    }

    /// Draws the view; starts its connection on `runtime` the first time.
    pub fn ui(&mut self, ui: &mut egui::Ui, runtime: &Runtime) {
        if self.lab.is_none() {
            let ctx = ui.ctx().clone();
            let waker: Waker = std::sync::Arc::new(move || ctx.request_repaint());
            self.lab = Some(StreamLab::start(runtime, Some(waker)));
        }
        self.take_events();
        ui.label("TCP carries a stream of bytes, not messages: the receiver's reads need not match the sender's writes. Write a few times and compare the lanes.");
        self.controls_ui(ui);
        self.queues_ui(ui);
        self.lanes.ui(ui);
        self.messages_ui(ui);
        if let Some(problem) = &self.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        let Some(lab) = &self.lab else {
            return;
        };
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Message:");
            ui.add(egui::TextEdit::singleline(&mut self.message).desired_width(120.0))
                .labelled_by(label.id)
                .on_hover_text(r"Escapes: \r \n \t \\ \xNN");
            let payload = unescape(&self.message);
            let write = ui.add_enabled(
                payload.is_ok(),
                egui::Button::new(format!("Write ×{}", self.burst)),
            );
            if let (true, Ok(payload)) = (write.clicked(), &payload) {
                for _ in 0..self.burst {
                    let mut data = Vec::with_capacity(payload.len() + 4);
                    if self.framing == Framing::LengthPrefixed {
                        // The length the receiver's codec looks for, before each message.
                        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
                        data.extend_from_slice(&len.to_be_bytes());
                    }
                    data.extend_from_slice(payload);
                    lab.write(data);
                }
            }
            let count = ui.add(crate::field::count(&mut self.burst, 1..=20));
            let burst = f64::from(self.burst);
            // Named in words of its own: labelled by the Write button, the button would be
            // known only as this field's label.
            count.widget_info(|| {
                let mut info = egui::WidgetInfo::drag_value(true, burst);
                info.label = Some("Writes per click".to_owned());
                info
            });
            count.on_hover_text("How many separate writes one click makes");
            if ui
                .checkbox(&mut self.nagle, "Nagle")
                .on_hover_text("On: small writes may wait and go out together (TCP_NODELAY off)")
                .changed()
            {
                lab.set_nagle(self.nagle);
            }
            // The name and its field wrap together (at 800 px the field began the next row).
            if crate::field::explained(
                ui,
                "Read\u{a0}size:",
                "The most one read takes: small reads split a write into many",
                crate::field::count(&mut self.read_size, 1..=MAX_READ_SIZE),
            )
            .changed()
            {
                lab.set_read_size(self.read_size);
            }
            let mut stopped = !self.reading;
            if ui
                .checkbox(&mut stopped, "Stop reading")
                .on_hover_text("The receiver stops reading: bytes wait in its receive queue, and once that is full the sender waits too")
                .changed()
            {
                self.reading = !stopped;
                lab.set_reading(self.reading);
            }
        });
        ui.horizontal(|ui| {
            ui.label("Framing:");
            let before = self.framing;
            ui.radio_value(&mut self.framing, Framing::None, "None");
            ui.radio_value(&mut self.framing, Framing::Lines, "Lines")
                .on_hover_text("A message ends with \\n");
            ui.radio_value(
                &mut self.framing,
                Framing::LengthPrefixed,
                "Length-prefixed",
            )
            .on_hover_text("Each message is sent after its length in 4 bytes");
            if self.framing != before {
                // Messages are found from here on; what was read before is not re-read.
                self.reassembler = Reassembler::new(self.framing);
            }
            if ui.button("Clear").clicked() {
                self.lanes.clear();
                self.reassembler = Reassembler::new(self.framing);
            }
        });
    }

    /// While reading is stopped (and until the queues drain): what the kernel holds for the
    /// two ends, so "stop reading" shows where the bytes go and why the sender stalls.
    fn queues_ui(&self, ui: &mut egui::Ui) {
        match self.queues {
            Some((unread, unacknowledged)) if !self.reading || unread + unacknowledged > 0 => {
                ui.label(format!(
                    "Kernel: receiver's Recv-Q {unread} bytes unread, sender's Send-Q {unacknowledged} bytes unacknowledged"
                ))
                .on_hover_text("The receiver's kernel keeps what arrived until the program reads it (Recv-Q); once its window is full, the sender's kernel keeps what the program wrote (Send-Q); once that is full too, the sender's writes wait (no more segments on the write lane). `ss -tn` shows the same two numbers.");
            }
            None if !self.reading => {
                ui.weak(
                    "Kernel: looking at the queues… (not available on this system if this stays)",
                );
            }
            _ => {}
        }
    }

    fn messages_ui(&self, ui: &mut egui::Ui) {
        if self.framing == Framing::None {
            return;
        }
        let found = &self.reassembler;
        let unframed = match found.unframed() {
            0 => String::new(),
            bytes => format!("; {bytes} bytes read after framing stopped"),
        };
        ui.label(format!(
            "Messages found: {} ({} bytes waiting for the rest of a message{unframed})",
            found.messages.len(),
            found.pending()
        ));
        if let Some(problem) = &found.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem.to_string());
        }
        egui::ScrollArea::vertical()
            .id_salt("stream-messages")
            .max_height(100.0)
            .show(ui, |ui| {
                for (number, message) in found.messages.iter().enumerate() {
                    message_ui(ui, number + 1, message);
                }
            });
    }
}

/// One message found, numbered: one line, cut at the edge with the whole on hover. Wrapped,
/// a long message broke between its number, its quote and its text, and egui's own tooltip for
/// a cut label breaks the same way; this one breaks anywhere, as a message has no words to
/// keep whole.
fn message_ui(ui: &mut egui::Ui, number: usize, message: &str) {
    let line = format!("{number}: \"{message}\"");
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let colour = ui.visuals().text_color();
    let whole = ui
        .painter()
        .layout_no_wrap(line.clone(), font.clone(), colour);
    let cut = whole.size().x > ui.available_width();
    let response = ui.add(
        egui::Label::new(egui::RichText::new(line.clone()).monospace())
            .truncate()
            .show_tooltip_when_elided(false),
    );
    if cut {
        response.on_hover_ui(|ui| {
            let mut job = egui::text::LayoutJob::single_section(
                line,
                egui::TextFormat::simple(font, ui.visuals().text_color()),
            );
            job.wrap.break_anywhere = true;
            ui.add(egui::Label::new(job).wrap());
        });
    }
}

/// The Stream view in a window of its own, with the toggle that opens it: what both app
/// windows show, written once.
#[derive(Debug, Default)]
pub struct StreamWindow {
    /// The view and its connection (started the first time the window opens).
    pub view: StreamView,
    /// The window is open.
    pub open: bool,
}

impl StreamWindow {
    /// The "Stream" toggle, for a window's top bar.
    pub fn toggle_ui(&mut self, ui: &mut egui::Ui) -> egui::Response {
        ui.toggle_value(&mut self.open, "Stream").on_hover_text(
            "Why a message can arrive split or merged: writes and reads on one connection, side by side",
        )
    }

    /// The window, while it is open; its connection runs on `runtime`.
    pub fn show(&mut self, ctx: &egui::Context, runtime: &Runtime) {
        if self.open {
            let view = &mut self.view;
            // At most 60% of the window: beside the Lessons panel (a third of a half-screen
            // window) the panel stays in view.
            let width = (ctx.content_rect().width() * 0.6).min(600.0);
            egui::Window::new("Stream: writes and reads")
                .open(&mut self.open)
                .default_width(width)
                // Below the window's top rows: at egui's default spot it hid Listen, Concepts
                // and Lessons until dragged away.
                .default_pos([16.0, 160.0])
                .show(ctx, |ui| view.ui(ui, runtime));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message of 300 characters in a window 400 points wide: one line that begins with its
    /// number and the start of its text, cut at the edge (the whole shows on hover).
    #[test]
    fn a_long_message_is_one_line_with_its_number() {
        let mut view = StreamView::default();
        view.reassembler
            .push(format!("{}\n", "x".repeat(300)).as_bytes());
        let ctx = egui::Context::default();
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(400.0, 300.0),
            )),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| view.messages_ui(ui));
        // No renderer takes the font texture here.
        output.textures_delta.clear();
        let lines: Vec<_> = output
            .shapes
            .iter()
            .filter_map(|clipped| match &clipped.shape {
                egui::Shape::Text(text) if text.galley.text().starts_with("1: ") => {
                    Some(std::sync::Arc::clone(&text.galley))
                }
                _ => None,
            })
            .collect();
        assert_eq!(lines.len(), 1, "one text for the message");
        assert_eq!(lines[0].rows.len(), 1, "on one line");
        assert!(lines[0].elided, "cut at the edge");
        assert!(lines[0].rows[0].glyphs.len() > 10, "the text starts on it");
    }
}

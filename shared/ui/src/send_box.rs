//! The send box: what to write to a socket (or to every connected one), typed as text with
//! escapes or as hex, with a line ending, repeated every N ms up to a count, with a history.
//!
//! The box only says what to send; the window writes it through its socket handles, and the
//! repeats run on the socket runtime ([`serversocket_app::script::repeat`]), never on the UI thread.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use serversocket::SocketId;
use serversocket_report::escapes::{EscapeError, escape, parse_hex, unescape};

/// How many recent sends the history keeps (and the window remembers between runs).
pub const HISTORY: usize = 50;

/// The longest text the history keeps, in bytes: a pasted megabyte is sent, not remembered, so
/// the saved settings stay small.
pub const HISTORY_TEXT_LIMIT: usize = 4096;
/// The most characters a Recent button shows of its send (the hover shows it whole): a
/// pasted page made one button twenty lines high.
const RECENT_LABEL_CHARS: usize = 40;

/// A Recent button's words: the send's text, cut to [`RECENT_LABEL_CHARS`] with "…".
fn recent_label(text: &str) -> String {
    match text.char_indices().nth(RECENT_LABEL_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The most times one send repeats.
pub const MAX_REPEAT: u64 = 10_000;

/// What is added after the typed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LineEnding {
    /// Nothing.
    #[default]
    None,
    /// `\n`, as Unix protocols and most line-based test servers expect.
    Lf,
    /// `\r\n`, as HTTP, SMTP and Telnet expect.
    CrLf,
    /// `\r` alone.
    Cr,
}

impl LineEnding {
    fn bytes(self) -> &'static [u8] {
        match self {
            Self::None => b"",
            Self::Lf => b"\n",
            Self::CrLf => b"\r\n",
            Self::Cr => b"\r",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Lf => "\\n",
            Self::CrLf => "\\r\\n",
            Self::Cr => "\\r",
        }
    }
}

/// One send the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// The bytes, escapes and line ending applied.
    pub data: Vec<u8>,
    /// `None`: every connected socket; otherwise this one.
    pub to: Option<SocketId>,
    /// How many times in all (at least 1).
    pub times: u64,
    /// The pause between two sends.
    pub interval: Duration,
}

/// What the user asked the send box for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendAction {
    /// Write these bytes.
    Bytes(SendRequest),
    /// Send this file's bytes.
    File {
        /// The file.
        path: PathBuf,
        /// `None`: every connected socket; otherwise this one.
        to: Option<SocketId>,
    },
}

/// The send box's state.
#[derive(Debug, Clone)]
pub struct SendBox {
    /// As typed.
    pub text: String,
    /// The text is hex digits (`48 65 6c`) rather than text with escapes.
    pub hex: bool,
    /// Added after the bytes.
    pub ending: LineEnding,
    /// How many times in all.
    pub times: u64,
    /// The pause between two sends, in milliseconds.
    pub interval_ms: u64,
    /// Send to the selected socket only (otherwise to every connected one).
    pub to_selected: bool,
    /// Recent texts sent, newest first.
    pub history: VecDeque<String>,
    /// The file "Send file" sends.
    pub file: String,
    /// Why the last Send file could not start (the file's problem, shown under its row
    /// until the file is changed or sent).
    pub file_problem: Option<String>,
}

impl Default for SendBox {
    fn default() -> Self {
        Self {
            text: String::new(),
            hex: false,
            ending: LineEnding::None,
            times: 1,
            interval_ms: 1000,
            to_selected: false,
            history: VecDeque::new(),
            file: String::new(),
            file_problem: None,
        }
    }
}

impl SendBox {
    /// The bytes the box holds now.
    ///
    /// # Errors
    /// A bad escape, or a character that is not hex in hex mode.
    pub fn payload(&self) -> Result<Vec<u8>, EscapeError> {
        let mut data = if self.hex {
            parse_hex(&self.text)?
        } else {
            unescape(&self.text)?
        };
        data.extend_from_slice(self.ending.bytes());
        Ok(data)
    }

    /// Draws the box; returns a request when Send was clicked (or Enter pressed) and the input
    /// is good. `selected` is the socket the log is filtered on, if any; `connected`, how many
    /// sockets are connected (with none, the Send buttons are off and say why: a click did
    /// nothing, not even a log line). Its rows: the bytes, the file, a problem with either,
    /// the history.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        selected: Option<SocketId>,
        connected: usize,
    ) -> Option<SendAction> {
        const NOBODY: &str = "No socket is connected: click Connect first";
        let mut request = None;
        let payload = self.payload();
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Send:");
            let hint = if self.hex {
                "48 65 6c 6c 6f"
            } else {
                r"Hello\r\n or \x00\xff"
            };
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.text).hint_text(hint))
                .labelled_by(label.id)
                .on_hover_text(if self.hex {
                    "Hex digits, two per byte; spaces are ignored"
                } else {
                    r"Text; escapes: \r \n \t \\ \xNN"
                });
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.checkbox(&mut self.hex, "Hex")
                .on_hover_text("Type the bytes as hex digits");
            // Each name before its field and kept with it: "[none ▾] Line ending × 1" read as
            // if "× 1" were the line ending's, and "every" ended a line with "1000 ms" under it.
            crate::field::group(ui, 190.0, |ui| {
                let label = ui.label("Line ending:");
                egui::ComboBox::from_id_salt("line ending")
                    .selected_text(self.ending.name())
                    .show_ui(ui, |ui| {
                        for ending in [
                            LineEnding::None,
                            LineEnding::Lf,
                            LineEnding::CrLf,
                            LineEnding::Cr,
                        ] {
                            ui.selectable_value(&mut self.ending, ending, ending.name());
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_hover_text("Added after the bytes");
            });
            let times_width = if self.times > 1 { 230.0 } else { 100.0 };
            crate::field::group(ui, times_width, |ui| {
                let label = ui.label("Times:");
                ui.add(crate::field::count(&mut self.times, 1..=MAX_REPEAT))
                    .labelled_by(label.id)
                    .on_hover_text("How many times to send it");
                if self.times > 1 {
                    let label = ui.label("every");
                    ui.add(crate::field::number(
                        &mut self.interval_ms,
                        0..=60_000,
                        " ms",
                    ))
                    .labelled_by(label.id);
                }
            });
            ui.add_enabled(
                selected.is_some(),
                egui::Checkbox::new(&mut self.to_selected, "Selected socket only"),
            )
            .on_hover_text(
                "Click a socket's row to select it; otherwise every connected socket gets it",
            );
            let to = selected.filter(|_| self.to_selected);
            let target = to.map_or_else(
                || "every connected socket".to_owned(),
                |id| format!("socket {id}"),
            );
            let send = ui
                .add_enabled(
                    payload.is_ok() && connected > 0,
                    egui::Button::new("Send to sockets"),
                )
                .on_hover_text(format!("Write it to {target}"))
                .on_disabled_hover_text(if connected == 0 {
                    NOBODY
                } else {
                    "The text has a mistake: see below"
                });
            if let Ok(data) = &payload
                && connected > 0
                && (send.clicked() || enter)
            {
                request = Some(SendAction::Bytes(SendRequest {
                    data: data.clone(),
                    to,
                    times: self.times,
                    interval: Duration::from_millis(self.interval_ms),
                }));
                self.remember(data);
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label("File:");
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.file).hint_text("/path/to/file"))
                .labelled_by(label.id);
            if field.changed() {
                self.file_problem = None;
            }
            let send = ui
                .add_enabled(
                    !self.file.trim().is_empty() && connected > 0,
                    egui::Button::new("Send file"),
                )
                .on_hover_text("Send the file's bytes; the bar below shows SendProgress")
                .on_disabled_hover_text(if connected == 0 {
                    NOBODY
                } else {
                    "Name the file to send at the left"
                });
            if send.clicked() {
                request = Some(SendAction::File {
                    path: PathBuf::from(self.file.trim()),
                    to: selected.filter(|_| self.to_selected),
                });
            }
        });
        if let Err(problem) = &payload {
            ui.colored_label(ui.visuals().error_fg_color, problem.to_string());
        }
        if let Some(problem) = &self.file_problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        if !self.history.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label("Recent:");
                let mut chosen = None;
                for text in &self.history {
                    if ui
                        .small_button(recent_label(text))
                        .on_hover_text(format!(
                            "Put it back in the box, as these bytes (text with escapes, no line \
                             ending added): {text}"
                        ))
                        .clicked()
                    {
                        chosen = Some(text.clone());
                    }
                }
                if let Some(text) = chosen {
                    self.recall(text);
                }
            });
        }
        request
    }

    /// Puts a send of the history back in the box: its bytes as text with escapes, the line
    /// ending they hold already, so that Send sends them again byte for byte (a hex send
    /// recalled into text mode, or with another line ending, sent other bytes).
    pub fn recall(&mut self, text: String) {
        self.text = text;
        self.hex = false;
        self.ending = LineEnding::None;
    }

    /// Puts the bytes sent at the front of the history, once, as text with escapes that reads
    /// back as the same bytes however they were typed (unless it is too long to keep).
    fn remember(&mut self, sent: &[u8]) {
        let text = escape(sent);
        if text.len() > HISTORY_TEXT_LIMIT {
            return;
        }
        self.history.retain(|kept| *kept != text);
        self.history.push_front(text);
        self.history.truncate(HISTORY);
    }

    /// Takes a history remembered from an earlier run, newest first, within the bounds.
    pub fn restore_history(&mut self, remembered: impl IntoIterator<Item = String>) {
        self.history = remembered
            .into_iter()
            .filter(|text| text.len() <= HISTORY_TEXT_LIMIT)
            .take(HISTORY)
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_applies_escapes_or_hex_and_the_line_ending() {
        let mut send = SendBox {
            text: r"hi\x41".to_owned(),
            ending: LineEnding::CrLf,
            ..SendBox::default()
        };
        assert_eq!(send.payload().ok(), Some(b"hiA\r\n".to_vec()));
        send.hex = true;
        send.text = "68 69".to_owned();
        assert_eq!(send.payload().ok(), Some(b"hi\r\n".to_vec()));
        send.text = "6".to_owned();
        assert!(send.payload().is_err());
    }

    #[test]
    fn the_history_keeps_each_text_once_newest_first() {
        let mut send = SendBox::default();
        for text in ["a", "b", "a"] {
            send.remember(text.as_bytes());
        }
        assert_eq!(send.history, ["a", "b"]);
    }

    /// A send recalled from the history sends the same bytes again, whatever mode and line
    /// ending it was typed with and whatever the box is set to now: a hex send `41 42` with
    /// `\n` came back as the five characters "41 42" once Hex was off.
    #[test]
    fn a_recalled_send_sends_the_same_bytes() {
        let mut send = SendBox {
            text: "41 00 ff".to_owned(),
            hex: true,
            ending: LineEnding::Lf,
            ..SendBox::default()
        };
        let sent = send.payload().expect("good hex");
        send.remember(&sent);
        send.hex = false;
        send.ending = LineEnding::CrLf;
        send.text.clear();
        let kept = send.history[0].clone();
        assert_eq!(kept, r"A\x00\xff\n");
        send.recall(kept);
        assert_eq!(send.payload().ok(), Some(sent));
        assert_eq!(
            recent_label(&"é".repeat(100)).chars().count(),
            RECENT_LABEL_CHARS + 1
        );
    }

    #[test]
    fn the_history_is_bounded_in_count_and_text_length() {
        let mut send = SendBox::default();
        for n in 0..HISTORY + 10 {
            send.remember(format!("message {n}").as_bytes());
        }
        assert_eq!(send.history.len(), HISTORY);
        assert_eq!(send.history[0], format!("message {}", HISTORY + 9));
        send.remember("x".repeat(HISTORY_TEXT_LIMIT + 1).as_bytes());
        assert_eq!(send.history[0], format!("message {}", HISTORY + 9));
        let mut restored = SendBox::default();
        restored.restore_history(
            std::iter::once("y".repeat(HISTORY_TEXT_LIMIT + 1))
                .chain((0..HISTORY + 5).map(|n| n.to_string())),
        );
        assert_eq!(restored.history.len(), HISTORY);
        assert_eq!(restored.history[0], "0");
    }
}

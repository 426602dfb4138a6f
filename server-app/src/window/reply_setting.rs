//! The server window's "Reply" setting: how each pooled socket answers (the window's side of
//! `--reply`), checked as typed; a mistake is shown and new sockets keep the last good mode.

use serde::{Deserialize, Serialize};
use serversocket_app::reply::ReplyMode;

use serversocket_report::escapes::unescape;

use crate::reply_args::{ReplyArgs, ReplyArgsError, ReplyKind};

/// The least room the end of the reply row needs on its line (the TLS switch, "generate",
/// "files" and the certificate's fingerprint), in points.
const END_OF_ROW_WIDTH: f32 = 360.0;

/// The reply setting as typed (persisted with the other settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplySetting {
    /// Which mode.
    pub kind: ReplyKind,
    /// Fixed mode: the text written after each chunk (escapes allowed).
    pub fixed: String,
    /// Rules mode: one `REGEX => TEMPLATE` per line.
    pub rules: String,
}

impl ReplySetting {
    /// The mode this setting and the greeting field describe, or why it cannot be used.
    ///
    /// # Errors
    /// A bad escape or rule, as `--reply` would report it.
    pub fn mode(&self, greeting: &str) -> Result<ReplyMode, String> {
        if self.kind == ReplyKind::Rules && self.rules.trim().is_empty() {
            // In the window's words, not the command line's ("--reply rules needs --rule").
            return Err(
                r"Rules needs at least one rule: one REGEX => TEMPLATE a line, e.g. ^ping$ => pong\n"
                    .to_owned(),
            );
        }
        let greets = matches!(self.kind, ReplyKind::Greeting | ReplyKind::Fixed);
        let args = ReplyArgs {
            reply: self.kind,
            greeting: (greets && !greeting.is_empty()).then(|| greeting.to_owned()),
            fixed: (self.kind == ReplyKind::Fixed && !self.fixed.is_empty())
                .then(|| self.fixed.clone()),
            rules: if self.kind == ReplyKind::Rules {
                self.rules
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .map(str::to_owned)
                    .collect()
            } else {
                Vec::new()
            },
        };
        match args.mode() {
            // An empty greeting field in greeting mode greets with nothing, as before.
            Ok(_) if self.kind == ReplyKind::Greeting && greeting.is_empty() => {
                Ok(ReplyMode::Greeting(bytes::Bytes::new()))
            }
            Ok(mode) => Ok(mode),
            // In the window's words: its fields' names, not the flags' ("--rule: …").
            Err(ReplyArgsError::Rule(error)) => Err(format!("Rules: {error}")),
            // Both fields' mistakes, each on its line: the greeting's alone hid the other's.
            Err(ReplyArgsError::Escape {
                flag: "greeting",
                source,
            }) => Err(match args.fixed.as_deref().map(unescape) {
                Some(Err(fixed)) => format!("Greeting: {source}\nAfter each chunk: {fixed}"),
                _ => format!("Greeting: {source}"),
            }),
            Err(ReplyArgsError::Escape { source, .. }) => {
                Err(format!("After each chunk: {source}"))
            }
            Err(error) => Err(error.to_string()),
        }
    }

    /// The mode picker and its text fields, then `end_of_row` on the same row; true when
    /// something changed.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        problem: Option<&str>,
        end_of_row: impl FnOnce(&mut egui::Ui),
    ) -> bool {
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            ui.label("Reply:")
                .on_hover_text("How each pooled socket answers what its client sends");
            for (kind, name, tip) in [
                (
                    ReplyKind::Greeting,
                    "Greeting",
                    "The seed: write the greeting once connected, then take what arrives",
                ),
                (
                    ReplyKind::Echo,
                    "Echo",
                    "No greeting; every byte received is written back",
                ),
                (
                    ReplyKind::Silent,
                    "Silent",
                    "No greeting, no reply; what arrives is still logged",
                ),
                (
                    ReplyKind::Fixed,
                    "Fixed",
                    "The greeting once connected and/or a fixed text after each chunk received",
                ),
                (
                    ReplyKind::Rules,
                    "Rules",
                    "Each line is matched against the rules; the first match replies",
                ),
            ] {
                changed |= ui
                    .radio_value(&mut self.kind, kind, name)
                    .on_hover_text(tip)
                    .changed();
            }
            if self.kind == ReplyKind::Fixed {
                // Kept with its field: "After each chunk:" ended a line with the field under it.
                changed |= serversocket_ui::field::labelled(
                    ui,
                    "After each chunk:",
                    egui::TextEdit::singleline(&mut self.fixed)
                        .hint_text(r"ok\r\n")
                        .desired_width(140.0),
                    r"Escapes: \r \n \t \\ \xNN",
                )
                .changed();
            }
            // What ends the row (the TLS switch and its fields) wraps within the room left
            // on this line: with too little it stood in a column a word wide ("gen" / "erat"
            // / "e"), so it starts the next line instead.
            if ui.available_size_before_wrap().x < END_OF_ROW_WIDTH {
                ui.end_row();
            } else {
                ui.separator();
            }
            end_of_row(ui);
        });
        if self.kind == ReplyKind::Rules {
            let label = ui.label("Rules, one per line (REGEX => TEMPLATE; $1, ${name}, \\r\\n):");
            changed |= ui
                .add(
                    egui::TextEdit::multiline(&mut self.rules)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY)
                        .hint_text(r"^GET (\S+) => you asked for $1\r\n"),
                )
                .labelled_by(label.id)
                .changed();
        }
        if let Some(problem) = problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::{ReplyKind, ReplySetting};

    /// A mistake is said in the window's words, naming its field, never a flag.
    #[test]
    fn a_mistake_names_the_windows_field_not_a_flag() {
        let rules = ReplySetting {
            kind: ReplyKind::Rules,
            rules: "([a => x".to_owned(),
            ..ReplySetting::default()
        };
        let rule = rules.mode("").expect_err("an unclosed class");
        assert!(rule.starts_with("Rules: rule 1"), "{rule}");
        let fixed = ReplySetting {
            kind: ReplyKind::Fixed,
            fixed: r"ok\q".to_owned(),
            ..ReplySetting::default()
        };
        let error = fixed.mode("").expect_err("an unknown escape");
        assert!(error.starts_with("After each chunk: "), "{error}");
        let greeting = ReplySetting::default()
            .mode(r"hi\x4")
            .expect_err("a short escape");
        assert!(greeting.starts_with("Greeting: "), "{greeting}");
        // Both fields wrong: both are said, each naming its field.
        let both = ReplySetting {
            kind: ReplyKind::Fixed,
            fixed: r"ok\q".to_owned(),
            ..ReplySetting::default()
        }
        .mode(r"hi\x4")
        .expect_err("two bad escapes");
        assert!(
            both.starts_with("Greeting: ") && both.contains("\nAfter each chunk: "),
            "{both}"
        );
        for error in [rule, error, greeting] {
            assert!(!error.contains("--"), "{error}");
        }
    }
}

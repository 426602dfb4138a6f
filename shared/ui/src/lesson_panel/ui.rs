//! How the Lessons panel draws itself: the lesson picker, the steps with the current one's
//! question and hint, and the report with its export.

use std::time::{Duration, Instant};

use serversocket_lessons::Side;

use super::{Feedback, HIGHLIGHT, LessonPanel};

/// The narrowest the lesson picker is drawn: "6. Closing: …" still says which lesson.
const MIN_PICKER_WIDTH: f32 = 100.0;

impl LessonPanel {
    /// Draws the panel (a side panel's content).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let now = Instant::now();
        // A solid bar, as the main view's: the report's buttons are below the fold on a
        // 768-high screen, and egui's floating bar showed only under the pointer. Its room is
        // kept while nothing overflows, so a lesson's start does not narrow the panel's
        // content and move Start.
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::vertical()
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
            .show(ui, |ui| {
            self.picker_ui(ui);
            if let Some(problem) = &self.load_problem {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
            ui.separator();
            let running = self.run.as_ref().map(|run| run.lesson().name.clone());
            let picked = self.lessons.get(self.chosen);
            if let (Some(running), Some(picked)) = (&running, picked)
                && *running != picked.name
            {
                // Another lesson picked, not started yet: show what it is about, not the
                // running lesson's steps and report under its title.
                ui.heading(&picked.title);
                ui.label(egui::RichText::new(&picked.goal).italics());
                ui.label("Click Start to begin it: both windows start again from nothing.");
            } else if running.is_some() {
                self.steps_ui(ui, now);
                ui.separator();
                self.report_ui(ui);
            } else {
                ui.label("Choose a lesson and click Start. Each step says what to do in this window or in the other one, and moves on when the sockets have really done it.");
            }
        });
    }

    fn picker_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Lesson:");
            // No wider than what the panel has beside the label and the wider of Start and Reset
            // lesson: a wider picker widened the panel past its default size and cut the server
            // table's Disconnect at the window's edge (1366x768, two windows), and one that left
            // no room for Start put it on a line of its own, away from the pointer.
            let words = egui::RichText::new("Reset lesson").text_style(egui::TextStyle::Button);
            let button = crate::theme::unwrapped_width(ui, &words.into())
                + 2.0 * ui.spacing().button_padding.x;
            let beside =
                ui.available_size_before_wrap().x - button - 2.0 * ui.spacing().item_spacing.x;
            // Too narrow for all three (800x600 with the panel open): the button goes on a line
            // of its own, whichever its words, so it does not move when a lesson starts.
            let button_below = beside < MIN_PICKER_WIDTH;
            let picker_width = if button_below {
                ui.available_size_before_wrap().x - ui.spacing().item_spacing.x
            } else {
                beside
            }
            .clamp(MIN_PICKER_WIDTH, 220.0)
            // Whole points: egui rounds a widget's edges, and a fraction rounded one way for
            // a short title and the other for a cut one moved Start by a third of a point.
            .floor();
            let chosen_title = self
                .lessons
                .get(self.chosen)
                .map_or(String::new(), |lesson| lesson.title.clone());
            // A long title is cut with "…" (whole on hover and in the list): wrapped, it made
            // the picker two lines high and moved Start from under the pointer. A picker takes
            // all the room its row has for its text, so it gets a room of its own width.
            let room = egui::vec2(picker_width, ui.spacing().interact_size.y);
            let layout = egui::Layout::left_to_right(egui::Align::Center);
            ui.allocate_ui_with_layout(room, layout, |ui| {
                // Exactly this wide, whatever the title: a cut one came out a fraction
                // narrower, and Start moved with it.
                ui.set_min_width(picker_width);
                egui::ComboBox::from_id_salt("lesson picker")
                    .selected_text(chosen_title.clone())
                    .width(picker_width)
                    .truncate()
                    .show_ui(ui, |ui| {
                        for (index, lesson) in self.lessons.iter().enumerate() {
                            ui.selectable_value(&mut self.chosen, index, &lesson.title)
                                .on_hover_text(&lesson.goal);
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_hover_text(chosen_title);
            });
            let running = self.run.as_ref().is_some_and(|run| {
                self.lessons
                    .get(self.chosen)
                    .is_some_and(|l| l.name == run.lesson().name)
            });
            if button_below {
                ui.end_row();
            }
            let start = if running { "Reset lesson" } else { "Start" };
            let tip = if running {
                "Start this lesson again from its first step (the other window follows)"
            } else {
                "Start this lesson (the other window follows when it runs on this machine)"
            };
            if ui.button(start).on_hover_text(tip).clicked()
                && let Some(name) = self.lessons.get(self.chosen).map(|l| l.name.clone())
            {
                let _ = self.start(&name);
            }
        });
    }

    fn steps_ui(&mut self, ui: &mut egui::Ui, now: Instant) {
        let Some(run) = &self.run else {
            return;
        };
        let lesson = run.lesson();
        ui.heading(&lesson.title);
        ui.label(egui::RichText::new(&lesson.goal).italics());
        let total = lesson.steps.len();
        let done = run.step_index().min(total);
        #[allow(clippy::cast_precision_loss)]
        let fraction = done as f32 / total.max(1) as f32;
        ui.add(egui::ProgressBar::new(fraction).text(run.progress_words()));
        let mut skip = false;
        let mut check = false;
        for (index, step) in lesson.steps.iter().enumerate() {
            let say = run.words(&step.say);
            // Which window a step of the other side is done in, unless its words say so
            // already ("(client window) In the client window, click Connect.").
            let named = format!("In the {} window", step.side.name());
            let where_ = if step.side == self.side || say.starts_with(&named) {
                String::new()
            } else {
                format!(" ({} window)", step.side.name())
            };
            if index < done {
                // A skipped step is behind, not done: the report marks it alike.
                let line = match run.skipped_step(index) {
                    Some(skip) => format!(
                        "[–] {}.{where_} skipped in the {} window: {}",
                        index + 1,
                        skip.window.name(),
                        short(&say)
                    ),
                    None => format!("[x] {}.{where_} {}", index + 1, short(&say)),
                };
                ui.label(egui::RichText::new(line).weak());
            } else if index == done {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.label(
                        egui::RichText::new(format!("Step {} of {total}{where_}", index + 1))
                            .strong(),
                    );
                    ui.label(say.as_ref());
                    if self.resumed_at == Some(index) {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            resumed_words(&lesson.steps[..index]),
                        );
                    }
                    let elapsed = now.saturating_duration_since(self.step_began);
                    // Once the step is done and its question asked, a hint on doing it is
                    // wrong ("the step moves on only when the sockets have done it").
                    if elapsed >= Duration::from_secs(step.hint_after_s) && !run.is_asking() {
                        let hint = step.hint.as_deref().map_or_else(
                            || default_hint(step.side, self.side),
                            |hint| run.words(hint).into_owned(),
                        );
                        ui.label(egui::RichText::new(format!("Hint: {hint}")).color(HIGHLIGHT));
                    }
                    let tip = if step.side == self.side {
                        "Go on without this step (the report says it was skipped)".to_owned()
                    } else {
                        ui.label(format!(
                            "This window moves on when the {} window has done it.",
                            step.side.name()
                        ));
                        // On a small screen one window covers the other: the step's own
                        // window is a click away.
                        if ui
                            .button(format!("Show the {} window", step.side.name()))
                            .on_hover_text("Bring the window this step is done in to the front (F6)")
                            .clicked()
                        {
                            self.show_other_asked = true;
                        }
                        format!(
                            "Go on without this step, e.g. when the {} window is not running (the report says it was skipped)",
                            step.side.name()
                        )
                    };
                    // On a line of its own, under the words, with room above the card's edge.
                    skip = ui.button("Skip step").on_hover_text(tip).clicked();
                    ui.add_space(2.0);
                    if let Some(question) = &step.question
                        && step.side == self.side
                        && run.is_asking()
                    {
                        ui.label(egui::RichText::new(&question.ask).strong());
                        ui.horizontal(|ui| {
                            let label = ui.label("Answer:");
                            // What the row leaves after the label and Check: a wider row
                            // widened the panel and pushed the window's own view off its edge.
                            let room = (ui.available_width() - 60.0).clamp(40.0, 120.0);
                            let field = ui
                                .add(
                                    egui::TextEdit::singleline(&mut self.answer)
                                        .desired_width(room),
                                )
                                .labelled_by(label.id);
                            // The question opens below the steps: brought into view once,
                            // so the learner need not find it below the panel's fold; only
                            // as far as needed (centred, it scrolled the panel's own
                            // controls half out of view at its top).
                            if self.question_shown != Some(index) {
                                self.question_shown = Some(index);
                                field.scroll_to_me(None);
                            }
                            let entered = field.lost_focus()
                                && ui.input(|input| input.key_pressed(egui::Key::Enter));
                            check = ui.button("Check").clicked() || entered;
                        });
                    }
                    let verdict = match &self.feedback {
                        Some(Feedback::Wrong { tries }) => {
                            let mut words = "Not quite: look again at the window.".to_owned();
                            if *tries >= 2 {
                                words = format!(
                                    "Not quite. The session says {} now.",
                                    run.expected_answer()
                                );
                            }
                            Some(ui.colored_label(ui.visuals().warn_fg_color, words))
                        }
                        // Said under the next step: it names the step it is about, or it
                        // read as this one's verdict before anything was done in it.
                        Some(Feedback::Right { step }) if index == step + 1 => {
                            Some(ui.colored_label(
                                egui::Color32::from_rgb(80, 180, 110),
                                format!("Step {index}: right, your answer matched the session."),
                            ))
                        }
                        _ => None,
                    };
                    // A new verdict is brought into view once, as far as needed.
                    if let Some(verdict) = verdict
                        && self.feedback_in_view != self.feedback
                    {
                        self.feedback_in_view.clone_from(&self.feedback);
                        verdict.scroll_to_me(None);
                    }
                });
            } else {
                ui.label(
                    egui::RichText::new(format!("{}.{where_} {}", index + 1, short(&say))).weak(),
                );
            }
        }
        if run.is_finished() {
            ui.colored_label(
                egui::Color32::from_rgb(80, 180, 110),
                "Lesson done. Export the report for your teacher below.",
            );
        }
        if check {
            self.check_answer();
        }
        if skip && let Some(run) = &mut self.run {
            let progress = run.skip(self.side);
            self.feedback = None;
            self.progressed(progress);
        }
    }

    fn report_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Your name:");
            ui.add(egui::TextEdit::singleline(&mut self.learner).desired_width(140.0))
                .labelled_by(label.id)
                .on_hover_text("Written at the top of the report");
        });
        let mut just_exported = false;
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Export report")
                .on_hover_text(
                    "Write the steps, your answers and the lesson's event log as a Markdown file",
                )
                .clicked()
            {
                self.exported = Some(self.export().map_err(|problem| problem.to_string()));
                just_exported = true;
            }
            crate::copy::copy_button_ui(
                ui,
                ("report", true),
                "Copy report",
                "Copy the same report as Markdown text",
                || self.report(),
            );
        });
        let said = match &self.exported {
            Some(Ok(path)) => Some(ui.label(format!("Report written to {}", path.display()))),
            Some(Err(problem)) => Some(ui.colored_label(
                ui.visuals().error_fg_color,
                format!("The report could not be written: {problem}"),
            )),
            None => None,
        };
        // Brought into view as it appears: under the buttons at the panel's foot, it was
        // below the fold, and a click seemed to do nothing.
        if let Some(said) = said
            && just_exported
        {
            said.scroll_to_me(Some(egui::Align::BOTTOM));
        }
    }
}

/// The hint of a step that has none of its own: a hint always comes, and says how to go on.
/// What a step resumed from the last session says: what the steps before it set up ended
/// with the programs, and what to do again, from what those steps waited for (a Listen, the
/// Stream view's connection).
fn resumed_words(before: &[serversocket_lessons::Step]) -> String {
    let waited_for = |event: &str| {
        before
            .iter()
            .any(|step| step.done_when_text.contains(event))
    };
    let mut again = Vec::new();
    if waited_for("listening") {
        again.push("click Listen in the server window");
    }
    if waited_for(serversocket_lessons::observed::stream_events::READY) {
        again.push("open the Stream view in the client window");
    }
    let set_up =
        "Resumed from your last session: what the steps before set up ended with the programs.";
    match again.as_slice() {
        [] => set_up.to_owned(),
        again => format!(
            "{set_up} If this step needs it, do it again first ({}).",
            again.join(", then ")
        ),
    }
}

fn default_hint(step: Side, window: Side) -> String {
    if step == window {
        "The step moves on only when the sockets have really done what it says. Read it again and look at the log; if it cannot happen now, Skip step goes on without it.".to_owned()
    } else {
        format!(
            "This step is done in the {} window: do it there, and this window follows at once. If that window is not running, Skip step goes on without it.",
            step.name()
        )
    }
}

/// A step's first sentence, for the list of other steps.
fn short(say: &str) -> String {
    let first = say.split(". ").next().unwrap_or(say);
    if first.len() < say.len() {
        format!("{first}.")
    } else {
        first.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::resumed_words;

    /// A resumed step says what to do again from what the steps before waited for: lesson 7
    /// the Stream view (it said "click Listen", which that lesson never asks), lesson 1 the
    /// Listen.
    #[test]
    fn a_resumed_step_names_what_the_steps_before_set_up() {
        let lessons = serversocket_lessons::catalog(None).lessons;
        let steps = |name: &str| {
            lessons
                .iter()
                .find(|lesson| lesson.name == name)
                .map_or_else(
                    || panic!("the shipped lesson {name}"),
                    |lesson| lesson.steps.clone(),
                )
        };
        let stream = resumed_words(&steps("the-byte-stream")[..2]);
        assert!(stream.contains("open the Stream view"), "{stream}");
        assert!(!stream.contains("Listen"), "{stream}");
        let listening = resumed_words(&steps("listening")[..2]);
        assert!(
            listening.contains("click Listen in the server window"),
            "{listening}"
        );
    }
}

//! The visual language both windows share, in one place: a colour-blind safe palette, the
//! colour of each thing a learner follows (socket states, the kernel's queue, the listener),
//! status chips that never wrap mid-phrase, and the look (system theme, visible focus).
//!
//! The palette is Okabe and Ito's: its eight colours stay apart for the common forms of colour
//! blindness, so "idle" and "connected" are never told apart by red against green alone.

use egui::Color32;

/// Okabe–Ito orange.
pub const ORANGE: Color32 = Color32::from_rgb(230, 159, 0);
/// Okabe–Ito sky blue.
pub const SKY_BLUE: Color32 = Color32::from_rgb(86, 180, 233);
/// Okabe–Ito bluish green.
pub const BLUISH_GREEN: Color32 = Color32::from_rgb(0, 158, 115);
/// Okabe–Ito blue.
pub const BLUE: Color32 = Color32::from_rgb(0, 114, 178);
/// Okabe–Ito vermillion.
pub const VERMILLION: Color32 = Color32::from_rgb(213, 94, 0);
/// Okabe–Ito reddish purple.
pub const REDDISH_PURPLE: Color32 = Color32::from_rgb(204, 121, 167);
/// A neutral grey for what is over (closed sockets).
pub const GREY: Color32 = Color32::from_rgb(140, 140, 140);

/// A connection the kernel completed that no socket took yet (the accept queue).
pub const IN_KERNEL: Color32 = REDDISH_PURPLE;
/// The listening socket while it is open.
pub const LISTENER: Color32 = ORANGE;
/// Connections made per second (accepts on the server, connects on the client).
pub const RATE: Color32 = BLUE;

/// The space between the parts of a window, in points.
pub const GAP: f32 = 6.0;

/// Follows the system's light or dark theme and makes keyboard focus easy to see. Both windows
/// call it once when they open.
pub fn apply(ctx: &egui::Context) {
    ctx.options_mut(|options| options.theme_preference = egui::ThemePreference::System);
    for theme in [egui::Theme::Dark, egui::Theme::Light] {
        ctx.style_mut_of(theme, |style| {
            // egui draws a focused widget with its "active" look: a thick outline in the
            // selection colour there shows where Tab has moved to.
            let focus = style.visuals.selection.stroke.color;
            style.visuals.widgets.active.bg_stroke = egui::Stroke::new(2.5, focus);
            style.visuals.selection.stroke.width = 2.0;
            style.spacing.item_spacing = egui::vec2(GAP, 4.0);
        });
    }
}

/// In a wrapping row, starts a new line when something `width` points wide would not fit on
/// this one (unless the line is empty: then nothing would fit better).
pub(crate) fn new_line_unless_it_fits(ui: &mut egui::Ui, width: f32) {
    if width > ui.available_size_before_wrap().x
        && ui.available_size_before_wrap().x < ui.max_rect().width()
    {
        ui.end_row();
    }
}

/// A phrase that never breaks in the middle: in a wrapping row it moves whole to the next
/// line, as a chip does ("50 lines" read "50" / "lines", "INSECURE: the" / "server is not
/// checked").
pub fn phrase(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
    let text = text.into();
    new_line_unless_it_fits(ui, unwrapped_width(ui, &text));
    ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend))
}

/// How wide `text` is on one line, in the body font unless it names another.
#[must_use]
pub fn unwrapped_width(ui: &egui::Ui, text: &egui::WidgetText) -> f32 {
    text.clone()
        .into_galley(
            ui,
            Some(egui::TextWrapMode::Extend),
            f32::INFINITY,
            egui::TextStyle::Body,
        )
        .size()
        .x
}

/// A status chip: a short phrase on a tinted rounded background, in one piece. Put chips in a
/// `horizontal_wrapped` row: a narrow window moves a whole chip to the next line, never half of
/// its words. `tip` explains it on hover.
pub fn chip(
    ui: &mut egui::Ui,
    text: impl Into<String>,
    color: Color32,
    tip: &str,
) -> egui::Response {
    let text = text.into();
    // A frame is not a word the wrapping layout can move: measure the chip and start a new
    // line when it would not fit on this one.
    let width = unwrapped_width(ui, &text.clone().into()) + 14.0;
    new_line_unless_it_fits(ui, width);
    let response = egui::Frame::new()
        .fill(color.gamma_multiply(0.18))
        .stroke((1.0, color.gamma_multiply(0.8)))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| {
            ui.add(egui::Label::new(&text).wrap_mode(egui::TextWrapMode::Extend));
        })
        .response;
    // The label inside names the chip for a screen reader; the tip explains it on hover.
    response.on_hover_text(tip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_colours_are_all_different() {
        let colours = [
            ORANGE,
            SKY_BLUE,
            BLUISH_GREEN,
            BLUE,
            VERMILLION,
            REDDISH_PURPLE,
            GREY,
        ];
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}

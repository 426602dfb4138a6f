//! A labelled field, the unit every settings row of both windows is made of: a label, then the
//! widget it names (so a screen reader, and a test's `get_by_label`, find the field by its
//! label), with a tooltip that says what the value does.

/// Adds `label`, then `widget` labelled by it, with `tip` on hover, kept together on one line
/// as [`explained`] keeps them ("certificate" at a row's end and its field under it read as
/// two things); returns the widget's response.
pub fn labelled(
    ui: &mut egui::Ui,
    label: &str,
    widget: impl egui::Widget,
    tip: &str,
) -> egui::Response {
    together(ui, label, |ui| {
        let label = ui.label(label);
        explain(ui.add(widget).labelled_by(label.id), tip)
    })
}

/// `label`, then `widget` labelled by it, both carrying the tooltip (the name is what needs
/// explaining: "Min:", "Backlog:"; the field is where the pointer goes to change it), kept
/// together on one line: a narrow window moves both to the next line, never the field without
/// its name. Returns the widget's response.
pub fn explained(
    ui: &mut egui::Ui,
    label: &str,
    tip: &str,
    widget: impl egui::Widget,
) -> egui::Response {
    together(ui, label, |ui| {
        let label = explain(ui.label(label), tip);
        explain(ui.add(widget).labelled_by(label.id), tip)
    })
}

/// `tip` on hover, whether `response` is enabled or not: a field greyed while listening (the
/// port, the backlog) is where a learner most wants to know what it is.
#[must_use]
pub fn explain(response: egui::Response, tip: &str) -> egui::Response {
    response.on_hover_text(tip).on_disabled_hover_text(tip)
}

/// Draws `contents` (a name `label` and its field) as one group that a wrapping row never
/// splits. A wrapping row moves a widget that does not fit, but not a group, whose width it
/// learns only once the group is drawn: so the group starts a new row itself when the name
/// and a field of the usual width would not fit on this one.
fn together(
    ui: &mut egui::Ui,
    label: &str,
    contents: impl FnOnce(&mut egui::Ui) -> egui::Response,
) -> egui::Response {
    let name = egui::WidgetText::from(label).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Body,
    );
    let needed = name.size().x + ui.spacing().item_spacing.x + FIELD_WIDTH;
    group(ui, needed, contents)
}

/// Draws `contents` as one group that a wrapping row never splits, on the next line when
/// less than `least_width` points are left on this one (a group's width is known only once
/// drawn, so a wrapping row would let it run past the window's edge).
pub fn group<R>(
    ui: &mut egui::Ui,
    least_width: f32,
    contents: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    if ui.layout().main_wrap && ui.available_size_before_wrap().x < least_width {
        ui.end_row();
    }
    ui.horizontal(contents).inner
}

/// The width a number field usually takes ("10", "250 ms", "0 s"), for [`explained`]'s wrap.
const FIELD_WIDTH: f32 = 60.0;

/// A number field kept within `range`, its unit written after the value (" s", " ms",
/// " MiB"): the shape of every timing and size setting in both windows. As [`count`], a
/// typed value counts once Enter is pressed or the field is left.
pub fn number<'a, N: egui::emath::Numeric>(
    value: &'a mut N,
    range: std::ops::RangeInclusive<N>,
    unit: &str,
) -> egui::DragValue<'a> {
    count(value, range).suffix(unit)
}

/// A whole-number field kept within `range` (Min, Max, a burst's size). A value typed into it
/// counts once Enter is pressed or the field is left, not at each key: Max 40 typed while
/// listening ran the pool at Max 4 on the way, and Min 50 left the window saying Min 5.
/// Dragging it still changes the value as it moves.
pub fn count<N: egui::emath::Numeric>(
    value: &mut N,
    range: std::ops::RangeInclusive<N>,
) -> egui::DragValue<'_> {
    egui::DragValue::new(value)
        .range(range)
        .update_while_editing(false)
}

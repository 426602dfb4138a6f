//! The floating Concepts window both apps open over the right of their main view, so the view
//! keeps its width.

/// The Concepts window, anchored at the top right of `over` (the room the window's panels
/// leave: left of the Lessons panel when it is open, which it must never cover, since a
/// lesson's steps are what the learner reads beside the concepts), as tall as the window
/// allows; closed with its cross through `open`.
pub fn concepts_window<'open>(
    ctx: &egui::Context,
    open: &'open mut bool,
    over: egui::Rect,
) -> egui::Window<'open> {
    let height = (ctx.content_rect().height() - 80.0).max(200.0);
    let beside_panels = (ctx.content_rect().right() - over.right()).max(0.0);
    egui::Window::new("Concepts")
        .open(open)
        .anchor(egui::Align2::RIGHT_TOP, [-8.0 - beside_panels, 40.0])
        .max_width((over.width() - 16.0).max(200.0))
        .default_width(320.0)
        .default_height(height)
        .max_height(height)
        .resizable(true)
}

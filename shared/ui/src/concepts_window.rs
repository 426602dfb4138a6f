//! The floating Concepts window both apps open over the right of their main view, so the view
//! keeps its width.

/// The Concepts window, anchored at the top right, as tall as the window allows; closed with
/// its cross through `open`.
pub fn concepts_window<'open>(ctx: &egui::Context, open: &'open mut bool) -> egui::Window<'open> {
    let height = (ctx.content_rect().height() - 80.0).max(200.0);
    egui::Window::new("Concepts")
        .open(open)
        .anchor(egui::Align2::RIGHT_TOP, [-8.0, 40.0])
        .default_width(320.0)
        .default_height(height)
        .max_height(height)
        .resizable(true)
}

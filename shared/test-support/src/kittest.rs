//! A window in an egui_kittest harness, and frames run until it shows what a test waits for.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::{PATIENCE, POLL};

/// The size both windows are tested at unless a test says otherwise: big enough that nothing
/// scrolls out of reach.
pub const SIZE: egui::Vec2 = egui::vec2(900.0, 800.0);

/// The most frames [`run_until`] and [`frames_until`] run: [`PATIENCE`] at one frame per
/// [`crate::POLL`].
const MOST_FRAMES: u128 = PATIENCE.as_millis() / POLL.as_millis();

/// A harness of `size` around `state`, drawn by `ui` (a window's `ui` method).
pub fn harness<S: 'static>(
    size: egui::Vec2,
    state: S,
    ui: impl FnMut(&mut egui::Ui, &mut S) + 'static,
) -> Harness<'static, S> {
    Harness::builder().with_size(size).build_ui_state(ui, state)
}

/// Runs `step` (which runs a frame or more and says whether the test's condition holds) every
/// [`crate::POLL`], at most [`PATIENCE`]'s worth of frames; sockets work on background threads
/// meanwhile. Says whether the condition came to hold: the caller panics with what it knows.
#[must_use]
pub fn frames_until(mut step: impl FnMut() -> bool) -> bool {
    for _ in 0..MOST_FRAMES {
        if step() {
            return true;
        }
        std::thread::sleep(POLL);
    }
    false
}

/// A window under test: how a frame draws it, and what a failed wait shows of it. Each app's
/// window tests implement it once.
pub trait Window: 'static {
    /// Draws one frame (the window's `ui`).
    fn draw(&mut self, ui: &mut egui::Ui);

    /// What a test that gave up waiting shows of the window (its log, say).
    fn explain(&self) -> String;
}

/// A harness of `size` around `window`.
pub fn window<W: Window>(size: egui::Vec2, window: W) -> Harness<'static, W> {
    harness(size, window, |ui, window: &mut W| window.draw(ui))
}

/// Runs frames of `harness` until `done` holds for its window (see [`frames_until`]); if it
/// never does, panics with `what` and what [`Window::explain`] shows.
pub fn run_until<W: Window>(harness: &mut Harness<'_, W>, what: &str, done: impl Fn(&W) -> bool) {
    let held = frames_until(|| {
        harness.step();
        done(harness.state())
    });
    assert!(
        held,
        "gave up waiting for {what}; {}",
        harness.state().explain()
    );
}

/// What the last frame put on the clipboard (a Copy button's text), if anything.
pub fn copied_text<S>(harness: &Harness<'_, S>) -> Option<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

/// Every control a user can act on (buttons, text fields, checkboxes, drag values, combo
/// boxes …) that is shown and has no label of its own, each as its role and place. A hint
/// text does not count: a screen reader reads it only while the field is empty, and a test
/// cannot find the field by it.
pub fn unlabelled_controls<S>(harness: &Harness<'_, S>) -> Vec<String> {
    use egui_kittest::kittest::NodeT as _;
    harness
        .root()
        .children_recursive()
        .map(|node| node.accesskit_node())
        .filter(|node| egui::accessibility::is_input(node.role()) && !node.is_hidden())
        .filter(|node| node.label().is_none_or(|label| label.trim().is_empty()))
        .map(|node| format!("{:?} at {:?}", node.role(), node.raw_bounds()))
        .collect()
}

/// The label of the control that has the keyboard focus, if one has it.
pub fn focused_label<S>(harness: &Harness<'_, S>) -> Option<String> {
    use egui_kittest::kittest::NodeT as _;
    harness
        .root()
        .children_recursive()
        .map(|node| node.accesskit_node())
        .find(egui_kittest::kittest::AccessKitNode::is_focused)
        .and_then(|node| node.label())
}

/// Presses Tab (at most `most` times) until the control labelled `label` has the focus; says
/// whether it got there.
pub fn tab_to<S>(harness: &mut Harness<'_, S>, label: &str, most: usize) -> bool {
    for _ in 0..most {
        harness.key_press(egui::Key::Tab);
        harness.step();
        if focused_label(harness).as_deref() == Some(label) {
            return true;
        }
    }
    false
}

/// Presses Tab until the control labelled `label` has the focus (at most 80 times; the test
/// fails saying Tab never reached it), then presses `key` on it (Enter, Space), as a keyboard
/// user would.
pub fn press_by_keyboard<S>(harness: &mut Harness<'_, S>, label: &str, key: egui::Key) {
    assert!(tab_to(harness, label, 80), "Tab never reached {label}");
    harness.key_press(key);
}

/// eframe's storage in memory, as a window's `save` sees it: a test saves a window, then builds
/// the next run's window from what was saved.
#[derive(Default)]
pub struct MemoryStorage(std::collections::HashMap<String, String>);

impl MemoryStorage {
    /// What `window` saves when it closes.
    pub fn saved_by(window: &mut impl serversocket_ui::shell::AppWindow) -> Self {
        let mut storage = Self::default();
        serversocket_ui::shell::save(window, &mut storage);
        storage
    }
}

/// What `app` saves under eframe's key when it closes, read back as its next run reads it.
///
/// # Panics
/// When nothing of that type was saved.
pub fn remembered<T: serde::de::DeserializeOwned>(
    app: &mut impl serversocket_ui::shell::AppWindow,
) -> T {
    let storage = MemoryStorage::saved_by(app);
    eframe::get_value(&storage, eframe::APP_KEY).expect("settings saved")
}

/// The window of the next run: `open` gets the settings `app` saves as it closes, and the new
/// window has drawn its first frame.
pub fn next_run<W: Window, S: serde::de::DeserializeOwned>(
    app: &mut impl serversocket_ui::shell::AppWindow,
    open: impl FnOnce(S) -> Harness<'static, W>,
) -> Harness<'static, W> {
    let mut next = open(remembered(app));
    next.run();
    next
}

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

/// Opens the concepts panel (its button in the top bar), then each of `entries` in turn (an
/// entry, then one inside it), and runs the frames that draw the last one open.
pub fn open_concepts<S>(harness: &mut Harness<'_, S>, entries: &[&str]) {
    use egui_kittest::kittest::Queryable as _;
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(2);
    for (index, entry) in entries.iter().enumerate() {
        harness.get_by_label(entry).click();
        harness.run_steps(if index + 1 == entries.len() { 3 } else { 2 });
    }
}

/// Whether the checkbox or toggle labelled `label` is on, as a screen reader hears it.
pub fn toggled<S>(harness: &Harness<'_, S>, label: &str) -> Option<egui::accesskit::Toggled> {
    use egui_kittest::kittest::{NodeT as _, Queryable as _};
    harness.get_by_label(label).accesskit_node().toggled()
}

/// Whether the window shows a widget whose label contains `text` (a line of the log, a
/// status, a hint).
pub fn shows<S>(harness: &Harness<'_, S>, text: &str) -> bool {
    use egui_kittest::kittest::Queryable as _;
    harness.query_by_label_contains(text).is_some()
}

/// Fails the test unless the window shows a widget labelled with each `label`, naming in the
/// failure `what` the missing one is.
pub fn assert_shown<S>(harness: &Harness<'_, S>, shown: &[(&str, &str)]) {
    use egui_kittest::kittest::Queryable as _;
    for (label, what) in shown {
        assert!(harness.query_by_label(label).is_some(), "{what}");
    }
}

/// Runs one frame of `ctx` doing `tick` (a window's per-frame work outside a harness) and says
/// whether it asked the window to come to the front.
pub fn frame_asks_focus(ctx: &egui::Context, mut tick: impl FnMut(&egui::Context)) -> bool {
    let mut output = ctx.run_ui(egui::RawInput::default(), |ui| tick(ui.ctx()));
    // No renderer takes the font texture here.
    output.textures_delta.clear();
    output
        .viewport_output
        .values()
        .any(|viewport| viewport.commands.contains(&egui::ViewportCommand::Focus))
}

/// What the Packets view draws of a connection's handshake, each a label a test finds: the
/// three segments, then the socket's Connected on the same time axis.
pub const HANDSHAKE_DRAWN: [&str; 4] = [
    "SYN seq 0",
    "SYN,ACK seq 0 ack 1",
    "ACK seq 1 ack 1",
    "Connected, an event of this socket",
];

/// Clicks the control labelled `label`, as a user would, and runs frames until the window
/// settles.
pub fn click<S>(harness: &mut Harness<'_, S>, label: &str) {
    harness.get_by_label(label).click();
    harness.run();
}

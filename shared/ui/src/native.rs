//! How both windows open: their size and place taken from the monitor, and the app icon.
//!
//! The size known before a window exists is only a guess (eframe learns the monitor once the
//! window is up), so each window opens at a modest size and, on its first frame that knows the
//! monitor, moves and resizes itself: side by side (server left, client right) on a screen
//! wide enough for two, and both the screen's full size, stacked, on a smaller one (the window
//! manager's task bar, Alt+Tab, or each window's "Show the other window" button and F6
//! ([`crate::other_window`]) then switch between them like tabs).
//!
//! What a window remembers between runs is kept by [`crate::settings_store`], not by eframe:
//! read before the window opens, saved every half minute and as it closes.

use std::sync::Arc;
use std::time::Instant;

use crate::settings_store::SettingsStore;

/// Each window's size until the monitor is known.
const FIRST_SIZE: [f32; 2] = [680.0, 560.0];
/// The smallest size at which everything still fits (an 800×600 screen, less its title bar).
pub const MIN_SIZE: [f32; 2] = [480.0, 400.0];
/// The narrowest window the server's table and pipeline read well in: a screen narrower than
/// two of these stacks the windows instead of squeezing them side by side.
const SIDE_BY_SIDE_WIDTH: f32 = 640.0;
/// Room left for a title bar and a desktop panel.
const DECORATIONS: f32 = 32.0;
/// The app icon: a listening socket above its pool (two connected, two idle).
const ICON: &[u8] = include_bytes!("../../../assets/icon.png");

/// Which of the two windows, and so where it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The server window, at the left (or at the back when stacked).
    Left,
    /// The client window, beside it (or in front, a little lower, when stacked).
    Right,
}

/// Where a window stands and how big it is inside, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Its top-left corner on the monitor.
    pub position: egui::Pos2,
    /// Its inner size.
    pub size: egui::Vec2,
}

/// Whether the windows stand one behind the other on a monitor of `monitor` points (too narrow
/// for two side by side): then each shows a button that brings the other to the front.
#[must_use]
pub fn stacked(monitor: egui::Vec2) -> bool {
    monitor.x < 2.0 * SIDE_BY_SIDE_WIDTH
}

/// Where `side`'s window goes on a monitor of `monitor` points: half the width each when two
/// fit side by side, else the whole screen each, the client a title bar's height lower so
/// both can be seen to be there. Never below [`MIN_SIZE`].
#[must_use]
pub fn placement(monitor: egui::Vec2, side: Side) -> Placement {
    let min = egui::Vec2::from(MIN_SIZE);
    let height = monitor.y - DECORATIONS;
    let (position, size) = if stacked(monitor) {
        let offset = match side {
            Side::Left => 0.0,
            Side::Right => DECORATIONS,
        };
        (
            egui::pos2(offset, offset),
            egui::vec2(monitor.x - offset, height - offset),
        )
    } else {
        let width = (monitor.x / 2.0).floor();
        let x = match side {
            Side::Left => 0.0,
            Side::Right => width,
        };
        (egui::pos2(x, 0.0), egui::vec2(width, height))
    };
    Placement {
        position,
        size: size.max(min),
    }
}

/// The window's app id, for the window manager (which groups and names windows by it), and
/// the name of the folder its settings are kept in (as eframe named it: "serversocketclient").
fn app_id(title: &str) -> String {
    title.to_lowercase().replace([' ', '—'], "")
}

/// The options to open one of the windows with.
#[must_use]
pub fn native_options(title: &str) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(title)
        .with_app_id(app_id(title))
        .with_inner_size(FIRST_SIZE)
        .with_min_inner_size(MIN_SIZE);
    // The icon is ours and known good; if it ever failed to decode, the OS's default will do.
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON) {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    eframe::NativeOptions {
        viewport,
        // The place comes from the monitor each time (see `Placed`), not from the last run,
        // which may have been on another screen.
        persist_window: false,
        ..Default::default()
    }
}

/// A window's app that places its window once the monitor is known, and keeps what it
/// remembers between runs.
struct Placed<A> {
    app: A,
    side: Side,
    /// Placed already: the user may move and resize it from then on.
    placed: bool,
    /// What the window remembers, saved as eframe would save it (eframe's own file is off).
    settings: SettingsStore,
    /// The window's context, for egui's memory as the window closes (`on_exit` has none).
    ctx: egui::Context,
    /// When the settings were last saved: they are saved again every
    /// [`eframe::App::auto_save_interval`], so a crash loses little.
    last_save: Instant,
    /// Why the settings were not read or saved, shown above the window until dismissed.
    settings_note: Option<String>,
}

impl<A: eframe::App> Placed<A> {
    /// The line that says why the settings were not read or saved, with a button to hide it.
    fn settings_note_ui(&mut self, ui: &mut egui::Ui) {
        // A save that failed since the window opened says so too.
        if let Some(note) = self.settings.take_problem() {
            self.settings_note = Some(note);
        }
        let Some(note) = &self.settings_note else {
            return;
        };
        let mut dismissed = false;
        egui::Panel::top("settings note").show(ui, |ui| {
            ui.horizontal(|ui| {
                dismissed = ui
                    .button("Dismiss")
                    .on_hover_text("Hide this note (it was said on the terminal too)")
                    .clicked();
                let colour = ui.visuals().warn_fg_color;
                ui.add(egui::Label::new(egui::RichText::new(note).color(colour)).wrap());
            });
        });
        if dismissed {
            self.settings_note = None;
        }
    }
}

impl<A: eframe::App> eframe::App for Placed<A> {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        if !self.placed
            && let Some(monitor) = ctx.input(|i| i.viewport().monitor_size)
        {
            self.placed = true;
            let place = placement(monitor, self.side);
            ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(place.position));
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(place.size));
            // Stacked, the client stands in front whichever app mapped last, as the README
            // says: the server's Listen is one click (or F6) away. A window the other one
            // started because the user asked to see it comes to the front whatever its side.
            if serversocket_app::launch::asked_to_show()
                || (self.side == Side::Right && stacked(monitor))
            {
                ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
            }
        }
        self.app.logic(ctx, frame);
        if self.last_save.elapsed() >= self.app.auto_save_interval() {
            self.last_save = Instant::now();
            self.settings.save(ctx, &mut self.app);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.settings_note_ui(ui);
        self.app.ui(ui, frame);
    }

    fn on_exit(&mut self, gl: Option<&eframe::glow::Context>) {
        self.settings.save(&self.ctx, &mut self.app);
        self.settings.finish();
        self.app.on_exit(gl);
    }
}

/// Opens a window and runs it until it is closed. `build` gets the settings remembered from
/// the last run (if any) and makes the app. They are read before the window opens, from a
/// folder of this user's only ([`SettingsStore::for_window`]); when they may not be, the
/// window starts from its defaults, saves nothing, and says why above its view.
///
/// # Errors
/// When the window cannot open (no display, no GL) or `build` fails.
pub fn open_window<S, A, E>(
    app_name: &str,
    title: &str,
    side: Side,
    build: impl FnOnce(Option<S>) -> Result<A, E> + 'static,
) -> Result<(), String>
where
    S: serde::de::DeserializeOwned,
    A: eframe::App + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut settings = SettingsStore::for_window(&app_id(title));
    eframe::run_native(
        app_name,
        native_options(title),
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            serversocket_app::shutdown::close_window_on_stop_signal(move || {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                ctx.request_repaint();
            });
            // egui's memory first, as eframe restored it: the theme below is chosen over it.
            settings.restore_memory(&cc.egui_ctx);
            crate::theme::apply(&cc.egui_ctx);
            let remembered = eframe::get_value(&settings, eframe::APP_KEY);
            let settings_note = settings.take_problem();
            Ok(Box::new(Placed {
                app: build(remembered)?,
                side,
                placed: false,
                settings,
                ctx: cc.egui_ctx.clone(),
                last_save: Instant::now(),
                settings_note,
            }))
        }),
    )
    .map_err(|error| why_no_window(&error.to_string()))
}

/// Why the window could not open, in words, with the way to run without one. winit's own
/// message names the line of its source that failed (`os error at /root/.cargo/…/mod.rs:765:
/// …`), which is for its developers: only what follows is kept.
fn why_no_window(error: &str) -> String {
    let said = match (error.find("os error at "), error.find(".rs:")) {
        (Some(start), Some(source)) if source > start => {
            let rest = &error[source + ".rs:".len()..];
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!(
                "{}{}",
                &error[..start],
                rest.trim_start_matches(':').trim_start()
            )
        }
        _ => error.to_owned(),
    };
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if !set("DISPLAY") && !set("WAYLAND_DISPLAY") && !set("WAYLAND_SOCKET") {
        return "the window could not open: there is no display here (neither DISPLAY nor \
                WAYLAND_DISPLAY is set); run it on a desktop, or use --headless to run it in \
                the terminal"
            .to_owned();
    }
    format!("the window could not open: {said} (--headless runs it in the terminal)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn why_no_window_keeps_winits_words_without_its_source_line() {
        let said = why_no_window(
            "winit EventLoopError: os error at /root/.cargo/registry/src/x/winit-0.30.13/src/platform_impl/linux/mod.rs:765: neither WAYLAND_DISPLAY nor WAYLAND_SOCKET nor DISPLAY is set.",
        );
        assert!(!said.contains(".cargo"), "{said}");
        assert!(said.contains("--headless"), "{said}");
    }

    fn fits(place: Placement, monitor: egui::Vec2) -> bool {
        place.position.x + place.size.x <= monitor.x
            && place.position.y + place.size.y + DECORATIONS <= monitor.y
    }

    #[test]
    fn on_a_wide_screen_the_windows_sit_side_by_side() {
        let monitor = egui::vec2(1366.0, 768.0);
        let left = placement(monitor, Side::Left);
        let right = placement(monitor, Side::Right);
        assert!(
            left.position.x + left.size.x <= right.position.x,
            "no overlap"
        );
        assert!(fits(left, monitor) && fits(right, monitor));
        assert!(left.size.x >= SIDE_BY_SIDE_WIDTH);
    }

    #[test]
    fn on_a_small_screen_each_window_takes_the_screen_and_fits_on_it() {
        for monitor in [egui::vec2(1024.0, 600.0), egui::vec2(800.0, 600.0)] {
            for side in [Side::Left, Side::Right] {
                let place = placement(monitor, side);
                assert!(fits(place, monitor), "{side:?} on {monitor:?}: {place:?}");
                assert!(place.size.x >= monitor.x - DECORATIONS, "{place:?}");
            }
        }
    }

    #[test]
    fn the_windows_stand_one_behind_the_other_only_on_a_small_screen() {
        assert!(stacked(egui::vec2(1024.0, 600.0)));
        assert!(stacked(egui::vec2(800.0, 600.0)));
        assert!(!stacked(egui::vec2(1366.0, 768.0)));
    }

    #[test]
    fn the_icon_decodes() {
        let icon = eframe::icon_data::from_png_bytes(ICON).expect("the icon is a PNG");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert!(
            native_options("ServerSocket server")
                .viewport
                .icon
                .is_some()
        );
    }
}

//! How both windows open: their size, where they stand, and the app icon. The two windows are
//! sized to sit side by side on a 1366×768 screen, the server at the left.

use std::sync::Arc;

/// Each window's width and height at first start (later starts restore what the user chose).
const SIZE: [f32; 2] = [680.0, 720.0];
/// The smallest size at which everything still fits.
const MIN_SIZE: [f32; 2] = [480.0, 400.0];
/// The app icon: a listening socket above its pool (two connected, two idle).
const ICON: &[u8] = include_bytes!("../../../assets/icon.png");

/// Which of the two windows, and so where it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The server window, at the left.
    Left,
    /// The client window, beside it.
    Right,
}

/// The options to open one of the windows with.
#[must_use]
pub fn native_options(title: &str, side: Side) -> eframe::NativeOptions {
    let x = match side {
        Side::Left => 0.0,
        Side::Right => SIZE[0] + 6.0,
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(title)
        .with_app_id(title.to_lowercase().replace([' ', '—'], ""))
        .with_inner_size(SIZE)
        .with_min_inner_size(MIN_SIZE)
        .with_position([x, 0.0]);
    // The icon is ours and known good; if it ever failed to decode, the OS's default will do.
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON) {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    eframe::NativeOptions {
        viewport,
        ..Default::default()
    }
}

/// Opens a window and runs it until it is closed. `build` gets the settings remembered from
/// the last run (if any) and makes the app.
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
    eframe::run_native(
        app_name,
        native_options(title, side),
        Box::new(move |cc| {
            let remembered = cc
                .storage
                .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY));
            Ok(Box::new(build(remembered)?))
        }),
    )
    .map_err(|error| format!("the window could not open: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_decodes_and_the_windows_sit_side_by_side() {
        let icon = eframe::icon_data::from_png_bytes(ICON).expect("the icon is a PNG");
        assert_eq!((icon.width, icon.height), (256, 256));
        let left = native_options("ServerSocket server", Side::Left).viewport;
        let right = native_options("ServerSocket client", Side::Right).viewport;
        let (Some(l), Some(r), Some(size)) = (left.position, right.position, left.inner_size)
        else {
            panic!("positions and size are set");
        };
        assert!(l.x + size.x <= r.x, "the windows do not overlap");
        assert!(r.x + size.x <= 1366.0, "both fit on a 1366 px screen");
        assert!(left.icon.is_some());
    }
}

//! The system's "Save as" dialog, asked on a thread of its own so the window keeps drawing
//! while it is open. It goes through the XDG desktop portal (D-Bus), which needs no GTK or
//! other system library; where no portal answers, the answer is "no file", and the window
//! says so and keeps its path field to type into.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// What became of a dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// Still open.
    Waiting,
    /// The user chose this file.
    File(PathBuf),
    /// No file: the user cancelled, or there is no system file dialog here.
    Nothing,
}

/// A "Save as" dialog under way.
#[derive(Debug, Clone)]
pub struct SaveDialog {
    chosen: Arc<Mutex<Chosen>>,
}

impl SaveDialog {
    /// Opens the dialog for a file first named as `suggested` (its folder and file name);
    /// `ctx` is repainted when the answer comes.
    #[must_use]
    pub fn open(title: &str, suggested: &Path, ctx: &egui::Context) -> Self {
        let chosen = Arc::new(Mutex::new(Chosen::Waiting));
        let answer = Arc::clone(&chosen);
        let ctx = ctx.clone();
        let mut dialog = rfd::FileDialog::new()
            .set_title(title)
            .add_filter("NDJSON", &["ndjson", "json"]);
        if let Some(folder) = suggested.parent() {
            dialog = dialog.set_directory(folder);
        }
        if let Some(name) = suggested.file_name() {
            dialog = dialog.set_file_name(name.to_string_lossy());
        }
        let started = std::thread::Builder::new()
            .name("save-dialog".to_owned())
            .spawn(move || {
                let file = dialog.save_file();
                *answer.lock().unwrap_or_else(PoisonError::into_inner) =
                    file.map_or(Chosen::Nothing, Chosen::File);
                ctx.request_repaint();
            });
        if started.is_err() {
            *chosen.lock().unwrap_or_else(PoisonError::into_inner) = Chosen::Nothing;
        }
        Self { chosen }
    }

    /// The answer so far.
    #[must_use]
    pub fn chosen(&self) -> Chosen {
        self.chosen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

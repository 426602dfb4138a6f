//! What a window remembers between runs (its settings, and egui's memory: which sections are
//! open, how wide a column is), kept in [`serversocket_files::settings_file`] rather than in
//! eframe's own file: eframe left that readable by every user, wrote through a symlink planted
//! at its name, read whatever another user put there, and waited on a FIFO before the window
//! showed. The file is read before the window opens, saved every half minute and when the
//! window closes (off the UI thread), and when it may not be used the window says why once.

use std::collections::BTreeMap;
use std::path::Path;
use std::thread::JoinHandle;

use serversocket_files::settings_file::{SettingsFile, SettingsFileError};

/// eframe's key for egui's memory, so that what earlier versions saved is kept.
const EGUI_MEMORY_KEY: &str = "egui";

/// A window's remembered settings, as eframe's storage: the apps' `save` fills it as it would
/// eframe's.
pub struct SettingsStore {
    /// What was read, and what will be saved, by eframe's keys ([`eframe::APP_KEY`] and egui's
    /// memory): the file holds this map, as eframe's did.
    values: BTreeMap<String, String>,
    /// Where they are saved; `None` when the folder or the file was refused: then nothing is
    /// saved this run, and nothing is written where another user may have pointed us.
    file: Option<SettingsFile>,
    /// Changed since the last save.
    dirty: bool,
    /// The save under way, on a thread of its own: a slow disk never holds a frame.
    saving: Option<JoinHandle<Result<(), SettingsFileError>>>,
    /// Why the settings were not read, or not saved, for the window to show (taken once).
    problem: Option<String>,
    /// The last failed save's words: said once, not again every half minute.
    last_failure: Option<String>,
}

impl SettingsStore {
    /// The settings of the window whose app id is `app_id`, in its data folder
    /// (`$XDG_DATA_HOME/APP_ID`, else `~/.local/share/APP_ID`: where eframe kept them).
    /// Why they could not be read is said on stderr here, and by [`SettingsStore::take_problem`]
    /// for the window.
    #[must_use]
    pub fn for_window(app_id: &str) -> Self {
        let store = Self::in_folder(&serversocket::tls::data_folder(app_id));
        if let Some(problem) = &store.problem {
            serversocket_files::say!("{problem}");
        }
        store
    }

    /// The settings kept in `folder`: read if the folder and the file may be used (see
    /// [`SettingsFile::open`]), else none, and nothing saved this run.
    #[must_use]
    pub fn in_folder(folder: &Path) -> Self {
        let mut store = Self {
            values: BTreeMap::new(),
            file: None,
            dirty: false,
            saving: None,
            problem: None,
            last_failure: None,
        };
        match SettingsFile::open(folder) {
            Ok((file, contents)) => {
                if let Some(contents) = contents {
                    match parse(&contents) {
                        Ok(values) => store.values = values,
                        // Ours, in our folder, and damaged (a crash while an old version wrote
                        // it in place): the window starts afresh and saves over it.
                        Err(why) => {
                            store.problem = Some(format!(
                                "The settings in {} could not be read ({why}): the window \
                                 starts from its defaults and saves over them when it closes.",
                                file.path().display()
                            ));
                        }
                    }
                }
                store.file = Some(file);
            }
            Err(refused) => {
                store.problem = Some(format!(
                    "Settings are not read, nor saved, this run: {refused}."
                ));
            }
        }
        store
    }

    /// Why the settings were not read or not saved, once: the window shows it until dismissed.
    pub fn take_problem(&mut self) -> Option<String> {
        self.problem.take()
    }

    /// Gives `ctx` egui's memory as the last run left it, as eframe did before the window's
    /// first frame.
    pub fn restore_memory(&self, ctx: &egui::Context) {
        if let Some(memory) = eframe::get_value::<egui::Memory>(self, EGUI_MEMORY_KEY) {
            ctx.memory_mut(|current| *current = memory);
        }
    }

    /// Takes what `app` remembers (and egui's memory, unless the app keeps none) and starts
    /// saving it, as eframe does every half minute and as the window closes.
    pub fn save(&mut self, ctx: &egui::Context, app: &mut dyn eframe::App) {
        if app.persist_egui_memory() {
            ctx.memory(|memory| eframe::set_value(self, EGUI_MEMORY_KEY, memory));
        }
        app.save(self);
        eframe::Storage::flush(self);
    }

    /// Waits for the saves under way, and makes the last one if it had to wait for an earlier
    /// one: the window is closing, and what it remembers must be on disk before it goes.
    pub fn finish(&mut self) {
        self.wait();
        eframe::Storage::flush(self);
        self.wait();
    }

    /// Waits for the save under way, if any, and says if it failed.
    fn wait(&mut self) {
        if let Some(saving) = self.saving.take() {
            self.saved(saving.join());
        }
    }

    /// Says, once, that a save failed (a folder opened to others since the window started, a
    /// full disk): on stderr and in the window.
    fn saved(&mut self, outcome: std::thread::Result<Result<(), SettingsFileError>>) {
        let failure = match outcome {
            Ok(Ok(())) => {
                self.last_failure = None;
                return;
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) => "the thread that saves them stopped".to_owned(),
        };
        if self.last_failure.as_ref() != Some(&failure) {
            let said = format!("Settings not saved: {failure}.");
            serversocket_files::say!("{said}");
            self.problem = Some(said);
            self.last_failure = Some(failure);
        }
    }
}

/// The map the file holds (eframe's format: each key's value is itself RON).
fn parse(contents: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let text = std::str::from_utf8(contents).map_err(|error| error.to_string())?;
    ron::from_str(text).map_err(|error| error.to_string())
}

impl eframe::Storage for SettingsStore {
    fn get_string(&self, key: &str) -> Option<String> {
        self.values.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        if self.values.get(key) != Some(&value) {
            self.values.insert(key.to_owned(), value);
            self.dirty = true;
        }
    }

    fn remove_string(&mut self, key: &str) {
        if self.values.remove(key).is_some() {
            self.dirty = true;
        }
    }

    /// Starts saving what changed on a thread of its own; while an earlier save is still
    /// under way, this one waits for the next flush rather than holding the frame.
    fn flush(&mut self) {
        if self.saving.as_ref().is_some_and(JoinHandle::is_finished) {
            self.wait();
        }
        if !self.dirty || self.saving.is_some() {
            return;
        }
        let Some(file) = self.file.clone() else {
            return;
        };
        let text = match ron::ser::to_string_pretty(&self.values, ron::ser::PrettyConfig::default())
        {
            Ok(text) => text,
            Err(error) => {
                self.saved(Ok(Err(SettingsFileError::Io {
                    path: file.path().to_owned(),
                    source: std::io::Error::other(error),
                })));
                return;
            }
        };
        self.dirty = false;
        let path = file.path().to_owned();
        let spawned = std::thread::Builder::new()
            .name("settings-save".to_owned())
            .spawn(move || file.save(text.as_bytes()));
        match spawned {
            Ok(saving) => self.saving = Some(saving),
            Err(error) => {
                self.dirty = true;
                self.saved(Ok(Err(SettingsFileError::Io {
                    path,
                    source: error,
                })));
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::PathBuf;

    use eframe::Storage as _;

    use super::*;

    /// A folder of the test's own in the temp folder, holding a settings folder `name`.
    fn scratch(name: &str) -> (PathBuf, PathBuf) {
        let root =
            std::env::temp_dir().join(format!("serversocket-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let folder = root.join("serversocketclient");
        (root, folder)
    }

    /// What eframe 0.37 wrote: a pretty RON map whose values are RON.
    const EFRAME_FILE: &str = "{\n    \"app\": \"(address:\\\"10.0.0.1\\\")\",\n}";

    /// What earlier versions saved is read, and what the window saves is read by the next
    /// run, from a file only this user can read.
    #[test]
    fn what_a_run_saves_the_next_one_reads() {
        let (root, folder) = scratch("round-trip");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("app.ron"), EFRAME_FILE).unwrap();
        let mut store = SettingsStore::in_folder(&folder);
        assert_eq!(store.take_problem(), None);
        assert_eq!(
            store.get_string(eframe::APP_KEY).as_deref(),
            Some("(address:\"10.0.0.1\")")
        );
        store.set_string(eframe::APP_KEY, "(address:\"127.0.0.1\")".to_owned());
        store.finish();
        let path = folder.join("app.ron");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let next = SettingsStore::in_folder(&folder);
        assert_eq!(
            next.get_string(eframe::APP_KEY).as_deref(),
            Some("(address:\"127.0.0.1\")")
        );
        fs::remove_dir_all(&root).unwrap();
    }

    /// Settings in a folder every user may write into (another user's plant) are not read,
    /// the window is told why, and nothing is written there when it closes.
    #[test]
    fn settings_in_a_folder_others_may_write_are_neither_read_nor_saved() {
        let (root, folder) = scratch("planted");
        fs::create_dir(&folder).unwrap();
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o777)).unwrap();
        let planted = folder.join("app.ron");
        fs::write(&planted, EFRAME_FILE).unwrap();
        let mut store = SettingsStore::in_folder(&folder);
        assert_eq!(store.get_string(eframe::APP_KEY), None);
        let problem = store.take_problem().expect("the window is told");
        assert!(
            problem.contains("not read, nor saved") && problem.contains("chmod 700"),
            "{problem}"
        );
        assert_eq!(store.take_problem(), None, "said once");
        store.set_string(eframe::APP_KEY, "(history:[\"secret\"])".to_owned());
        store.finish();
        assert_eq!(fs::read_to_string(&planted).unwrap(), EFRAME_FILE);
        assert_eq!(
            fs::read_dir(&folder).unwrap().count(),
            1,
            "nothing beside it"
        );
        fs::remove_dir_all(&root).unwrap();
    }

    /// A symlink at the settings' name: its target is neither read nor written.
    #[test]
    fn a_symlink_at_the_settings_name_is_neither_read_nor_written_through() {
        let (root, folder) = scratch("link");
        fs::create_dir(&folder).unwrap();
        let canary = root.join("canary");
        fs::write(&canary, EFRAME_FILE).unwrap();
        std::os::unix::fs::symlink(&canary, folder.join("app.ron")).unwrap();
        let mut store = SettingsStore::in_folder(&folder);
        assert_eq!(store.get_string(eframe::APP_KEY), None);
        let problem = store.take_problem().expect("the window is told");
        assert!(problem.contains("symlink"), "{problem}");
        store.set_string(eframe::APP_KEY, "()".to_owned());
        store.finish();
        assert_eq!(fs::read_to_string(&canary).unwrap(), EFRAME_FILE);
        assert!(
            fs::symlink_metadata(folder.join("app.ron"))
                .unwrap()
                .is_symlink()
        );
        fs::remove_dir_all(&root).unwrap();
    }

    /// A file of ours that is not RON (cut short by a crash) starts the window afresh, says
    /// so, and is saved over.
    #[test]
    fn a_damaged_file_is_said_and_saved_over() {
        let (root, folder) = scratch("damaged");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("app.ron"), "{\n    \"app\": \"(addr").unwrap();
        let mut store = SettingsStore::in_folder(&folder);
        assert_eq!(store.get_string(eframe::APP_KEY), None);
        let problem = store.take_problem().expect("the window is told");
        assert!(problem.contains("could not be read"), "{problem}");
        store.set_string(eframe::APP_KEY, "()".to_owned());
        store.finish();
        let next = SettingsStore::in_folder(&folder);
        assert_eq!(next.get_string(eframe::APP_KEY).as_deref(), Some("()"));
        fs::remove_dir_all(&root).unwrap();
    }
}

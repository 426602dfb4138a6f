//! The attacks of a second user of the machine, run as a real second Unix user the test makes
//! (`useradd`): they make our folders first, plant positions, keys and symlinks, and the test
//! checks that nothing of theirs is read, nothing of ours is written through their links, and
//! that what we make is ours and private (0700 folders, 0600 files).
//!
//! Making a user needs root (CI runs as root); elsewhere, or without `useradd` and `setpriv`,
//! each test says it was skipped and checks only what it can as this user.

#![cfg(unix)]
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serversocket::tls::ServerTls;
use serversocket_files::private_files::{
    create_new_private, ensure_private_folder, open_private_append, write_private_file,
};
use serversocket_lessons::Side;
use serversocket_lessons::sync::{LessonSync, Position};
use test_support::other_user::{as_other, other_user};

/// A shared temporary folder like /tmp (world-writable, sticky), of this test's own.
fn shared_temp(name: &str) -> PathBuf {
    let dir = test_support::empty_folder(&format!("shared-{name}"));
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777)).unwrap();
    dir
}

/// What each attack starts from: the other user, a shared folder as the temporary folder is,
/// and a file of ours in it that anyone may write (0666), which nothing may write through a
/// link of theirs.
struct Scene {
    other: (u32, u32),
    temp: PathBuf,
    victim: PathBuf,
}

/// The scene of the attack `name`; `None` (said on stderr) where no second user can be made.
fn scene(name: &str) -> Option<Scene> {
    let other = other_user()?;
    let temp = shared_temp(name);
    let victim = temp.join("ours.txt");
    fs::write(&victim, "precious").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o666)).unwrap();
    Some(Scene {
        other,
        temp,
        victim,
    })
}

impl Scene {
    /// Our file is as it was: nothing was written through a link of theirs.
    fn assert_ours_untouched(&self) {
        assert_eq!(fs::read_to_string(&self.victim).unwrap(), "precious");
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.temp);
    }
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o777
}

/// The other user makes the lessons' shared folder first, open to all, with a position in
/// it that names a live process (pid 1) and a link where our window writes. Our window reads
/// nothing of it, writes nothing through it, and its own file is untouched.
#[test]
fn a_lessons_folder_made_first_by_another_user_is_neither_read_nor_written() {
    let Some(scene) = scene("lessons") else {
        return;
    };
    let theirs = scene.temp.join("serversocket-0/serversocket-lessons");
    as_other(
        scene.other,
        &format!(
            "mkdir -p {dir} && chmod 777 {dir} {dir}/.. && \
             printf '%s' '{{\"position\":{{\"lesson\":\"tls\",\"step\":3,\"started\":1}},\"writer\":1}}' > {dir}/client.json && \
             ln -s {victim} {dir}/server.json && \
             ln -s {victim} {dir}/server.json.new-{pid}",
            dir = theirs.display(),
            victim = scene.victim.display(),
            pid = std::process::id(),
        ),
    );
    let sync = LessonSync::new(&theirs);
    assert_eq!(
        sync.read(Side::Client),
        None,
        "a planted position is not read"
    );
    let position = Position {
        lesson: "listening".to_owned(),
        step: 0,
        started: 1,
        answers: Vec::new(),
        skipped: Vec::new(),
        done_at: Vec::new(),
        server_port: None,
    };
    let refused = sync.write(Side::Server, &position).unwrap_err();
    assert!(refused.to_string().contains("another user"), "{refused}");
    scene.assert_ours_untouched();
    assert!(ensure_private_folder(theirs.parent().unwrap()).is_err());
}

/// The other user plants a certificate and key in the folder our self-signed one would go in
/// (the temp folder's `serversocket-UID/serversocket`, used with neither `XDG_DATA_HOME` nor
/// `HOME`), and a link at the key's name: neither is served, nothing is written through the
/// link. In a folder of our own the key we write is 0600 and the folder 0700.
#[test]
fn a_certificate_planted_by_another_user_is_not_served_and_our_key_is_private() {
    let Some(scene) = scene("tls") else {
        return;
    };
    let theirs = scene.temp.join("serversocket-0/serversocket");
    as_other(
        scene.other,
        &format!(
            "mkdir -p {dir} && chmod 755 {dir} && \
             openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
               -keyout {dir}/tls-key.pem -out {dir}/tls-cert.pem 2>/dev/null && \
             chmod 600 {dir}/tls-key.pem && ln -s {victim} {dir}/tls-key.pem.new-{pid}",
            dir = theirs.display(),
            victim = scene.victim.display(),
            pid = std::process::id(),
        ),
    );
    let refused = ServerTls::self_signed_in(&theirs).unwrap_err().to_string();
    assert!(refused.contains("another user"), "{refused}");
    scene.assert_ours_untouched();

    let ours = scene.temp.join("ours");
    let tls = ServerTls::self_signed_in(&ours).expect("a folder of our own");
    assert!(!tls.fingerprint().is_empty());
    assert_eq!(mode(&ours), 0o700);
    assert_eq!(mode(&ours.join("tls-key.pem")), 0o600);
    assert_eq!(fs::metadata(ours.join("tls-key.pem")).unwrap().uid(), 0);
}

/// The other user makes only the temp folder's `serversocket-UID`, open to all, before we
/// keep our certificate in its `serversocket`: our folder inside it would be ours and
/// private, but they could move it away and put theirs in its place, so it is not used.
#[test]
fn a_folder_of_ours_inside_one_another_user_made_first_is_not_used() {
    let Some(scene) = scene("tls-holder") else {
        return;
    };
    let holder = scene.temp.join("serversocket-0");
    as_other(
        scene.other,
        &format!("mkdir {dir} && chmod 777 {dir}", dir = holder.display()),
    );
    let ours = holder.join("serversocket");
    let refused = ServerTls::self_signed_in(&ours).unwrap_err().to_string();
    assert!(
        refused.contains("which holds") && refused.contains("another user"),
        "{refused}"
    );
    assert!(
        fs::symlink_metadata(&ours).is_err(),
        "nothing was made in their folder"
    );
}

/// The other user makes the windows' settings folders first, as the tester did under a shared
/// `XDG_DATA_HOME`: the server's open to all with a link at `app.ron` to a file of ours, the
/// client's their own with settings that point our client at their address, insecure. Neither
/// is read; a save writes nothing through their link, nor anything in their folders.
#[test]
fn settings_folders_another_user_made_first_are_neither_read_nor_written() {
    use serversocket_files::settings_file::{SettingsFile, SettingsFileError};
    let Some(scene) = scene("settings") else {
        return;
    };
    let data = scene.temp.join("shared-data");
    as_other(
        scene.other,
        &format!(
            "mkdir -m 777 {data} {data}/serversocketserver && \
             ln -s {victim} {data}/serversocketserver/app.ron && \
             mkdir {data}/serversocketclient && \
             printf '%s' '{{\"app\": \"(address:\\\"10.9.9.9\\\")\"}}' \
               > {data}/serversocketclient/app.ron",
            data = data.display(),
            victim = scene.victim.display(),
        ),
    );
    assert!(
        fs::read_to_string(data.join("serversocketclient/app.ron"))
            .unwrap()
            .contains("10.9.9.9"),
        "planted"
    );
    for side in ["serversocketserver", "serversocketclient"] {
        let refused = SettingsFile::open(&data.join(side)).unwrap_err();
        assert!(
            matches!(refused, SettingsFileError::Folder { .. })
                && refused.to_string().contains("another user"),
            "{side}: {refused}"
        );
    }
    scene.assert_ours_untouched();
    assert_eq!(
        fs::read_dir(data.join("serversocketclient"))
            .unwrap()
            .count(),
        1,
        "nothing of ours made in their folder"
    );
}

/// The other user puts links in a shared folder where we save a log, an export and a file
/// made new: none is written through; what we make there is ours and 0600.
#[test]
fn links_another_user_plants_for_our_log_and_export_are_not_followed() {
    let Some(scene) = scene("files") else {
        return;
    };
    as_other(
        scene.other,
        &format!(
            "ln -s {victim} {dir}/server.log && ln -s {victim} {dir}/export.ndjson && \
             ln -s {victim} {dir}/new.txt",
            dir = scene.temp.display(),
            victim = scene.victim.display(),
        ),
    );
    assert!(open_private_append(&scene.temp.join("server.log")).is_err());
    assert!(create_new_private(&scene.temp.join("new.txt")).is_err());
    let export = scene.temp.join("export.ndjson");
    write_private_file(&export, b"{}\n").unwrap();
    scene.assert_ours_untouched();
    let made = fs::symlink_metadata(&export).unwrap();
    assert!(made.is_file(), "the link was replaced by our own file");
    assert_eq!((made.uid(), made.mode() & 0o777), (0, 0o600));
}

/// Without `XDG_RUNTIME_DIR`, the other user makes `serversocket-UID` in the temp folder
/// first. Our windows then meet in a folder of the user's cache instead, say so, and both
/// find the same one: run in a child process with its own environment
/// (`runtime_folder_in_this_environment` below), since the environment is the process's.
#[test]
fn a_runtime_folder_taken_by_another_user_falls_back_to_the_users_cache() {
    let Some(other) = other_user() else {
        return;
    };
    let temp = shared_temp("runtime");
    let home = temp.join("home");
    fs::create_dir_all(&home).unwrap();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
    as_other(
        other,
        &format!(
            "mkdir -p {dir}/serversocket-0/serversocket-lessons && chmod 777 {dir}/serversocket-0",
            dir = temp.display()
        ),
    );
    let child = || {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "runtime_folder_in_this_environment",
                "--nocapture",
            ])
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env("TMPDIR", &temp)
            .env("HOME", &home)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{printed}");
        printed
    };
    let first = child();
    let fallback = home.join(".cache/serversocket-run");
    assert!(
        first.contains(&format!("folder: {}", fallback.display())),
        "{first}"
    );
    assert!(
        first.contains("note: ") && first.contains("another user"),
        "{first}"
    );
    assert_eq!(mode(&fallback), 0o700);
    // The other window, started the same way, finds the same folder.
    assert!(child().contains(&format!("folder: {}", fallback.display())));
    fs::remove_dir_all(&temp).unwrap();
}

/// In whatever environment it runs (the one above gives it one), the runtime folder the
/// windows use is this user's and closed to others; prints it for the test above.
#[test]
fn runtime_folder_in_this_environment() {
    let folder = LessonSync::default_dir();
    let parent = folder.parent().unwrap();
    ensure_private_folder(parent).expect("private");
    let meta = fs::metadata(parent).unwrap();
    assert_eq!(meta.uid(), rustix::process::geteuid().as_raw());
    assert_eq!(meta.mode() & 0o022, 0, "closed to others' writes");
    println!("folder: {}", parent.display());
    if let Some(note) = LessonSync::default_dir_note() {
        println!("note: {note}");
    }
}

/// A lab's homes sit in a folder an administrator's account owns (`/home/students`): the walk
/// over the folders that hold a private one stops at the home folder, as OpenSSH's does, so a
/// folder in the home is used; the same folder with the home elsewhere is refused, since that
/// account could move it away. Run in child processes with their own HOME
/// (`private_folder_in_this_environment` below).
#[test]
fn a_home_inside_a_folder_of_another_account_is_used_up_to_the_home() {
    let Some(scene) = scene("homes") else {
        return;
    };
    let students = scene.temp.join("students");
    as_other(
        scene.other,
        &format!("mkdir {dir} && chmod 755 {dir}", dir = students.display()),
    );
    // Root makes the student's home in the administrator's folder, as `useradd` would.
    let home = students.join("me");
    fs::create_dir(&home).unwrap();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
    let folder = home.join(".local/share/serversocket");
    let child = |home: &Path| {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "private_folder_in_this_environment",
                "--nocapture",
            ])
            .env("HOME", home)
            .env("SERVERSOCKET_TEST_FOLDER", &folder)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let at_home = child(&home);
    assert!(at_home.contains("private: yes"), "{at_home}");
    assert_eq!(mode(&folder), 0o700);
    fs::remove_dir_all(home.join(".local")).unwrap();
    let elsewhere = child(&scene.temp);
    assert!(
        elsewhere.contains("private: no") && elsewhere.contains("another user"),
        "{elsewhere}"
    );
}

/// In whatever environment it runs (the test above gives it one): whether the folder named by
/// `SERVERSOCKET_TEST_FOLDER` can be kept private, printed; without it, a folder of this test's
/// own in the temp folder must be.
#[test]
fn private_folder_in_this_environment() {
    if let Some(folder) = std::env::var_os("SERVERSOCKET_TEST_FOLDER") {
        match ensure_private_folder(Path::new(&folder)) {
            Ok(()) => println!("private: yes"),
            Err(refused) => println!("private: no: {refused}"),
        }
    } else {
        let own = test_support::empty_folder("private-here").join("kept");
        ensure_private_folder(&own).expect("a folder of our own in the temp folder");
        assert_eq!(mode(&own), 0o700);
    }
}

/// A lessons folder that belongs to another user (`--lessons` of theirs) is said, in the
/// words of a key of theirs: they can change what a learner is told, or replace a shipped
/// lesson. Its lessons load all the same: a person chose the folder.
#[test]
fn a_lessons_folder_of_another_user_is_said() {
    let Some(scene) = scene("lessons-folder") else {
        return;
    };
    let theirs = scene.temp.join("their-lessons");
    fs::create_dir(&theirs).unwrap();
    fs::write(
        theirs.join("01-listening.toml"),
        "title = \"Theirs\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n",
    )
    .unwrap();
    fs::set_permissions(&theirs, fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(&theirs, Some(scene.other.0), Some(scene.other.1)).unwrap();
    let catalog = serversocket_lessons::catalog(Some(&theirs));
    assert_eq!(
        catalog.warnings,
        [format!(
            "warning: the lessons folder {0} belongs to another user (uid {1}), who can change \
             it (mode 755): use a copy of your own, `cp -r {0} MY-COPY`",
            theirs.display(),
            scene.other.0
        )]
    );
    assert_eq!(catalog.lessons[0].title, "Theirs", "still used");

    // A lesson file of theirs in a folder of ours: a file is copied with `cp`, not `cp -r`.
    let ours = scene.temp.join("our-lessons");
    fs::create_dir(&ours).unwrap();
    fs::set_permissions(&ours, fs::Permissions::from_mode(0o755)).unwrap();
    let file = ours.join("02-the-pool.toml");
    fs::copy(theirs.join("01-listening.toml"), &file).unwrap();
    std::os::unix::fs::chown(&file, Some(scene.other.0), Some(scene.other.1)).unwrap();
    let warnings = serversocket_lessons::catalog(Some(&ours)).warnings;
    assert!(
        warnings.iter().any(|warning| warning.ends_with(&format!(
            "use a copy of your own, `cp {} MY-COPY`",
            file.display()
        ))),
        "{warnings:?}"
    );

    // A folder of ours, and a key of ours, inside a folder of theirs: they can put others in
    // their place. Said once, of the folder, not of each file in it.
    let inside = theirs.join("ours-inside");
    fs::create_dir(&inside).unwrap();
    fs::set_permissions(&inside, fs::Permissions::from_mode(0o755)).unwrap();
    fs::copy(
        theirs.join("01-listening.toml"),
        inside.join("01-listening.toml"),
    )
    .unwrap();
    let warnings = serversocket_lessons::catalog(Some(&inside)).warnings;
    assert_eq!(
        warnings,
        [format!(
            "warning: the lessons folder {} can be replaced by another user: {}, which holds \
             {}, belongs to another user (uid {}), who could replace what is in it: use a copy \
             in a folder of your own",
            inside.display(),
            theirs.display(),
            inside.display(),
            scene.other.0
        )]
    );
    let key = inside.join("key.pem");
    fs::write(&key, "-----BEGIN PRIVATE KEY-----\n").unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    let warning =
        serversocket::tls::file_warning(&key, serversocket::tls::TlsFile::Key).expect("warned");
    assert!(
        warning.starts_with(&format!(
            "warning: the key {} can be replaced by another user: {}, which holds {}, belongs \
             to another user",
            key.display(),
            theirs.display(),
            key.display()
        )),
        "{warning}"
    );
}

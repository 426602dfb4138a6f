//! Every control labelled, Tab and Enter and Space, the TLS choice remembered for the next run,
//! and the button that brings the client app's window to the front, or starts the client app.

use std::net::TcpStream;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use test_support::kittest;

use super::{logged, run_until, serving_one_client, window, window_with};
use crate::window::{ServerSettings, ServerWindow};
use test_support::kittest::click;

/// The server window with every optional part shown: TLS from files, the Lessons panel, the
/// concepts, the Stream view, the log file row, a connection selected (its details pane).
fn everything_shown() -> (Harness<'static, ServerWindow>, TcpStream) {
    let (mut harness, client) = serving_one_client(2, 10);
    harness.get_by_label("Stop Listening").click();
    harness.run_steps(2);
    for toggle in ["TLS", "files", "Lessons", "Stream", "Log file…"] {
        harness.get_by_label(toggle).click();
        harness.run_steps(2);
    }
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Concepts")
        .click();
    harness.run_steps(2);
    harness.state_mut().log_view.toggle_socket(SocketId(0));
    harness.run_steps(2);
    (harness, client)
}

#[test]
fn every_control_of_the_server_window_has_a_label() {
    let (mut harness, _client) = everything_shown();
    kittest::assert_shown(
        &harness,
        &[
            ("certificate", "the TLS files"),
            ("Text for socket 0", "details"),
        ],
    );
    for tab in ["Pool tiles", "Timeline", "Kernel queue"] {
        harness.get_by_label(tab).click();
        harness.run_steps(2);
        let unlabelled = kittest::unlabelled_controls(&harness);
        assert!(unlabelled.is_empty(), "with {tab}: {unlabelled:#?}");
    }
}

#[test]
fn tab_reaches_listen_and_enter_presses_it_space_toggles_the_concepts() {
    let mut harness = window(2, 10);
    harness.run_steps(2);
    kittest::press_by_keyboard(&mut harness, "Listen", egui::Key::Enter);
    // Until the kernel's first sample a chip is missing before Concepts: its appearing would
    // give Concepts another place in the row, and the focus would not follow.
    run_until(&mut harness, "listening, the kernel sampled", |w| {
        w.server.socket.is_listening() && w.server.kernel.queue().is_some()
    });
    kittest::press_by_keyboard(&mut harness, "Concepts", egui::Key::Space);
    harness.run_steps(2);
    assert!(
        harness.state().settings.show_concepts,
        "Space toggled the concepts"
    );
}

fn show_client_enabled(harness: &Harness<'_, ServerWindow>) -> bool {
    use egui_kittest::kittest::NodeT as _;
    !harness
        .get_by_label("Show the client window")
        .accesskit_node()
        .is_disabled()
}

#[test]
fn show_the_client_window_asks_the_client_app_to_come_to_the_front() {
    use serversocket_lessons::Side as LessonSide;
    use serversocket_ui::other_window::OtherWindow;
    let mut harness = window(2, 10);
    harness.run_steps(2);
    // A window of a test follows nothing: the button says the other app is out of reach.
    assert!(!show_client_enabled(&harness));

    let dir = test_support::empty_folder("server-window-other");
    harness.state_mut().shell.other = OtherWindow::linked(LessonSide::Server, &dir);
    // The client app's side, in a context of its own.
    let mut client = OtherWindow::linked(LessonSide::Client, &dir);
    let client_ctx = egui::Context::default();
    let mut client_frame = || kittest::frame_asks_focus(&client_ctx, |ctx| client.tick(ctx));
    assert!(!client_frame());
    let seen = kittest::frames_until(|| {
        harness.step();
        harness.state().shell.other.other_is_open()
    });
    assert!(seen, "the client app is seen open");
    assert!(show_client_enabled(&harness));
    harness.get_by_label("Show the client window").click();
    harness.step();
    assert!(
        kittest::frames_until(&mut client_frame),
        "the client window never asked for the focus"
    );
    // F6 does the same.
    harness.key_press(egui::Key::F6);
    harness.step();
    assert!(kittest::frames_until(&mut client_frame), "F6");
    drop(client);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn show_the_client_window_starts_the_client_app_when_none_runs() {
    use serversocket_lessons::Side as LessonSide;
    use serversocket_ui::other_window::OtherWindow;
    use std::os::unix::fs::PermissionsExt as _;

    let dir = test_support::empty_folder("server-window-start");
    let other = OtherWindow::linked(LessonSide::Server, &dir);
    // The client app as the button sees it: a program that says in the shared folder that its
    // window is open (its process id in `client.window`, as the app does), counts its starts,
    // and closes when the test says so (or after a minute, if the test died first).
    let stand_in = std::env::temp_dir().join(format!("client-stand-in-{}", std::process::id()));
    std::fs::write(
        &stand_in,
        format!(
            "#!/bin/sh\ncd '{dir}' || exit 1\necho started >> starts\ntrap 'rm -f client.window' EXIT\n\
             echo $$ > client.window.new && mv client.window.new client.window\n\
             i=0; while [ ! -e stop ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done\n",
            dir = dir.display()
        ),
    )
    .expect("the stand-in written");
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).expect("mode");
    let mut harness = window(2, 10);
    harness.state_mut().shell.other = other.starting(&stand_in);
    harness.run_steps(2);
    assert!(
        !harness.state().shell.other.other_is_open(),
        "no client yet"
    );
    assert!(
        show_client_enabled(&harness),
        "the button starts the client"
    );

    harness.get_by_label("Show the client window").click();
    harness.step();
    let came_up = kittest::frames_until(|| {
        harness.step();
        harness.state().shell.other.other_is_open()
    });
    assert!(came_up, "the client app never said its window is open");
    // A second click brings the running client forward instead of starting another.
    harness.get_by_label("Show the client window").click();
    harness.step();
    assert_eq!(
        std::fs::read_to_string(dir.join("starts")).expect("the stand-in ran"),
        "started\n"
    );
    assert!(dir.join("client.show").exists(), "asked to come forward");

    // The client closes: the window sees it gone, and may start it again.
    std::fs::write(dir.join("stop"), "").expect("stop");
    let gone = kittest::frames_until(|| {
        harness.step();
        !harness.state().shell.other.other_is_open()
    });
    assert!(gone, "the closed client is still seen open");
    drop(harness);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&stand_in);
}

#[test]
fn the_tls_choice_is_remembered_for_the_next_run() {
    let mut harness = window(2, 10);
    click(&mut harness, "TLS");
    click(&mut harness, "files");

    let next_run = kittest::next_run(harness.state_mut(), |settings: ServerSettings| {
        window_with(kittest::SIZE, settings)
    });
    let toggled = |label: &str| kittest::toggled(&next_run, label);
    assert_eq!(toggled("TLS"), Some(egui::accesskit::Toggled::True));
    assert_eq!(toggled("files"), Some(egui::accesskit::Toggled::True));
    assert_eq!(toggled("generate"), Some(egui::accesskit::Toggled::False));
}

/// The rectangles of the top row's controls, by label.
fn top_row(harness: &Harness<'_, ServerWindow>) -> Vec<(&'static str, egui::Rect)> {
    ["Concepts", "Stream", "Lessons", "Show the client window"]
        .into_iter()
        .map(|label| (label, harness.get_by_label(label).rect()))
        .collect()
}

#[test]
fn the_top_rows_controls_stay_where_they_are_when_the_server_listens() {
    // A small screen (1024×600), where the row is full and chips used to push buttons on.
    let mut harness = window_with(
        egui::vec2(1024.0, 568.0),
        ServerSettings {
            port: "0".to_owned(),
            ..ServerSettings::default()
        },
    );
    harness.run_steps(2);
    let before = top_row(&harness);
    let listen = harness.get_by_label("Listen").rect();
    super::listen(&mut harness);
    let _client = super::greeted_client(harness.state().local_address().expect("listening"));
    run_until(&mut harness, "socket 0 connected", |w| {
        w.server.log.contains("Socket 0 connected.")
    });
    harness.run();
    assert_eq!(
        top_row(&harness),
        before,
        "the chips came after the controls"
    );
    assert_eq!(harness.get_by_label("Stop Listening").rect(), listen);
}

/// A step with no hint of its own still gets one (after its `hint_after_s`), and every step
/// offers Skip step in the window that does it, which moves the lesson on.
#[test]
fn a_hint_always_comes_and_every_step_can_be_skipped() {
    use serversocket_lessons::Side as LessonSide;
    use serversocket_ui::lesson_panel::LessonPanel;

    let dir = test_support::empty_folder("lesson-hint");
    let lesson = "title = \"Hints\"\ngoal = \"G\"\n\
        [[step]]\nsay = \"Raise Max to 500.\"\ndone_when = \"max == 500\"\nhint_after_s = 0\n\
        [[step]]\nsay = \"Listen.\"\ndone_when = \"event listening\"\n";
    std::fs::write(dir.join("hints.toml"), lesson).unwrap();
    let mut harness = window(2, 10);
    let mut panel = LessonPanel::with_folder(LessonSide::Server, &dir);
    panel.start("hints").unwrap();
    harness.state_mut().shell.lessons = panel;
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Hint: The step moves on only when")
            .is_some(),
        "a step without a hint of its own gets one"
    );
    harness.get_by_label("Skip step").click();
    harness.run_steps(2);
    let run = harness.state().shell.lessons.run().unwrap();
    assert_eq!(run.step_index(), 1, "Skip step moved the lesson on");
    assert!(
        harness
            .state()
            .shell
            .lessons
            .report()
            .contains("Step 1 skipped in the server window"),
        "the report says it was skipped"
    );
    // The panel says so too: skipped, not done (it ticked the step and counted it done).
    assert!(
        harness
            .query_by_label("0 of 2 steps done, 1 skipped")
            .is_some(),
        "the progress counts the skip apart"
    );
    assert!(
        harness
            .query_by_label_contains("[–] 1. skipped in the server window")
            .is_some(),
        "the step is marked skipped"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A step's `{port}` is the server's port as the window has it, in the step, its hint and
/// the report: a learner who moved the server off 2002 copies a command that reaches it.
#[test]
fn a_steps_port_is_the_servers_port_as_the_window_has_it() {
    let (mut harness, dir) = window_with_teachers_lesson(
        "lesson-port",
        "port.toml",
        "title = \"Port\"\ngoal = \"G\"\n\
        [[step]]\nsay = \"Run `nc 127.0.0.1 {port}`.\"\ndone_when = \"event listening\"\n\
        hint = \"Or `telnet 127.0.0.1 {port}`.\"\nhint_after_s = 0\n",
    );
    harness.state_mut().settings.port = "2077".to_owned();
    harness.state_mut().shell.lessons.start("port").unwrap();
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Run `nc 127.0.0.1 2077`.").is_some()
            && harness
                .query_by_label("Hint: Or `telnet 127.0.0.1 2077`.")
                .is_some(),
        "the step and its hint name the Port field's port"
    );
    assert!(
        harness
            .state()
            .shell
            .lessons
            .report()
            .contains("Run `nc 127.0.0.1 2077`."),
        "so does the report"
    );
    // A Port field that names no port: the words say so, not a port of before.
    harness.state_mut().settings.port = "0".to_owned();
    harness.run_steps(2);
    assert!(harness.query_by_label("Run `nc 127.0.0.1 PORT`.").is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The warning that a low port needs privileges is for a program without them: root's Listen
/// on port 80 works, and it was warned all the same.
#[test]
fn a_low_port_is_warned_of_only_without_the_privilege_to_listen_there() {
    let mut harness = window(2, 10);
    harness.state_mut().settings.port = "80".to_owned();
    harness.state_mut().settings.privileged_below = Some(1024);
    harness.run_steps(2);
    let warning = "Port 80 is below 1024: listening there needs administrator privileges, which \
                   this program does not have.";
    assert!(harness.query_by_label(warning).is_some());
    harness.state_mut().settings.privileged_below = None;
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Port 80 is below")
            .is_none()
    );
}

/// A lesson's step that moves the port takes the last Listen's error chip with it: "Error
/// 105" beside port 80 read as port 80's. A step that leaves the port keeps it.
#[test]
fn a_step_that_moves_the_port_clears_the_last_listens_error() {
    use serversocket_lessons::Settings;
    use serversocket_ui::shell::AppWindow;

    let mut harness = window(2, 10);
    let refused = serversocket::SocketError::InvalidState("the last Listen's".to_owned());
    harness.state_mut().server.listener_error = Some(refused.clone());
    harness.state_mut().apply_lesson_settings(&Settings {
        min: Some(1),
        ..Settings::default()
    });
    assert_eq!(harness.state().server.listener_error, Some(refused));
    harness.state_mut().apply_lesson_settings(&Settings {
        port: Some(2999),
        ..Settings::default()
    });
    assert_eq!(harness.state().server.listener_error, None);
}

/// A Reset of a finished lesson says so: its report said "at step 2" of a one-step lesson.
#[test]
fn a_reset_after_the_last_step_names_no_step_beyond_it() {
    let (mut harness, dir) = window_with_teachers_lesson(
        "lesson-reset-finished",
        "one.toml",
        "title = \"One\"\ngoal = \"G\"\n\
        [[step]]\nsay = \"Listen.\"\ndone_when = \"event listening\"\n",
    );
    harness.state_mut().shell.lessons.start("one").unwrap();
    harness.run_steps(2);
    harness.get_by_label("Skip step").click();
    harness.run_steps(2);
    assert!(harness.state().shell.lessons.run().unwrap().is_finished());
    harness.get_by_label("Reset lesson").click();
    harness.run_steps(2);
    let report = harness.state().shell.lessons.report();
    assert!(
        report.contains("Reset lesson once every step was done, in the server window")
            && !report.contains("at step 2"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A window whose Lessons panel offers, beside the shipped ones, a teacher's folder holding
/// `file` with `lesson` in it; the folder, for more files.
fn window_with_teachers_lesson(
    folder: &str,
    file: &str,
    lesson: &str,
) -> (Harness<'static, ServerWindow>, std::path::PathBuf) {
    use serversocket_lessons::Side;
    use serversocket_ui::lesson_panel::LessonPanel;
    use serversocket_ui::shell::AppWindow;

    let dir = test_support::empty_folder(folder);
    std::fs::write(dir.join(file), lesson).unwrap();
    let mut harness = window(2, 10);
    harness
        .state_mut()
        .set_lessons(LessonPanel::with_folder(Side::Server, &dir));
    (harness, dir)
}

/// A teacher's lesson folder with a malformed lesson and a FIFO beside a good one: the panel
/// names each skipped file, in words, and the good lesson is there to start.
#[cfg(unix)]
#[test]
fn a_bad_lesson_in_the_teachers_folder_is_named_in_the_panel_and_the_rest_load() {
    use serversocket_ui::shell::AppWindow;

    let (mut harness, dir) = window_with_teachers_lesson(
        "lessons-panel-bad",
        "good.toml",
        "title = \"Good\"\ngoal = \"G\"\n[[step]]\nsay = \"s\"\ndone_when = \"event listening\"\n",
    );
    std::fs::write(dir.join("broken.toml"), "title = [").unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo.toml"))
        .status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo");
    // The folder is read again when the panel is made: after the bad files are there.
    harness
        .state_mut()
        .set_lessons(serversocket_ui::lesson_panel::LessonPanel::with_folder(
            serversocket_lessons::Side::Server,
            &dir,
        ));
    harness.get_by_label("Lessons").click();
    harness.run_steps(2);
    for skipped in [
        "broken.toml, line 1",
        "fifo.toml is not a regular file (a FIFO)",
    ] {
        assert!(
            harness
                .query_by_label_contains(&format!(
                    "Lesson skipped: {}",
                    dir.join(skipped).display()
                ))
                .is_some(),
            "{skipped} named in the panel"
        );
    }
    harness.state_mut().lessons_mut().start("good").unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// On a short window the question opens below the lesson's steps: the panel brings its Answer
/// field into view once, so the learner does not have to find it below the fold.
#[test]
fn a_lesson_question_is_brought_into_view_on_a_short_window() {
    use serversocket_lessons::Side;
    use serversocket_ui::lesson_panel::{LessonPanel, SavedLesson};
    use serversocket_ui::shell::AppWindow;

    let size = egui::vec2(683.0, 360.0);
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let mut harness = window_with(size, settings);
    harness.state_mut().set_lessons(LessonPanel::new(
        Side::Server,
        None,
        None,
        &SavedLesson::default(),
    ));
    harness
        .state_mut()
        .lessons_mut()
        .start("listening")
        .unwrap();
    harness.run_steps(2);
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "the question on the port", |w| {
        w.lessons().is_asking()
    });
    harness.run_steps(3);
    let answer = harness.get_by_label("Answer:").rect();
    assert!(
        answer.bottom() <= size.y && answer.top() >= 0.0,
        "the Answer field is in view: {answer:?} in a window {size:?}"
    );
}

/// A step done and asking its question shows no hint on doing it, even once the hint's time
/// has come (it said "the step moves on only when the sockets have really done it").
#[test]
fn a_step_asking_its_question_shows_no_hint() {
    use serversocket_ui::shell::AppWindow;

    let (mut harness, dir) = window_with_teachers_lesson(
        "lessons-hint-asking",
        "asks.toml",
        "title = \"Asks\"\ngoal = \"G\"\n[[step]]\nsay = \"Start the server\"\ndone_when = \"listening\"\nhint = \"Click Listen\"\nhint_after_s = 0\nquestion = \"Which port?\"\nanswer = \"port\"\n",
    );
    harness.state_mut().lessons_mut().start("asks").unwrap();
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Hint: Click Listen").is_some(),
        "the hint shows while the step is not done"
    );
    harness.get_by_label("Listen").click();
    run_until(&mut harness, "the question", |w| w.lessons().is_asking());
    harness.run_steps(2);
    assert!(harness.query_by_label("Which port?").is_some());
    assert!(
        harness.query_by_label("Hint: Click Listen").is_none(),
        "no hint on doing a step that is done"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A lesson resumed from the last session past its first step says that what the steps
/// before set up (the Listen) ended with the programs, and to do it again; the next step
/// does not say it.
#[test]
fn a_resumed_lesson_says_the_listen_of_before_is_gone() {
    use serversocket_lessons::Side;
    use serversocket_ui::lesson_panel::{LessonPanel, SavedLesson};
    use serversocket_ui::shell::AppWindow;

    let saved = SavedLesson {
        lesson: Some("listening".to_owned()),
        step: 2,
        started: 1,
        open: true,
        ..SavedLesson::default()
    };
    let mut harness = window(2, 10);
    harness
        .state_mut()
        .set_lessons(LessonPanel::new(Side::Server, None, None, &saved));
    harness.run_steps(2);
    let note = "Resumed from your last session";
    assert!(harness.query_by_label_contains(note).is_some());
    harness.get_by_label("Skip step").click();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains(note).is_none());
}

/// A lesson that starts over on a dirty session starts the counts over too: the accepted chip
/// and the pool's AddSocket count say nothing of the connections before (they said "1
/// accepted" and "AddSocket ×3" beside "0 connected").
#[test]
fn a_lesson_that_starts_over_starts_the_counts_over() {
    use serversocket_ui::shell::AppWindow;

    let (mut harness, _client) = serving_one_client(2, 10);
    assert!(harness.query_by_label("1 accepted").is_some());
    harness
        .state_mut()
        .apply_lesson_settings(&serversocket_lessons::Settings {
            stop: Some(true),
            ..serversocket_lessons::Settings::default()
        });
    harness.run_steps(3);
    assert!(
        harness.query_by_label("0 accepted").is_some(),
        "the chip counts from the new start"
    );
    assert!(
        harness
            .query_by_label_contains("AddSocket\u{a0}×0")
            .is_some()
    );
}

/// A lesson's start (or Reset) on a full pool stops listening before it closes the connections:
/// a client waiting in the kernel's queue is turned away, not accepted into the place a closing
/// connection frees in the middle of the reset.
#[test]
fn a_lesson_that_starts_over_accepts_no_client_waiting_behind_a_full_pool() {
    use serversocket_ui::shell::AppWindow;
    use std::io::Read;

    let (mut harness, _served) = serving_one_client(1, 1);
    let address = harness.state().server.socket.local_address().unwrap();
    let mut waiting = TcpStream::connect(address).unwrap();
    waiting
        .set_read_timeout(Some(test_support::PATIENCE))
        .unwrap();
    harness
        .state_mut()
        .apply_lesson_settings(&serversocket_lessons::Settings {
            stop: Some(true),
            ..serversocket_lessons::Settings::default()
        });
    // The listener is closed: the kernel resets the connection that waited in its queue.
    let mut got = Vec::new();
    let _reset = waiting.read_to_end(&mut got);
    assert!(
        got.is_empty(),
        "the waiting client was served: {:?}",
        String::from_utf8_lossy(&got)
    );
    harness.run_steps(3);
    assert_eq!(
        logged(harness.state(), |line| line.contains("Socket 1 connected")),
        0,
        "{:#?}",
        harness.state().server.log.lines()
    );
}

/// A step done in the other window offers, in its card, the button that brings that window
/// forward (at 1024×600 the client starts in front of the server whose Listen step 1 asks for).
#[test]
fn a_step_of_the_other_window_offers_to_show_it() {
    use serversocket_lessons::Side as LessonSide;
    use serversocket_ui::lesson_panel::LessonPanel;

    let dir = test_support::empty_folder("lesson-show-other");
    let lesson = "title = \"Other\"\ngoal = \"G\"\n\
        [[step]]\nside = \"client\"\nsay = \"Connect.\"\ndone_when = \"event connected\"\n";
    std::fs::write(dir.join("other.toml"), lesson).unwrap();
    let mut harness = window(2, 10);
    let shown_before = harness.query_all_by_label("Show the client window").count();
    let mut panel = LessonPanel::with_folder(LessonSide::Server, &dir);
    panel.start("other").unwrap();
    harness.state_mut().shell.lessons = panel;
    harness.run_steps(2);
    assert_eq!(
        harness.query_all_by_label("Show the client window").count(),
        shown_before + 1,
        "the step card has its own"
    );
}

/// Every setting explains itself where the pointer goes to change it: on its field, not only
/// on the name before it.
#[test]
fn hovering_a_settings_field_shows_what_it_does() {
    use egui::accesskit::Role;
    let mut harness = window(2, 10);
    harness.run_steps(2);
    for (role, label, tip) in [
        (Role::SpinButton, "Min:", "MinimumSocketsAvailable"),
        (Role::SpinButton, "Max:", "MaximumSocketsConnected"),
        (Role::SpinButton, "Slow motion:", "Handoff delay"),
        (
            Role::SpinButton,
            "Idle timeout:",
            "Close a connection once nothing",
        ),
        (
            Role::SpinButton,
            "Backlog:",
            "How many connections the kernel",
        ),
        (
            Role::ComboBox,
            "Interface:",
            "NetworkInterface: the local address",
        ),
        (
            Role::TextInput,
            "Greeting:",
            "What each pooled socket writes",
        ),
    ] {
        assert!(!kittest::shows(&harness, tip), "{label}: no tooltip yet");
        harness.get_by_role_and_label(role, label).hover();
        // A tooltip waits for the pointer to rest.
        let shown = test_support::kittest::frames_until(|| {
            harness.step();
            kittest::shows(&harness, tip)
        });
        assert!(shown, "hovering the {label} field shows its tooltip");
        harness.hover_at(egui::pos2(1.0, 1.0));
        harness.run_steps(2);
    }
}

/// A field greyed while listening still explains itself, and says why it is greyed: hovering
/// the port of a listening server showed nothing.
#[test]
fn hovering_a_field_greyed_while_listening_says_why() {
    use egui::accesskit::Role;
    let mut harness = window(2, 10);
    super::listen(&mut harness);
    // Listening folds the rows that apply at Listen (the TLS row among them) under this.
    click(&mut harness, "All settings");
    harness.run_steps(2);
    let why = "Fixed while listening: Stop\u{a0}Listening to change it";
    for (role, label, tip) in [
        (Role::TextInput, "Port:", "The port to listen on"),
        (
            Role::ComboBox,
            "Interface:",
            "NetworkInterface: the local address",
        ),
        (Role::CheckBox, "TLS", "Secure each connection with TLS"),
    ] {
        assert!(!kittest::shows(&harness, why), "{label}: no tooltip yet");
        harness.get_by_role_and_label(role, label).hover();
        let shown = test_support::kittest::frames_until(|| {
            harness.step();
            kittest::shows(&harness, tip) && kittest::shows(&harness, why)
        });
        assert!(
            shown,
            "hovering the greyed {label} field says what it is and why"
        );
        harness.hover_at(egui::pos2(1.0, 1.0));
        harness.run_steps(2);
    }
}

/// On a small screen the Concepts window stands beside the Lessons panel, never over it: a
/// lesson's steps are what the learner reads while the concepts explain them.
#[test]
fn the_concepts_window_leaves_the_lessons_panel_in_view() {
    for size in [egui::vec2(800.0, 600.0), egui::vec2(1024.0, 600.0)] {
        let mut harness = super::window_with(size, ServerSettings::default());
        harness.run_steps(2);
        for toggle in ["Lessons", "Concepts"] {
            harness
                .get_by_role_and_label(egui::accesskit::Role::Button, toggle)
                .click();
            harness.run_steps(3);
        }
        let lessons = harness.get_by_label_contains("Choose a lesson").rect();
        let concepts = harness
            .get_by_role_and_label(egui::accesskit::Role::Window, "Concepts")
            .rect();
        assert!(
            concepts.right() <= lessons.left(),
            "at {size:?} the Concepts window {concepts:?} covers the Lessons panel {lessons:?}"
        );
    }
}

/// A lesson started again stops the server and forgets its sockets; what they still report (an
/// error on its way as they closed, the kernel's TIME_WAIT a minute later) does not count in
/// the new run.
#[test]
fn a_lesson_does_not_hear_the_sockets_a_fresh_start_forgot() {
    let (mut harness, _client) = super::serving_one_client(2, 10);
    let newest = harness
        .state()
        .server
        .rows
        .iter()
        .map(|row| row.id)
        .max()
        .expect("rows");
    assert!(!harness.state().server.rows.forgot(newest));
    crate::window::lessons::apply(
        harness.state_mut(),
        &serversocket_lessons::Settings {
            stop: Some(true),
            ..serversocket_lessons::Settings::default()
        },
    );
    let rows = &harness.state().server.rows;
    assert!(rows.forgot(newest), "a socket the fresh start forgot");
    assert!(!rows.forgot(SocketId(newest.0 + 1)), "the new run's first");
}

/// The pool's one-line summary leaves whole parts out where the row is short, never cutting
/// one mid-phrase ("The pool: 0 idle · 0 connected of at …" at half a 1366 screen).
#[test]
fn the_pool_summary_leaves_out_whole_parts_on_a_narrow_window() {
    use egui_kittest::kittest::NodeT as _;
    for width in [1366.0, 1024.0, 683.0] {
        let mut harness = window_with(egui::vec2(width, 736.0), ServerSettings::default());
        harness.run_steps(2);
        let summary = harness.get_by_label_contains("The pool: ");
        let text = summary
            .accesskit_node()
            .label()
            .or_else(|| summary.accesskit_node().value())
            .unwrap_or_default();
        let mut parts: Vec<&str> = text.split(" · ").collect();
        if parts.last() == Some(&"…") {
            parts.pop();
        }
        let whole = ["The pool: 0 idle", "0 connected of at most 10", "0 closed"];
        assert!(
            !parts.is_empty()
                && parts
                    .iter()
                    .zip(whole)
                    .all(|(part, expected)| *part == expected),
            "{text:?} at {width}"
        );
        // Drawn whole: a label cut by the row's edge says its whole text to a screen reader.
        let font = egui::TextStyle::Body.resolve(&harness.ctx.global_style());
        let needs = harness.ctx.fonts_mut(|fonts| {
            fonts
                .layout_no_wrap(text.clone(), font, egui::Color32::WHITE)
                .size()
                .x
        });
        assert!(
            summary.rect().width() + 0.5 >= needs,
            "{text:?} cut at {width}: {} of {needs} points",
            summary.rect().width()
        );
    }
}

//! Every control labelled, Tab and Enter and Space, the TLS choice remembered for the next run,
//! and the button that brings the client app's window to the front, or starts the client app.

use std::net::TcpStream;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use test_support::kittest;

use super::{run_until, serving_one_client, window, window_with};
use crate::window::{ServerSettings, ServerWindow};

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

    let dir = std::env::temp_dir().join(format!("server-window-other-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
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

    let dir = std::env::temp_dir().join(format!("server-window-start-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
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
    harness.get_by_label("TLS").click();
    harness.run();
    harness.get_by_label("files").click();
    harness.run();

    let remembered: ServerSettings = kittest::remembered(harness.state_mut());
    let mut next_run = window_with(kittest::SIZE, remembered);
    next_run.run();
    let toggled = |label: &str| kittest::toggled(&next_run, label);
    assert_eq!(toggled("TLS"), Some(egui::accesskit::Toggled::True));
    assert_eq!(toggled("files"), Some(egui::accesskit::Toggled::True));
    assert_eq!(toggled("generate"), Some(egui::accesskit::Toggled::False));
}

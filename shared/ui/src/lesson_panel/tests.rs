//! The panel following the other window: woken at once by a change there, joining a run
//! begun there from nothing, with its panel open before the learner clicks anything.

use std::sync::mpsc;
use std::time::Duration;

use serversocket_lessons::Side;
use serversocket_lessons::sync::LessonSync;

use super::{LessonPanel, SavedLesson};

/// How long a test waits for a wake-up (a bound against hanging, not a measure).
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn a_lesson_started_in_the_other_window_wakes_this_one_which_joins_it_open() {
    let dir = test_support::empty_folder("lesson-panel-wake");
    let sync = LessonSync::new(&dir);
    let mut client = LessonPanel::following(Side::Client, sync.clone());
    let ctx = egui::Context::default();
    let (woke, wakes) = mpsc::channel();
    ctx.set_request_repaint_callback(move |_| {
        let _ = woke.send(());
    });
    // The window's first frame starts the watcher; then it is idle, drawing nothing.
    client.tick(&ctx);
    while wakes.try_recv().is_ok() {}
    assert!(client.run().is_none() && !client.open);

    let mut server = LessonPanel::following(Side::Server, sync);
    server.start("max-and-backlog").expect("a shipped lesson");
    wakes
        .recv_timeout(PATIENCE)
        .expect("the idle client window is woken");
    client.tick(&ctx);
    assert_eq!(
        client.run().map(|run| run.lesson().name.as_str()),
        Some("max-and-backlog")
    );
    assert!(client.open, "its panel opens without a click");
    let settings = client.take_settings().expect("settings for the start");
    assert_eq!(
        settings.close_all,
        Some(true),
        "a run begun just now starts from nothing here too"
    );
    assert!(client.report().contains("Started in the server window"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_next_lesson_does_not_show_the_last_lessons_report_line() {
    let mut panel = LessonPanel::new(Side::Server, None, None, &SavedLesson::default());
    panel.start("the-pool").expect("a shipped lesson");
    // What clicking Export report leaves behind (without writing into the test's home).
    panel.exported = Some(Ok(std::path::PathBuf::from(
        "/home/learner/lesson-report-the-pool-server.md",
    )));
    panel.start("max-and-backlog").expect("a shipped lesson");
    assert!(
        panel.exported.is_none(),
        "\"Report written to …the-pool-server.md\" belongs to the last lesson, not this one"
    );
    // A reset of the same lesson starts its report again too.
    panel.exported = Some(Err("disk full".to_owned()));
    panel.start("max-and-backlog").expect("a shipped lesson");
    assert!(panel.exported.is_none(), "a reset forgets the last export");
}

/// Lesson 5's first step is the client's and sets the port to connect to (2999): the client
/// window takes it, the server window keeps its own port. Both start from nothing, TLS off.
#[test]
fn a_steps_settings_go_to_its_own_window_only() {
    let started = |side| {
        let mut panel = LessonPanel::new(side, None, None, &SavedLesson::default());
        panel.start("errors").expect("a shipped lesson");
        panel.take_settings().expect("the fresh start's settings")
    };
    let server = started(Side::Server);
    assert_eq!(server.port, None, "the client's port is not the server's");
    assert_eq!(
        (server.min, server.max, server.paused),
        (Some(2), Some(10), Some(false)),
        "the pool as a new install has it, whatever the last lesson set"
    );
    let client = started(Side::Client);
    assert_eq!(client.port, Some(2999));
    for settings in [server, client] {
        assert_eq!(
            (
                settings.stop,
                settings.close_all,
                settings.tls,
                settings.tls_insecure
            ),
            (Some(true), Some(true), Some(false), Some(false)),
            "both windows start from nothing, TLS off"
        );
    }
}

/// Both windows restarted on one run, saved at different steps (the client saved after its
/// step 3, the server before it saw it): each says where it is, so the server moves on to the
/// client's step instead of the two disagreeing.
#[test]
fn windows_resumed_at_different_steps_of_one_run_agree_on_the_further() {
    let dir = test_support::empty_folder("lesson-panel-resume");
    let sync = LessonSync::new(&dir);
    let saved = |step| SavedLesson {
        lesson: Some("listening".to_owned()),
        step,
        started: 42,
        ..SavedLesson::default()
    };
    let mut server = LessonPanel::new(Side::Server, None, Some(sync.clone()), &saved(1));
    let client = LessonPanel::new(Side::Client, None, Some(sync), &saved(2));
    let at = |panel: &LessonPanel| panel.run().map(serversocket_lessons::LessonRun::step_index);
    assert_eq!((at(&server), at(&client)), (Some(1), Some(2)));
    server.follow_other_window();
    assert_eq!(at(&server), Some(2), "the server window catches up");
    drop(client);
}

/// The current step's widget is outlined, but not when it is an empty strip (the pool's tiles
/// before a Listen): an outline around nothing pointed nowhere.
#[test]
fn an_empty_widget_is_not_outlined() {
    let shapes = |height: f32| {
        let ctx = egui::Context::default();
        ctx.data_mut(|data| data.insert_temp(super::highlight_id(), Some("pool".to_owned())));
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let strip = ui.allocate_response(egui::vec2(200.0, height), egui::Sense::hover());
            super::mark(ui, "pool", &strip);
        });
        // Fonts' textures nobody uploads here.
        output.textures_delta.clear();
        output.shapes.len()
    };
    assert_eq!(
        shapes(30.0),
        shapes(0.0) + 1,
        "outlined when there is something"
    );
}

/// A run the server window begins on a port moved off 2002 points the client at that port,
/// and the client window's steps name it: the client stayed on 2002, its steps said
/// `nc 127.0.0.1 2002` and its Connect was refused.
#[test]
fn the_client_follows_the_server_windows_port() {
    let dir = test_support::empty_folder("lesson-panel-port");
    let sync = LessonSync::new(&dir);
    let mut server = LessonPanel::following(Side::Server, sync.clone());
    server.set_port(Some(2077));
    server.start("listening").expect("a shipped lesson");
    let mut client = LessonPanel::following(Side::Client, sync);
    client.set_port(Some(2002));
    client.follow_other_window();
    let settings = client.take_settings().expect("the fresh start's settings");
    assert_eq!(settings.port, Some(2077), "pointed at the server's port");
    client.set_port(Some(2002));
    assert_eq!(
        client.run().expect("joined").words("nc 127.0.0.1 {port}"),
        "nc 127.0.0.1 2077"
    );
    // A run the client window starts itself points it at the server's port too.
    client.start("the-pool").expect("a shipped lesson");
    let settings = client.take_settings().expect("the fresh start's settings");
    assert_eq!(settings.port, Some(2077));
    let _ = std::fs::remove_dir_all(&dir);
}

//! The window minimized or covered: eframe draws nothing and runs only the app's `logic`, and
//! the server must serve as if it were looked at.

use std::io::Read as _;
use std::net::TcpStream;
use std::time::Instant;

use serversocket::seed::SERVER_GREETING;
use serversocket_ui::shell::Framed;
use test_support::{PATIENCE, POLL, sockets};

use super::{ServerSettings, ServerWindow};

/// How many clients come, and how many at a time (each wave waits for its greetings).
const CLIENTS: usize = 4000;
const WAVE: usize = 200;

/// Connects `CLIENTS` clients in waves of `WAVE`, each reading its whole greeting; panics (so
/// the thread fails) when a greeting does not come within the patience.
fn clients_greeted(address: std::net::SocketAddr) -> usize {
    let mut greeted = 0;
    for _wave in 0..CLIENTS / WAVE {
        let mut wave: Vec<TcpStream> = (0..WAVE).map(|_| sockets::client(address)).collect();
        for client in &mut wave {
            let mut greeting = vec![0; SERVER_GREETING.len()];
            client
                .read_exact(&mut greeting)
                .expect("a greeting within the patience: the server kept serving");
            greeted += 1;
        }
    }
    greeted
}

#[test]
fn a_minimized_window_keeps_serving_four_thousand_clients_without_drawing_a_frame() {
    let settings = ServerSettings {
        port: "0".to_owned(),
        max: 10_000,
        ..ServerSettings::default()
    };
    let mut app = Framed(ServerWindow::new(settings).expect("window"));
    app.0.listen();
    let address = app.0.local_address().expect("listening");
    let ctx = egui::Context::default();
    let mut frame = eframe::Frame::_new_kittest();

    let clients = std::thread::spawn(move || clients_greeted(address));
    // Only what eframe runs while the window is hidden: its logic, never its ui. The server's
    // event channel holds 4096 parcels; 4000 clients send about five times as many events, so
    // a window that took events only when it drew would stall the server here.
    let deadline = Instant::now() + PATIENCE * 6;
    while !clients.is_finished() && Instant::now() < deadline {
        eframe::App::logic(&mut app, &ctx, &mut frame);
        std::thread::sleep(POLL);
    }
    assert!(clients.is_finished(), "the clients were still waiting");
    assert_eq!(clients.join().expect("every client greeted"), CLIENTS);
    // The window's state followed every connection, though it drew none of them.
    let deadline = Instant::now() + PATIENCE;
    while app.0.timeline().total(crate::window::ACCEPTS) < CLIENTS as u64
        && Instant::now() < deadline
    {
        eframe::App::logic(&mut app, &ctx, &mut frame);
        std::thread::sleep(POLL);
    }
    assert_eq!(
        app.0.timeline().total(crate::window::ACCEPTS),
        CLIENTS as u64
    );
}

/// A covered window follows the lesson the other window moves on, with only its `logic` run:
/// a lesson started in the client window reaches it, and the start's fresh beginning stops
/// its Listen (it followed only once raised, its report stamping the other's steps then).
#[test]
fn a_covered_window_follows_a_lesson_started_in_the_other_window() {
    use serversocket_lessons::Side;
    use serversocket_lessons::sync::LessonSync;
    use serversocket_ui::lesson_panel::LessonPanel;
    use serversocket_ui::shell::AppWindow as _;

    let dir = test_support::empty_folder("covered-follows");
    let sync = LessonSync::new(&dir);
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let mut app = Framed(ServerWindow::new(settings).expect("window"));
    app.0
        .set_lessons(LessonPanel::following(Side::Server, sync.clone()));
    app.0.listen();
    assert!(app.0.local_address().is_some());
    let ctx = egui::Context::default();
    let mut frame = eframe::Frame::_new_kittest();
    eframe::App::logic(&mut app, &ctx, &mut frame);

    let mut client = LessonPanel::following(Side::Client, sync);
    client.start("listening").expect("a shipped lesson");
    let deadline = Instant::now() + PATIENCE;
    let followed = |app: &Framed<ServerWindow>| {
        app.0.lessons().run().is_some() && app.0.local_address().is_none()
    };
    while !followed(&app) && Instant::now() < deadline {
        eframe::App::logic(&mut app, &ctx, &mut frame);
        std::thread::sleep(POLL);
    }
    assert_eq!(
        app.0.lessons().run().map(|run| run.lesson().name.clone()),
        Some("listening".to_owned()),
        "the covered window joined the lesson"
    );
    assert!(
        app.0.local_address().is_none(),
        "the lesson's fresh start stopped its Listen"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server window covered from its start still tells the client window its port: it was
/// told only while drawn, and the client stayed on 2002 while the server listened on 2077.
#[test]
fn a_covered_server_window_publishes_its_port() {
    use serversocket_lessons::Side;
    use serversocket_lessons::sync::LessonSync;
    use serversocket_ui::lesson_panel::LessonPanel;
    use serversocket_ui::shell::AppWindow as _;

    let dir = test_support::empty_folder("covered-port");
    let sync = LessonSync::new(&dir);
    let settings = ServerSettings {
        port: "2077".to_owned(),
        ..ServerSettings::default()
    };
    let mut app = Framed(ServerWindow::new(settings).expect("window"));
    app.0
        .set_lessons(LessonPanel::following(Side::Server, sync.clone()));
    app.0
        .lessons_mut()
        .start("listening")
        .expect("a shipped lesson");
    let ctx = egui::Context::default();
    let mut frame = eframe::Frame::_new_kittest();
    eframe::App::logic(&mut app, &ctx, &mut frame);
    let position = sync.read(Side::Server).expect("the server's position");
    assert_eq!(position.server_port, Some(2077));
    let _ = std::fs::remove_dir_all(&dir);
}

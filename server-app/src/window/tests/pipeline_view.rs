//! The pool's pipeline and tiles: a connection waiting then handed off, each one drawn moving,
//! selection shared with the table and log, the layout on small screens, hundreds of sockets
//! as cells, and no frame asked for once nothing moves.

use std::net::TcpStream;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serversocket::SocketId;
use serversocket_ui::RowState;
use test_support::kittest;

use super::{greeted_client, listen, listening_with, run_until, window, window_with};
use crate::window::{ServerSettings, ServerWindow};
use test_support::kittest::{click, shows};

#[test]
fn slow_motion_shows_the_connection_waiting_then_handed_to_a_pooled_socket() {
    let (mut harness, address) = listening_with(ServerSettings {
        handoff_delay_ms: 700,
        ..ServerSettings::default()
    });
    let client = std::thread::spawn(move || greeted_client(address));
    run_until(&mut harness, "a connection waiting", |w| {
        w.server.waiting.is_some()
    });
    harness.step();
    assert!(
        shows(&harness, "Connection from 127.0.0.1:"),
        "a dashed tile for the waiting connection"
    );
    assert!(
        harness
            .state()
            .server
            .log
            .contains("handing it to a pooled socket in 700 ms")
    );
    run_until(&mut harness, "the handoff", |w| {
        w.server.waiting.is_none() && w.server.rows.count(RowState::Connected) == 1
    });
    client.join().unwrap();
}

#[test]
fn past_a_few_hundred_sockets_the_pool_is_cells_with_exact_counts_and_a_click_selects() {
    const CLIENTS: usize = 350;
    let mut harness = window(2, 400);
    let address = listen(&mut harness);
    let _clients: Vec<TcpStream> = (0..CLIENTS).map(|_| greeted_client(address)).collect();
    run_until(&mut harness, "350 connections", |w| {
        w.server.rows.count(RowState::Connected) == CLIENTS
    });
    harness.run_steps(2);
    // No tile per socket any more: one grid of cells, and the counts stay exact.
    assert!(!shows(&harness, " tile: "));
    let cells = harness.get_by_label_contains("Dense pool: ").rect();
    let idle = harness.state().server.rows.count(RowState::Idle);
    assert!(shows(
        &harness,
        &format!("{idle} idle · {CLIENTS} connected of at most 400")
    ));
    // The first cell is the oldest socket, 0: clicking it selects it.
    let first_cell = cells.min + egui::vec2(3.0, 3.0);
    harness.hover_at(first_cell);
    harness.step();
    harness.drag_at(first_cell);
    harness.drop_at(first_cell);
    harness.run_steps(2);
    assert_eq!(harness.state().log_view.socket_filter, Some(SocketId(0)));
}

/// A window of `size` listening with three clients connected and greeted.
fn three_connected(size: egui::Vec2) -> (Harness<'static, ServerWindow>, Vec<TcpStream>) {
    let (mut harness, clients) = super::with_connected(size, ServerSettings::default(), 3);
    run_until(&mut harness, "3 connections greeted", |w| {
        w.server.log.contains("Socket 2 send complete.")
    });
    // The connections' moves through the pipeline are drawn to their end.
    run_until(&mut harness, "the pipeline still", |w| {
        !w.pipeline.is_moving()
    });
    harness.run_steps(2);
    (harness, clients)
}

/// The stages of the pool's pipeline, by the start of their names.
const STAGES: [&str; 5] = [
    "Clients arriving:",
    "Kernel:",
    "Listening socket:",
    "Idle pool:",
    "Connected:",
];

#[test]
fn on_small_screens_the_essential_columns_show_the_log_keeps_room_and_nothing_overlaps() {
    // 1024×600 and 800×600 screens, less a title bar: the windows take the whole screen there;
    // with the Lessons panel open too, which takes a third of the width.
    for size in [egui::vec2(1024.0, 568.0), egui::vec2(800.0, 568.0)] {
        for lessons in [false, true] {
            let (mut harness, _clients) = three_connected(size);
            if lessons {
                harness.get_by_label("Lessons").click();
                harness.run_steps(3);
            }
            let case = format!("{size:?}, lessons {lessons}");
            let inside = |rect: egui::Rect| {
                rect.left() >= 0.0
                    && rect.right() <= size.x
                    && rect.top() >= 0.0
                    && rect.bottom() <= size.y
            };
            for column in ["Socket", "State", "In / out", "Last event"] {
                // A table narrower than every column gives the bytes in the socket's hover.
                let Some(node) = harness.query_by_label(column) else {
                    assert!(column == "In / out" && lessons, "no {column} at {case}");
                    continue;
                };
                let rect = node.rect();
                assert!(inside(rect), "{column} at {case}: {rect:?}");
            }
            let rows_in_view = harness
                .query_all_by_label("Disconnect")
                .filter(|button| inside(button.rect()))
                .count();
            assert!(rows_in_view >= 2, "{rows_in_view} table rows at {case}");
            // A log line begins with its time, "12:34:56.789  ".
            let log_line = |node: &egui_kittest::kittest::AccessKitNode<'_>| {
                node.label().or_else(|| node.value()).is_some_and(|label| {
                    label.len() > 14
                        && label.as_bytes()[8] == b'.'
                        && label[..8].bytes().all(|b| b.is_ascii_digit() || b == b':')
                })
            };
            let log_lines = harness
                .query_all_by(log_line)
                .filter(|node| inside(node.rect()))
                .count();
            // The log's own panel keeps eight lines in view, whatever the rest shows.
            assert!(log_lines >= 8, "{log_lines} log lines at {case}");
            // The pipeline's stages sit side by side inside the window, above the tabs.
            let stages: Vec<egui::Rect> = STAGES
                .iter()
                .map(|stage| harness.get_by_label_contains(stage).rect())
                .collect();
            let tabs = harness.get_by_label("Pool tiles").rect();
            for (index, stage) in stages.iter().enumerate() {
                assert!(inside(*stage), "stage {index} at {case}");
                assert!(
                    stage.bottom() <= tabs.top(),
                    "stage {index} over the tabs at {case}"
                );
                if let Some(next) = stages.get(index + 1) {
                    assert!(
                        stage.right() <= next.left(),
                        "stages {index} and {} overlap at {case}",
                        index + 1
                    );
                }
            }
            // Every word a stage shows stays inside its box: none is cut at its edge.
            let texts = stage_texts(&harness, &stages);
            assert!(texts.len() >= 3 * STAGES.len(), "{texts:?}");
            for (stage, text, rect) in &texts {
                assert!(
                    stages[*stage].expand(1.0).contains_rect(*rect),
                    "{text:?} sticks out of stage {stage} at {case}: {rect:?} in {:?}",
                    stages[*stage]
                );
            }
            let listen = harness.get_by_label("Stop Listening").rect();
            assert!(
                listen.bottom() <= stages[0].top(),
                "the top bar over the pipeline at {case}"
            );
        }
    }
}

/// The words drawn in each stage's box (whose top-left corner falls in it): the stage, the
/// text, and where it was drawn.
fn stage_texts(
    harness: &Harness<'_, ServerWindow>,
    stages: &[egui::Rect],
) -> Vec<(usize, String, egui::Rect)> {
    let mut texts = Vec::new();
    for clipped in &harness.output().shapes {
        let egui::Shape::Text(text) = &clipped.shape else {
            continue;
        };
        let rect = text.visual_bounding_rect();
        if let Some(stage) = stages
            .iter()
            .position(|stage| stage.contains(rect.center()))
        {
            texts.push((stage, text.galley.text().to_owned(), rect));
        }
    }
    texts
}

#[test]
fn selecting_a_socket_in_the_pipeline_selects_it_in_the_table_tiles_and_log() {
    let (mut harness, clients) = three_connected(egui::vec2(1024.0, 568.0));
    let port = clients[1].local_addr().unwrap().port();
    // The pipeline's connected stage names socket 1 by its client's port.
    harness.get_by_label(&format!("1:{port}")).click();
    harness.run_steps(2);
    assert_eq!(harness.state().log_view.socket_filter, Some(SocketId(1)));
    // The details pane under the table shows it, by the same client port.
    assert!(
        shows(&harness, &format!("Socket 1 · client :{port}")),
        "the details pane"
    );
    assert!(
        harness.query_by_label("Text for socket 1").is_some(),
        "Send in the details pane"
    );
    // The log shows only its lines.
    let shown = harness.state().log_view.visible_count();
    assert!(
        shown > 0 && shown < harness.state().server.log.entries().len(),
        "{shown} lines"
    );
    // Clicking its row again in the table clears the selection everywhere.
    harness.get_by_label(&format!("1 · client :{port}")).click();
    harness.run_steps(2);
    assert_eq!(harness.state().log_view.socket_filter, None);
    assert!(harness.query_by_label("Text for socket 1").is_none());
}

#[test]
fn a_connection_moves_through_the_pipeline_and_the_open_concept_lights_its_stage() {
    let (mut harness, _clients) = three_connected(egui::vec2(1024.0, 568.0));
    assert!(shows(&harness, "Connected: 3 / 10"));
    assert!(shows(&harness, "Idle pool: 2 Min\u{a0}2"));
    kittest::open_concepts(&mut harness, &["MaximumSocketsConnected"]);
    assert_eq!(
        harness.state().lit,
        Some(crate::window::pipeline::Stage::Connected)
    );
}

/// Where the pipeline draws the thing named `name` now, if it draws it.
fn drawn_at(harness: &Harness<'_, ServerWindow>, name: &str) -> Option<egui::Pos2> {
    harness
        .query_by_label_contains(name)
        .map(|node| node.rect().center())
}

#[test]
fn each_new_socket_and_connection_is_drawn_moving_through_the_pipeline_slowly_on_demand() {
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let mut harness = window_with(egui::vec2(1024.0, 568.0), settings);
    harness.get_by_label("Slow animation").click();
    harness.step();
    assert!(*harness.state_mut().pipeline.slow_mut());
    // Listen: AddSocket's idle sockets slide into the pool, one after another.
    let address = listen(&mut harness);
    harness.step();
    let sliding = drawn_at(&harness, "sliding into the pool").is_some()
        || kittest::frames_until(|| {
            harness.step();
            drawn_at(&harness, "sliding into the pool").is_some()
        });
    assert!(sliding, "{:?}", harness.state().pipeline.moving());
    run_until(&mut harness, "the pool filled", |w| !w.pipeline.is_moving());
    assert!(drawn_at(&harness, "sliding into the pool").is_none());

    // A client connects: its dot, named by its port, moves stage by stage to Connected.
    let client = greeted_client(address);
    let name = format!(
        "Connection :{} moving to Connected",
        client.local_addr().unwrap().port()
    );
    run_until(&mut harness, "the connection moving", |w| {
        w.pipeline.moving().contains(&name)
    });
    let mut path = Vec::new();
    // Slow animation: 4 stages of 1.2 s each, a quarter of a second a frame.
    for _ in 0..40 {
        harness.step();
        match drawn_at(&harness, &name) {
            Some(at) => path.push(at),
            None if !path.is_empty() => break,
            None => {}
        }
    }
    assert!(
        path.len() >= 10,
        "drawn slowly, frame after frame: {path:?}"
    );
    assert!(
        path.windows(2).all(|pair| pair[1].x >= pair[0].x),
        "left to right: {path:?}"
    );
    let connected = harness.get_by_label_contains("Connected: 1").rect();
    let first = path[0];
    let last = path[path.len() - 1];
    assert!(
        first.x < connected.left(),
        "it sets off before Connected: {path:?}"
    );
    assert!(connected.contains(last), "it ends in Connected: {path:?}");
    // Once there, nothing moves and the window asks for no more frames.
    assert!(!harness.state().pipeline.is_moving());
    harness.step();
    assert!(drawn_at(&harness, &name).is_none());
}

/// How soon the last frame asked for the next one (`Duration::MAX`: it did not).
fn next_frame_in(harness: &Harness<'_, ServerWindow>) -> Duration {
    harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay
}

#[test]
fn once_the_pool_has_slid_in_an_idle_listening_window_asks_for_no_frame() {
    let mut harness = window(2, 10);
    listen(&mut harness);
    // AddSocket's new sockets slide into the pool: the window draws while they move.
    assert!(harness.state().pipeline.is_moving());
    assert!(next_frame_in(&harness) < Duration::from_secs(1));
    run_until(&mut harness, "the pool still", |w| {
        w.server.rows.count(RowState::Idle) == 2 && !w.pipeline.is_moving()
    });
    harness.step();
    // Nothing moves and nothing happens: no frame is asked for (the idle_repaints bench).
    assert_eq!(
        next_frame_in(&harness),
        Duration::MAX,
        "{:?}",
        harness.ctx.repaint_causes()
    );
}

/// Side by side on a 1366-wide screen each window is about 680 wide: every control of the
/// server's settings stays inside it, before and after Listen (a wrapping row once let the
/// idle timeout's field, and the greeting after it, run past the edge).
#[test]
fn at_half_a_wide_screen_no_control_runs_past_the_edge() {
    let size = egui::vec2(680.0, 740.0);
    // Any free port: 2002 may be a running server's (the app beside the tests).
    let settings = ServerSettings {
        port: "0".to_owned(),
        ..ServerSettings::default()
    };
    let mut harness = window_with(size, settings);
    harness.run_steps(2);
    assert_eq!(
        controls_past_the_edge(&harness, size.x),
        Vec::<String>::new()
    );
    listen(&mut harness);
    click(&mut harness, "All settings");
    assert_eq!(
        controls_past_the_edge(&harness, size.x),
        Vec::<String>::new()
    );
}

/// The controls a user acts on whose right edge is past `width`, by label.
fn controls_past_the_edge(harness: &Harness<'_, ServerWindow>, width: f32) -> Vec<String> {
    use egui_kittest::kittest::NodeT as _;
    harness
        .root()
        .children_recursive()
        .map(|node| node.accesskit_node())
        .filter(|node| egui::accessibility::is_input(node.role()) && !node.is_hidden())
        .filter(|node| node.raw_bounds().is_some_and(|b| b.x1 > f64::from(width)))
        .map(|node| format!("{:?} {:?}", node.role(), node.label()))
        .collect()
}

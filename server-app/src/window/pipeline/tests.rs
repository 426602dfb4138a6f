//! The pipeline's pictures, checked in (`tests/snapshots/`), and which stage a concept lights.

use super::*;

#[test]
fn concepts_light_their_stage() {
    assert_eq!(
        Stage::of_concept("Accept queue and backlog"),
        Some(Stage::Kernel)
    );
    assert_eq!(
        Stage::of_concept("The pool and AddSocket"),
        Some(Stage::Idle)
    );
    assert_eq!(Stage::of_concept("Naive mode"), Some(Stage::Listener));
    assert_eq!(Stage::of_concept("Error codes"), None);
}

/// A server's rows: `idle` sockets in the pool and `connected` ones, their clients on
/// fixed ports so the pictures do not change from run to run.
fn rows(idle: u64, connected: u64) -> SocketRows {
    let mut rows = SocketRows::default();
    let local = "127.0.0.1:2002".parse().unwrap();
    for id in 0..idle + connected {
        rows.apply(
            serversocket_report::Role::Server,
            &Event::AddSocket {
                socket: SocketId(id),
            },
        );
    }
    for id in 0..connected {
        let remote =
            std::net::SocketAddr::from(([127, 0, 0, 1], 46116 + u16::try_from(id).unwrap()));
        rows.apply(
            serversocket_report::Role::Server,
            &Event::Connected {
                socket: SocketId(id),
                local,
                remote,
            },
        );
    }
    rows
}

/// The pipeline of `counts`, drawn 760 points wide and compared with its checked-in
/// picture (`tests/snapshots/NAME.png`; `UPDATE_SNAPSHOTS=1` rewrites them).
fn snapshot(name: &str, counts: &Counts<'_>) {
    snapshot_after(name, counts, Pipeline::default(), 0);
}

/// The same, `pipeline` drawn `frames` frames (a quarter of a second each) after the first.
fn snapshot_after(name: &str, counts: &Counts<'_>, mut pipeline: Pipeline, frames: usize) {
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(760.0, 110.0))
        .wgpu()
        .build_ui(|ui| {
            pipeline.ui(ui, counts);
        });
    if frames == 0 {
        harness.run();
    } else {
        harness.run_steps(frames);
    }
    // A little room for font rasterisation differing between Mesa versions.
    let options = egui_kittest::SnapshotOptions::new()
        .threshold(1.5)
        .max_failed_pixels(400);
    harness.snapshot_options(name, &options);
}

// The view takes the queue as an Option (none before the first sample).
#[allow(clippy::unnecessary_wraps)]
fn queue(waiting: u32, syn_recv: u32, overflows: u64) -> Option<AcceptQueue> {
    Some(AcceptQueue {
        waiting,
        capacity: 16,
        syn_recv,
        overflows,
    })
}

/// A pool listening with Min 2 and Max 10, nothing waiting in the kernel.
fn listening(rows: &SocketRows) -> Counts<'_> {
    Counts {
        queue: queue(0, 0, 0),
        listener: ListenerState::Open,
        limits: Some((2, 10)),
        rows,
        selected: None,
        lit: None,
        packets: None,
    }
}

#[test]
fn the_pipeline_listening_looks_as_checked_in() {
    let rows = rows(2, 0);
    snapshot("pipeline_listening", &listening(&rows));
}

#[test]
fn the_pipeline_at_max_with_a_queue_and_overflows_looks_as_checked_in() {
    let rows = rows(2, 2);
    snapshot(
        "pipeline_at_max_with_a_queue_and_overflows",
        &Counts {
            queue: queue(4, 1, 7),
            listener: ListenerState::Open,
            limits: Some((2, 2)),
            rows: &rows,
            selected: Some(SocketId(1)),
            lit: Some(Stage::Kernel),
            packets: None,
        },
    );
}

#[test]
fn a_connection_half_way_and_a_new_socket_sliding_in_look_as_checked_in() {
    let rows = rows(2, 1);
    let mut pipeline = Pipeline::default();
    pipeline.record(
        &Event::Connected {
            socket: SocketId(0),
            local: "127.0.0.1:2002".parse().unwrap(),
            remote: "127.0.0.1:46116".parse().unwrap(),
        },
        Duration::ZERO,
        std::time::Instant::now(),
    );
    pipeline.record(
        &Event::AddSocket {
            socket: SocketId(2),
        },
        Duration::ZERO,
        std::time::Instant::now(),
    );
    snapshot_after(
        "pipeline_a_connection_moving",
        &listening(&rows),
        pipeline,
        1,
    );
}

#[test]
fn the_naive_pipeline_in_its_gap_looks_as_checked_in() {
    let rows = rows(0, 1);
    snapshot(
        "pipeline_naive_in_its_gap",
        &Counts {
            queue: None,
            listener: ListenerState::Gap,
            limits: None,
            rows: &rows,
            selected: None,
            lit: None,
            packets: None,
        },
    );
}

/// The rows of `galley` as their characters, a row a string, and whether each ends a line the
/// text broke itself (`\n`) rather than one the width broke.
fn rows_of(galley: &egui::Galley) -> Vec<(String, bool)> {
    galley
        .rows
        .iter()
        .map(|row| {
            (
                row.row.glyphs.iter().map(|glyph| glyph.chr).collect(),
                row.ends_with_newline,
            )
        })
        .collect()
}

/// At every width a stage is drawn (the pipeline scrolls sideways rather than draw one
/// narrower than [`MIN_STAGE_WIDTH`]), every stage's words wrap between words, never inside one
/// ("0 dropped syste|m-wide" was seen at 1366x768, "Listeni|ng" in a 512-point window).
#[test]
fn a_narrow_stage_wraps_only_between_words() {
    let rows = rows(2, 2);
    let counts = Counts {
        queue: queue(4, 3, 0),
        limits: Some((1, 2)),
        ..listening(&rows)
    };
    let mut broken = Vec::new();
    let mut harness = egui_kittest::Harness::new_ui(|ui| {
        broken.clear();
        for stage in [
            Stage::Clients,
            Stage::Kernel,
            Stage::Listener,
            Stage::Idle,
            Stage::Connected,
        ] {
            for step in 0..40_u8 {
                let width = MIN_STAGE_WIDTH + 2.0 * f32::from(step);
                let words = StageWords::new(ui, stage_text(stage, &counts, 3), width);
                for galley in words.galleys() {
                    let rows = rows_of(galley);
                    for pair in rows.windows(2) {
                        let ((row, by_newline), (next, _)) = (&pair[0], &pair[1]);
                        let cut_inside_a_word = !by_newline
                            && row.chars().last().is_some_and(char::is_alphanumeric)
                            && next.chars().next().is_some_and(char::is_alphanumeric);
                        if cut_inside_a_word {
                            broken.push(format!("{stage:?} at {width}: {row:?} | {next:?}"));
                        }
                    }
                }
            }
        }
    });
    harness.run();
    drop(harness);
    assert!(broken.is_empty(), "cut inside a word: {broken:?}");
}

/// Where the pipeline has less room than its five stages need (300 points), each stage keeps
/// the narrowest width its words wrap well at, and the pipeline scrolls sideways.
#[test]
fn a_narrow_pipeline_keeps_its_stages_wide_enough_and_scrolls() {
    use egui_kittest::kittest::Queryable as _;

    let rows = rows(2, 0);
    let counts = listening(&rows);
    let mut pipeline = Pipeline::default();
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(300.0, 140.0))
        .build_ui(|ui| {
            pipeline.ui(ui, &counts);
        });
    harness.run();
    for title in [
        "Clients arriving",
        "Kernel",
        "Listening socket",
        "Idle pool",
        "Connected",
    ] {
        let label = format!("{title}:");
        let width = harness.get_by_label_contains(&label).rect().width();
        assert!(width >= MIN_STAGE_WIDTH, "{title}: {width} points wide");
    }
}

//! The pipeline: the server window's main view, a live diagram of what a ServerSocket is.
//! Left to right: clients arriving, the kernel (SYN queue, accept queue with its capacity,
//! overflows), the listening socket (open, paused, closed), the pool of idle sockets (AddSocket
//! refilling it) and the connected sockets (Max drawn as a limit). Each connection is drawn
//! moving from stage to stage as its events arrive, slowly in slow motion; a stage lights up
//! while a concept about it is open. Naive mode draws its own, shorter pipeline: one socket,
//! and the gap while it is closed.

mod flights;

use std::time::Duration;

use serversocket::{Event, SocketId};
use serversocket_kernel::AcceptQueue;
use serversocket_ui::theme;
use serversocket_ui::{RowState, SocketRows};

use flights::Flights;

/// The diagram's least height, in points (more when a stage's words wrap).
const HEIGHT: f32 = 86.0;
/// Room under a stage's words: the connected sockets' chips, the moving dots, Max's bar.
const FOOT: f32 = 28.0;

/// One stage of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Clients connecting (the half-open handshakes the kernel holds: the SYN queue).
    Clients,
    /// The kernel's accept queue: connections complete, waiting for an accept.
    Kernel,
    /// The listening socket.
    Listener,
    /// Idle sockets of the pool.
    Idle,
    /// Connected sockets.
    Connected,
}

impl Stage {
    /// The stage's name, as its box shows it.
    fn name(self) -> &'static str {
        match self {
            Self::Clients => "Clients arriving",
            Self::Kernel => "Kernel",
            Self::Listener => "Listening socket",
            Self::Idle => "Idle pool",
            Self::Connected => "Connected",
        }
    }

    /// Which stage a concept (by its title in the concepts overlay) talks about.
    #[must_use]
    pub fn of_concept(title: &str) -> Option<Self> {
        match title {
            "SYN queue" => Some(Self::Clients),
            "Accept queue and backlog" | "Overflow" => Some(Self::Kernel),
            "Listening socket" | "Accept" | "Naive mode" | "Ports below 1024" => {
                Some(Self::Listener)
            }
            "The pool and AddSocket" | "MinimumSocketsAvailable" => Some(Self::Idle),
            "MaximumSocketsConnected" | "Handoff" => Some(Self::Connected),
            _ => None,
        }
    }
}

/// Whether the listening socket takes connections now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerState {
    /// Listening and accepting.
    Open,
    /// Listening, but the pool accepts nothing (Pause accepting): the kernel's queue fills.
    Paused,
    /// Nothing listens on the port.
    Closed,
    /// The naive socket closed to serve a connection, listening again after its delay:
    /// clients arriving in this gap are refused.
    Gap,
}

/// What the pipeline shows this frame, read from the window's state.
#[derive(Debug, Clone, Copy)]
pub struct Counts<'a> {
    /// The accept queue's last sample (none when not sampled).
    pub queue: Option<AcceptQueue>,
    /// The listener.
    pub listener: ListenerState,
    /// MinimumSocketsAvailable and MaximumSocketsConnected; none in naive mode.
    pub limits: Option<(usize, usize)>,
    /// Every socket, for the idle and connected stages.
    pub rows: &'a SocketRows,
    /// The socket selected in any view.
    pub selected: Option<SocketId>,
    /// The stage a concept now open talks about.
    pub lit: Option<Stage>,
}

/// The pipeline's moving parts.
#[derive(Debug, Default)]
pub struct Pipeline {
    /// Connections and new sockets moving now or about to.
    flights: Flights,
    /// AddSocket calls since Listen: the pool refilling itself.
    add_sockets: u64,
}

impl Pipeline {
    /// Follows an event: counts AddSocket since Listen, and starts what it moves.
    /// `handoff` is the slow-motion delay (see [`Flights::record`]).
    pub fn record(&mut self, event: &Event, handoff: Duration) {
        match event {
            Event::Listening { .. } => self.add_sockets = 0,
            Event::AddSocket { .. } => self.add_sockets += 1,
            _ => {}
        }
        self.flights.record(event, handoff);
    }

    /// Whether anything moves (or is about to), so the window keeps drawing.
    #[must_use]
    pub fn is_moving(&self) -> bool {
        self.flights.is_moving()
    }

    /// The names of what moves now, as a screen reader is told them.
    #[cfg(test)]
    pub fn moving(&self) -> Vec<String> {
        self.flights.moving()
    }

    /// The slow animation toggle.
    pub fn slow_mut(&mut self) -> &mut bool {
        &mut self.flights.slow
    }

    /// Draws the pipeline across the width there is. Returns the socket clicked, if any.
    pub fn ui(&mut self, ui: &mut egui::Ui, counts: &Counts<'_>) -> Option<SocketId> {
        let now = ui.input(|i| i.time);
        self.flights.advance(now);
        let naive = counts.limits.is_none();
        let stages: &[Stage] = if naive {
            &[
                Stage::Clients,
                Stage::Kernel,
                Stage::Listener,
                Stage::Connected,
            ]
        } else {
            &[
                Stage::Clients,
                Stage::Kernel,
                Stage::Listener,
                Stage::Idle,
                Stage::Connected,
            ]
        };
        let arrow = 14.0;
        let width = ((ui.available_width() - arrow * (stages.len() - 1) as f32)
            / stages.len() as f32)
            .max(1.0);
        // Each stage's words, wrapped at word boundaries in its box: the tallest sets the
        // diagram's height.
        let words: Vec<StageWords> = stages
            .iter()
            .map(|&stage| StageWords::new(ui, stage_text(stage, counts, self.add_sockets), width))
            .collect();
        let height = words
            .iter()
            .map(|words| words.height() + FOOT)
            .fold(HEIGHT, f32::max);
        let (area, _) = ui.allocate_exact_size(
            egui::vec2(ui.available_width(), height),
            egui::Sense::hover(),
        );
        let boxes: Vec<(Stage, egui::Rect)> = stages
            .iter()
            .enumerate()
            .map(|(index, &stage)| {
                let left = area.left() + index as f32 * (width + arrow);
                (
                    stage,
                    egui::Rect::from_min_size(
                        egui::pos2(left, area.top()),
                        egui::vec2(width, height),
                    ),
                )
            })
            .collect();
        let stroke = ui.visuals().widgets.noninteractive.fg_stroke.color;
        for pair in boxes.windows(2) {
            let from = pair[0].1.right_center();
            let to = pair[1].1.left_center();
            ui.painter().arrow(from, to - from, (1.5, stroke));
        }
        let mut clicked = None;
        for (&(stage, rect), words) in boxes.iter().zip(&words) {
            if let Some(id) = stage_ui(ui, stage, rect, counts, words) {
                clicked = Some(id);
            }
        }
        self.flights.ui(ui, &boxes, now);
        if self.is_moving() {
            ui.ctx().request_repaint_after(flights::FRAME);
        }
        clicked
    }
}

/// What a stage's box says.
struct StageText {
    title: &'static str,
    count: String,
    detail: String,
    color: egui::Color32,
    tip: &'static str,
}

/// A stage's words laid out for its box: each wrapped at word boundaries to the box's width.
struct StageWords {
    text: StageText,
    title: std::sync::Arc<egui::Galley>,
    count: std::sync::Arc<egui::Galley>,
    detail: std::sync::Arc<egui::Galley>,
}

impl StageWords {
    /// Room at each side of the words inside the box.
    const MARGIN: f32 = 4.0;

    fn new(ui: &egui::Ui, text: StageText, width: f32) -> Self {
        let wrap = (width - 2.0 * Self::MARGIN).max(1.0);
        let strong = ui.visuals().strong_text_color();
        let weak = ui.visuals().weak_text_color();
        let layout = |words: &str, size: f32, color| {
            let mut job = egui::text::LayoutJob::simple(
                words.to_owned(),
                egui::FontId::proportional(size),
                color,
                wrap,
            );
            job.halign = egui::Align::Center;
            ui.painter().layout_job(job)
        };
        Self {
            title: layout(text.title, 12.0, strong),
            count: layout(&text.count, 20.0, strong),
            detail: layout(&text.detail, 10.0, weak),
            text,
        }
    }

    /// How tall the words are, with their margins.
    fn height(&self) -> f32 {
        4.0 + self.title.size().y + self.count.size().y + self.detail.size().y + 4.0
    }
}

/// What `stage`'s box says now.
fn stage_text(stage: Stage, counts: &Counts<'_>, add_sockets: u64) -> StageText {
    let naive = counts.limits.is_none();
    let queue = counts.queue;
    let connected = counts.rows.count(RowState::Connected);
    let idle = counts.rows.count(RowState::Idle);
    let (title, count, detail, color, tip) = match stage {
        Stage::Clients => (
            "Clients arriving",
            queue.map_or_else(|| "—".to_owned(), |q| q.syn_recv.to_string()),
            "half-open (SYN queue)".to_owned(),
            theme::ORANGE,
            "Clients whose handshake the kernel is completing (SYN_RECV); they need no socket of the program yet",
        ),
        Stage::Kernel => (
            "Kernel",
            queue.map_or_else(|| "—".to_owned(), |q| q.waiting.to_string()),
            queue.map_or_else(
                || {
                    if naive {
                        "not sampled in naive mode".to_owned()
                    } else {
                        "accept queue".to_owned()
                    }
                },
                |q| format!("of {} · {} dropped", q.capacity, q.overflows),
            ),
            theme::IN_KERNEL,
            "The accept queue: connections the kernel completed that no socket took yet; beyond its capacity (the backlog) the kernel drops new ones",
        ),
        Stage::Listener => {
            let (word, tip) = match counts.listener {
                ListenerState::Open => (
                    "open",
                    "The listening socket is open: the pool accepts connections",
                ),
                ListenerState::Paused => (
                    "paused",
                    "Listening, but accepting is paused: connections wait in the kernel",
                ),
                ListenerState::Gap => (
                    "closed (gap)",
                    "The single socket is closed while it serves: clients arriving now are refused",
                ),
                ListenerState::Closed => {
                    ("closed", "Nothing listens on the port: clients are refused")
                }
            };
            (
                if naive {
                    "The one socket"
                } else {
                    "Listening socket"
                },
                word.to_owned(),
                if naive {
                    "closes to serve, then re-listens".to_owned()
                } else {
                    "accepts, hands over".to_owned()
                },
                match counts.listener {
                    ListenerState::Open => theme::LISTENER,
                    ListenerState::Paused => theme::IN_KERNEL,
                    ListenerState::Closed => theme::GREY,
                    ListenerState::Gap => theme::VERMILLION,
                },
                tip,
            )
        }
        Stage::Idle => (
            "Idle pool",
            idle.to_string(),
            counts.limits.map_or_else(String::new, |(min, _)| {
                format!("Min {min} · AddSocket ×{add_sockets}")
            }),
            RowState::Idle.color(),
            "Idle sockets, ready for the next connection; AddSocket makes a new one whenever fewer than MinimumSocketsAvailable are left",
        ),
        Stage::Connected => (
            "Connected",
            match counts.limits {
                Some((_, max)) => format!("{connected} / {max}"),
                None => connected.to_string(),
            },
            match counts.limits {
                Some((_, max)) if connected >= max => "at Max: no more accepts".to_owned(),
                Some(_) => "of Max".to_owned(),
                None => "no limit".to_owned(),
            },
            RowState::Connected.color(),
            "Sockets serving a client; at MaximumSocketsConnected the pool stops accepting",
        ),
    };
    StageText {
        title,
        count,
        detail,
        color,
        tip,
    }
}

/// One stage's box: its name, its count, a line of detail (each wrapped in the box); lit when
/// a concept open talks about it. Returns the socket clicked in the connected stage.
fn stage_ui(
    ui: &mut egui::Ui,
    stage: Stage,
    rect: egui::Rect,
    counts: &Counts<'_>,
    words: &StageWords,
) -> Option<SocketId> {
    let connected = counts.rows.count(RowState::Connected);
    let StageText {
        title,
        count,
        detail,
        color,
        tip,
    } = &words.text;
    let color = *color;
    let lit = counts.lit == Some(stage);
    let visuals = ui.visuals().clone();
    let painter = ui.painter();
    painter.rect_filled(
        rect,
        6.0,
        color.gamma_multiply(if lit { 0.35 } else { 0.12 }),
    );
    painter.rect_stroke(
        rect,
        6.0,
        if lit {
            egui::Stroke::new(3.0, visuals.selection.stroke.color)
        } else {
            egui::Stroke::new(1.0, color)
        },
        egui::StrokeKind::Inside,
    );
    // Centred galleys are laid out around x = 0: each goes at the box's centre line.
    let mut top = rect.top() + 4.0;
    for galley in [&words.title, &words.count, &words.detail] {
        let height = galley.size().y;
        painter.galley(
            egui::pos2(rect.center().x, top),
            std::sync::Arc::clone(galley),
            visuals.strong_text_color(),
        );
        top += height;
    }
    // Max as a limit: a bar across the top of the connected stage, filled up to the count.
    if let (Stage::Connected, Some((_, max))) = (stage, counts.limits)
        && max > 0
    {
        let bar = egui::Rect::from_min_size(
            rect.left_bottom() + egui::vec2(6.0, -8.0),
            egui::vec2(rect.width() - 12.0, 4.0),
        );
        painter.rect_filled(bar, 2.0, visuals.faint_bg_color);
        let full = (connected as f32 / max as f32).min(1.0);
        painter.rect_filled(
            egui::Rect::from_min_size(bar.min, egui::vec2(bar.width() * full, bar.height())),
            2.0,
            if connected >= max {
                theme::VERMILLION
            } else {
                color
            },
        );
    }
    let name = format!("{title}: {count} {detail}");
    let response = ui.interact(
        rect,
        ui.scope_id().with(("stage", title)),
        egui::Sense::hover(),
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &name));
    response.on_hover_text(*tip);
    if stage == Stage::Connected {
        return connected_chips_ui(ui, rect, top, counts);
    }
    None
}

/// The connected sockets as small chips at the foot of their stage, each named by the
/// client's port; clicking one selects that socket in every view.
fn connected_chips_ui(
    ui: &mut egui::Ui,
    rect: egui::Rect,
    top: f32,
    counts: &Counts<'_>,
) -> Option<SocketId> {
    let strip = egui::Rect::from_min_max(
        egui::pos2(rect.left() + 4.0, top + 2.0),
        rect.right_bottom() - egui::vec2(4.0, 10.0),
    );
    let mut clicked = None;
    // A child that takes no room in the parent: the chips sit inside the stage's box.
    let ui = &mut ui.new_child(
        egui::UiBuilder::new()
            .max_rect(strip)
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    {
        ui.spacing_mut().item_spacing.x = 2.0;
        ui.spacing_mut().button_padding = egui::vec2(2.0, 0.0);
        for row in counts
            .rows
            .iter()
            .filter(|row| row.state == RowState::Connected)
        {
            if ui.available_width() < 40.0 {
                break;
            }
            let port = row
                .remote
                .map_or_else(String::new, |remote| format!(":{}", remote.port()));
            let label = egui::RichText::new(format!("{}{port}", row.id)).small();
            if ui
                .selectable_label(counts.selected == Some(row.id), label)
                .on_hover_text(format!(
                    "Socket {}, client {port}: click to select it everywhere",
                    row.id
                ))
                .clicked()
            {
                clicked = Some(row.id);
            }
        }
    }
    clicked
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn the_pipeline_listening_looks_as_checked_in() {
        let rows = rows(2, 0);
        snapshot(
            "pipeline_listening",
            &Counts {
                queue: queue(0, 0, 0),
                listener: ListenerState::Open,
                limits: Some((2, 10)),
                rows: &rows,
                selected: None,
                lit: None,
            },
        );
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
        );
        pipeline.record(
            &Event::AddSocket {
                socket: SocketId(2),
            },
            Duration::ZERO,
        );
        snapshot_after(
            "pipeline_a_connection_moving",
            &Counts {
                queue: queue(0, 0, 0),
                listener: ListenerState::Open,
                limits: Some((2, 10)),
                rows: &rows,
                selected: None,
                lit: None,
            },
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
            },
        );
    }
}

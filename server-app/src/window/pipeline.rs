//! The pipeline: the server window's main view, a live diagram of what a ServerSocket is.
//! Left to right: clients arriving, the kernel (SYN queue, accept queue with its capacity,
//! overflows), the listening socket (open, paused, closed), the pool of idle sockets (AddSocket
//! refilling it) and the connected sockets (Max drawn as a limit). Each connection is drawn
//! moving from stage to stage as its events arrive, slowly in slow motion; a stage lights up
//! while a concept about it is open. Naive mode draws its own, shorter pipeline: one socket,
//! and the gap while it is closed.

mod flights;
mod stages;

use std::time::Duration;

use serversocket::{Event, SocketId};
use serversocket_kernel::AcceptQueue;
use serversocket_ui::SocketRows;

use flights::Flights;
use stages::{StageWords, stage_text, stage_ui};

/// The diagram's least height, in points (more when a stage's words wrap).
const HEIGHT: f32 = 86.0;
/// Room under a stage's words: the connected sockets' chips, the moving dots, Max's bar.
const FOOT: f32 = 28.0;
/// The narrowest a stage is drawn: narrower, egui cuts its longest word ("Listeni|ng"), so the
/// pipeline scrolls sideways instead.
const MIN_STAGE_WIDTH: f32 = 80.0;
/// The gap between two stages, where the arrow is.
const ARROW: f32 = 14.0;

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
            "SYN queue" | serversocket_ui::packets::CONCEPT_TITLE => Some(Self::Clients),
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
    /// The captured segments, when Capture packets is on: a moving connection's dot says
    /// which segment moved it.
    pub packets: Option<&'a serversocket_ui::packets::Packets>,
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
    /// `handoff` is the slow-motion delay, `sent` when the socket sent it (see
    /// [`Flights::record`]).
    pub fn record(&mut self, event: &Event, handoff: Duration, sent: std::time::Instant) {
        match event {
            Event::Listening { .. } => self.add_sockets = 0,
            Event::AddSocket { .. } => self.add_sockets += 1,
            _ => {}
        }
        self.flights.record(event, handoff, sent);
    }

    /// Starts the count of AddSocket calls over, as a Listen does (a lesson's step that stops
    /// everything).
    pub fn forget_add_sockets(&mut self) {
        self.add_sockets = 0;
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

    /// Draws the pipeline across the width there is, or, where that is too narrow for a
    /// stage's words to wrap only between words (a half-screen window with the Lessons panel
    /// open), at the narrowest width that lets them, scrolled sideways. Returns the socket
    /// clicked, if any.
    pub fn ui(&mut self, ui: &mut egui::Ui, counts: &Counts<'_>) -> Option<SocketId> {
        let stages = stages(counts.limits.is_none());
        let count = stages.len() as f32;
        let narrowest = MIN_STAGE_WIDTH * count + ARROW * (count - 1.0);
        if ui.available_width() >= narrowest {
            let width = ui.available_width();
            self.draw(ui, counts, stages, width)
        } else {
            egui::ScrollArea::horizontal()
                .id_salt("pipeline")
                .show(ui, |ui| self.draw(ui, counts, stages, narrowest))
                .inner
        }
    }

    /// Draws `stages` across `across` points.
    fn draw(
        &mut self,
        ui: &mut egui::Ui,
        counts: &Counts<'_>,
        stages: &[Stage],
        across: f32,
    ) -> Option<SocketId> {
        let now = ui.input(|i| i.time);
        self.flights.advance(now);
        let arrow = ARROW;
        let width = ((across - arrow * (stages.len() - 1) as f32) / stages.len() as f32).max(1.0);
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
        let (area, _) = ui.allocate_exact_size(egui::vec2(across, height), egui::Sense::hover());
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
        self.flights.ui(ui, &boxes, now, counts.packets);
        if self.is_moving() {
            ui.ctx().request_repaint_after(flights::FRAME);
        }
        clicked
    }
}

/// The stages in order: the naive server has no pool of idle sockets.
fn stages(naive: bool) -> &'static [Stage] {
    if naive {
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
    }
}

#[cfg(test)]
mod tests;

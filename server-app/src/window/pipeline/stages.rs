//! The pipeline's stages as boxes: what each says now (its name, count and detail, wrapped to
//! its width), how it is drawn and lit, and the connected sockets' chips at its foot.

use serversocket::SocketId;
use serversocket_ui::RowState;
use serversocket_ui::theme;

use super::{Counts, ListenerState, Stage};

/// What a stage's box says.
pub(super) struct StageText {
    title: &'static str,
    count: String,
    detail: String,
    color: egui::Color32,
    tip: &'static str,
}

/// A stage's words laid out for its box: each wrapped at word boundaries to the box's width.
pub(super) struct StageWords {
    text: StageText,
    title: std::sync::Arc<egui::Galley>,
    count: std::sync::Arc<egui::Galley>,
    detail: std::sync::Arc<egui::Galley>,
}

impl StageWords {
    /// Room at each side of the words inside the box.
    const MARGIN: f32 = 4.0;

    pub(super) fn new(ui: &egui::Ui, text: StageText, width: f32) -> Self {
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

    /// The name, count and detail as laid out, for the tests of their wrapping.
    #[cfg(test)]
    pub(super) fn galleys(&self) -> [&egui::Galley; 3] {
        [&self.title, &self.count, &self.detail]
    }

    /// How tall the words are, with their margins.
    pub(super) fn height(&self) -> f32 {
        4.0 + self.title.size().y + self.count.size().y + self.detail.size().y + 4.0
    }
}

/// What `stage`'s box says now.
pub(super) fn stage_text(stage: Stage, counts: &Counts<'_>, add_sockets: u64) -> StageText {
    let naive = counts.limits.is_none();
    let queue = counts.queue;
    let connected = counts.rows.count(RowState::Connected);
    let idle = counts.rows.count(RowState::Idle);
    let (title, count, detail, color, tip) = match stage {
        Stage::Clients => (
            "Clients arriving",
            queue.map_or_else(|| "—".to_owned(), |q| q.syn_recv.to_string()),
            // No-break spaces: a narrow stage (the Lessons panel open) breaks between the
            // phrases, never inside one.
            "half-open (SYN\u{a0}queue)".to_owned(),
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
                // The kernel counts drops for the whole system, not per listener: say so. A narrow
                // stage breaks before "system-wide", never inside it.
                |q| {
                    format!(
                        "of {}\n{}\u{a0}dropped system-wide",
                        q.capacity, q.overflows
                    )
                },
            ),
            theme::IN_KERNEL,
            "The accept queue: connections the kernel completed that no socket took yet; beyond its capacity (the backlog) the kernel drops new ones. The dropped count is the whole system's (every listener on this machine or container adds to it), since Listen",
        ),
        Stage::Listener => {
            // Open at Max accepts nothing: the kernel still completes handshakes, and they
            // wait in its queue until a connection closes.
            let at_max = counts
                .limits
                .is_some_and(|(_, max)| connected >= max && counts.listener == ListenerState::Open);
            let (word, tip) = match counts.listener {
                ListenerState::Open if at_max => (
                    "open",
                    "The listening socket is open, but the pool is at MaximumSocketsConnected: it accepts no more until a connection closes, and clients arriving meanwhile wait in the kernel's accept queue",
                ),
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
                } else if at_max {
                    "at Max: not accepting".to_owned()
                } else {
                    "accepts, hands over".to_owned()
                },
                match counts.listener {
                    ListenerState::Open if at_max => theme::IN_KERNEL,
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
                // Each phrase whole: "×12" alone under "AddSocket" read as nothing.
                format!("Min\u{a0}{min} · AddSocket\u{a0}×{add_sockets}")
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
pub(super) fn stage_ui(
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
        let connected = counts.rows.count(RowState::Connected);
        for (shown, row) in counts
            .rows
            .iter()
            .filter(|row| row.state == RowState::Connected)
            .enumerate()
        {
            // The last chip needs room for itself; any other, for itself and a "+N" after
            // it, so the box never shows some of the sockets as if they were all.
            let rest = connected - shown;
            let room = if rest == 1 { 40.0 } else { 40.0 + 30.0 };
            if ui.available_width() < room {
                ui.label(egui::RichText::new(format!("+{rest}")).small())
                    .on_hover_text(format!(
                        "{rest} more connected sockets: every one is in the table below"
                    ));
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

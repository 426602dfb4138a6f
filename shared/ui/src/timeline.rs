//! The live timeline: what the sockets did over the last minutes, drawn with egui_plot.
//!
//! A window declares its series once: *levels* (how many sockets are idle, connected, whether
//! the listener is open), drawn as steps, and *rates* (accepts, refused connects), counted per
//! second and drawn as bars. Markers note the user's actions (Listen, Stop, a Min/Max change).
//! The window feeds it as events arrive; nothing here polls, so an idle window stays idle.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use egui::Color32;
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoint, Text, VLine};

/// How much history the timeline keeps.
pub const HISTORY: Duration = Duration::from_secs(5 * 60);

/// Level changes closer together than this (seconds) are kept as one, the last value winning:
/// a busy server changes its levels every frame, and the plot needs no more points than it has
/// pixels (about 10 a second at the default 60-second view).
const LEVEL_RESOLUTION: f64 = 0.1;

/// How many seconds the plot shows until the user zooms (double-click returns to it).
const SHORTEST_VIEW: f64 = 60.0;

/// Changes closer together than this (seconds) belong to one burst ("Zoom to last burst").
const BURST_GAP: f64 = 1.0;

/// The fewest changes that make a burst; fewer are shown with [`LONE_CHANGE_VIEW`] seconds
/// before them.
const LEAST_BURST: usize = 3;

/// How many seconds before a change or two alone "Zoom to last burst" shows.
const LONE_CHANGE_VIEW: f64 = 3.0;

/// A view narrower than this (seconds) draws no per-second bars: one bar would fill it,
/// tinting even what came before the second's first event.
const NARROWEST_VIEW_WITH_BARS: f64 = 3.0;

/// A level over time, kept as the points where it changed.
#[derive(Debug)]
struct Level {
    name: &'static str,
    color: Color32,
    /// (seconds since the origin, value), one per change.
    changes: VecDeque<[f64; 2]>,
    /// Keeps every change, however close: a level that changes rarely but briefly (the naive
    /// listener closed for 45 ms) would otherwise lose its gaps to [`LEVEL_RESOLUTION`].
    exact: bool,
}

impl Level {
    /// Records `value` from `x` on.
    fn set(&mut self, x: f64, value: f64) {
        let count = self.changes.len();
        match self.changes.back_mut() {
            Some(last) if last[1] == value => {}
            Some(last) if !self.exact && x - last[0] < LEVEL_RESOLUTION && count > 1 => {
                last[1] = value;
                // Back to the value before: the short excursion leaves no step.
                if self
                    .changes
                    .get(count - 2)
                    .is_some_and(|before| before[1] == value)
                {
                    self.changes.pop_back();
                }
            }
            _ => self.changes.push_back([x, value]),
        }
    }
}

/// A count of things per second.
#[derive(Debug)]
struct Rate {
    name: &'static str,
    color: Color32,
    /// (whole second since the origin, how many in it), oldest first.
    per_second: VecDeque<(u64, u32)>,
    /// How many in all, history forgotten or not.
    total: u64,
}

/// Something the user did, at a time.
#[derive(Debug, Clone)]
struct Marker {
    at: f64,
    label: String,
}

/// The series of one window and their recent history.
#[derive(Debug)]
pub struct Timeline {
    /// Time zero of the x axis: when the window opened.
    origin: Instant,
    levels: Vec<Level>,
    rates: Vec<Rate>,
    markers: VecDeque<Marker>,
    /// The view follows the last burst (the default, where a burst is more than a sliver
    /// at the right edge), until the learner pans, zooms or asks for the last minute.
    follow_burst: bool,
    /// The learner asked for the last burst ("Zoom to last burst"): followed however long
    /// ago it was. Unasked, a burst over a minute old gives way to the last minute.
    burst_asked: bool,
}

impl Timeline {
    /// A timeline starting now, with these levels and rates (name and colour each).
    #[must_use]
    pub fn new(levels: &[(&'static str, Color32)], rates: &[(&'static str, Color32)]) -> Self {
        Self {
            origin: Instant::now(),
            levels: levels
                .iter()
                .map(|&(name, color)| Level {
                    name,
                    color,
                    changes: VecDeque::new(),
                    exact: false,
                })
                .collect(),
            rates: rates
                .iter()
                .map(|&(name, color)| Rate {
                    name,
                    color,
                    per_second: VecDeque::new(),
                    total: 0,
                })
                .collect(),
            markers: VecDeque::new(),
            follow_burst: true,
            burst_asked: false,
        }
    }

    /// Seconds from the origin to `at`.
    fn seconds(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.origin).as_secs_f64()
    }

    /// The level `name` is `value` from `at` on (nothing is stored when it did not change; a
    /// change within `LEVEL_RESOLUTION` of the last one replaces it).
    pub fn set(&mut self, name: &str, at: Instant, value: f64) {
        let x = self.seconds(at);
        if let Some(level) = self.levels.iter_mut().find(|level| level.name == name) {
            level.set(x, value);
        }
        self.forget_before(x);
    }

    /// The level `name` keeps every change, however close to the one before (see
    /// `Level::exact`); for levels that change seldom, such as whether the listener is open.
    #[must_use]
    pub fn keep_every_change(mut self, name: &str) -> Self {
        if let Some(level) = self.levels.iter_mut().find(|level| level.name == name) {
            level.exact = true;
        }
        self
    }

    /// One more of `name` at `at`.
    pub fn count(&mut self, name: &str, at: Instant) {
        let x = self.seconds(at);
        let second = x as u64;
        if let Some(rate) = self.rates.iter_mut().find(|rate| rate.name == name) {
            rate.total += 1;
            // Counted at the moment each event happened, in the order they arrive: two
            // sockets' moments may cross by microseconds, so one can fall in the second
            // before the last counted. It joins that second (found from the end, at once).
            let within = rate
                .per_second
                .iter()
                .rposition(|(kept, _)| *kept <= second);
            match within.and_then(|index| rate.per_second.get_mut(index)) {
                Some((kept, count)) if *kept == second => *count += 1,
                _ => rate
                    .per_second
                    .insert(within.map_or(0, |index| index + 1), (second, 1)),
            }
        }
        self.forget_before(x);
    }

    /// Marks something the user did at `at`.
    pub fn mark(&mut self, at: Instant, label: impl Into<String>) {
        let at = self.seconds(at);
        self.markers.push_back(Marker {
            at,
            label: label.into(),
        });
        self.forget_before(at);
    }

    /// The level's latest value.
    #[must_use]
    pub fn level(&self, name: &str) -> Option<f64> {
        self.levels
            .iter()
            .find(|level| level.name == name)
            .and_then(|level| level.changes.back())
            .map(|last| last[1])
    }

    /// How many of `name` were counted in all.
    #[must_use]
    pub fn total(&self, name: &str) -> u64 {
        self.rates
            .iter()
            .find(|rate| rate.name == name)
            .map_or(0, |rate| rate.total)
    }

    /// The markers' labels, oldest first.
    pub fn markers(&self) -> impl Iterator<Item = &str> {
        self.markers.iter().map(|marker| marker.label.as_str())
    }

    /// Drops what is older than [`HISTORY`], keeping each level's last value before the cut so
    /// its line still starts at the left edge.
    fn forget_before(&mut self, now: f64) {
        let cut = now - HISTORY.as_secs_f64();
        for level in &mut self.levels {
            while level.changes.len() > 1 && level.changes.get(1).is_some_and(|next| next[0] < cut)
            {
                level.changes.pop_front();
            }
        }
        for rate in &mut self.rates {
            while rate
                .per_second
                .front()
                .is_some_and(|(second, _)| (*second as f64) < cut)
            {
                rate.per_second.pop_front();
            }
        }
        while self.markers.front().is_some_and(|marker| marker.at < cut) {
            self.markers.pop_front();
        }
    }

    /// Draws the timeline under a "Timeline" header that folds it away: the legend and the
    /// view buttons on one line, the plot under them (the legend outside, so it hides no data).
    /// On a short window it starts folded, so the table and the log keep their room.
    pub fn ui(&mut self, ui: &mut egui::Ui, now: Instant) {
        let room = ui.available_height() > 480.0;
        egui::CollapsingHeader::new("Timeline")
            .default_open(room)
            .show(ui, |ui| self.contents_ui(ui, now))
            .header_response
            .on_hover_text(
                "The sockets over time: levels as steps, events per second as bars, your actions as dashed lines. It follows the last burst until you pan or zoom, and shows the last minute once that burst is over a minute old (Zoom to last burst follows it again, however old). Drag to pan, Ctrl+scroll to zoom, double-click to return to the last minute.",
            );
    }

    /// The legend and view buttons, and the plot under them, with no header (for a window
    /// that shows the timeline in a tab of its own).
    pub fn contents_ui(&mut self, ui: &mut egui::Ui, now: Instant) {
        let asked = self.controls_ui(ui, now);
        let jump = match asked {
            Some(View::LastMinute) => {
                self.follow_burst = false;
                self.burst_asked = false;
                Some([-SHORTEST_VIEW, 0.0])
            }
            Some(View::LastBurst) => {
                self.follow_burst = true;
                self.burst_asked = true;
                self.last_burst(self.seconds(now))
            }
            None if self.follow_burst => self.followed_view(self.seconds(now)),
            None => None,
        };
        if self.plot_ui(ui, now, jump) {
            self.follow_burst = false;
        }
    }

    /// What the view shows while it follows: the last burst, or, when nobody asked for it and
    /// it ended over a minute ago, the last minute. The timeline opened a minute after a burst
    /// showed three seconds of long ago, "−78 s" to "−75 s", and not what is now.
    fn followed_view(&self, now: f64) -> Option<[f64; 2]> {
        let burst = self.last_burst(now)?;
        Some(if !self.burst_asked && burst[1] < -SHORTEST_VIEW {
            [-SHORTEST_VIEW, 0.0]
        } else {
            burst
        })
    }

    /// Whether the view follows the last burst (see [`Self::contents_ui`]).
    #[must_use]
    pub fn follows_the_last_burst(&self) -> bool {
        self.follow_burst
    }

    /// The legend (a swatch and name per series) and the buttons that move the view. Returns
    /// the view a button asked for, if one did.
    fn controls_ui(&self, ui: &mut egui::Ui, now: Instant) -> Option<View> {
        let mut jump = None;
        ui.horizontal_wrapped(|ui| {
            let names = self
                .levels
                .iter()
                .map(|level| (level.name, level.color, true))
                .chain(self.rates.iter().map(|rate| (rate.name, rate.color, false)));
            for (name, color, is_level) in names {
                // A swatch and its name are one piece: a narrow window moves them whole to
                // the next line (the last one was cut at the window's edge).
                let name_width = crate::theme::unwrapped_width(ui, &name.into());
                crate::theme::new_line_unless_it_fits(ui, 17.0 + name_width);
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 3.0;
                    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
                    if is_level {
                        ui.painter().hline(rect.x_range(), rect.center().y, (2.5, color));
                    } else {
                        ui.painter().rect_filled(rect.shrink(1.0), 1.0, color.gamma_multiply(0.6));
                    }
                    ui.add(egui::Label::new(name).wrap_mode(egui::TextWrapMode::Extend));
                });
            }
            ui.separator();
            if ui
                .small_button("Last minute")
                .on_hover_text("Show the last 60 seconds")
                .clicked()
            {
                jump = Some(View::LastMinute);
            }
            let burst = self.last_burst(self.seconds(now));
            if ui
                .add_enabled(burst.is_some(), egui::Button::new("Zoom to last burst").small())
                .on_hover_text("Show the last run of changes that came close together, in milliseconds if they were")
                .clicked()
            {
                jump = Some(View::LastBurst);
            }
        });
        jump
    }

    /// The last burst of activity, as an x range in seconds before `now`: the newest change of
    /// any level or marker and those before it that came less than [`BURST_GAP`] apart, with a
    /// margin either side so the steps at its edges show.
    fn last_burst(&self, now: f64) -> Option<[f64; 2]> {
        let mut times: Vec<f64> = self
            .levels
            .iter()
            .flat_map(|level| level.changes.iter().map(|change| change[0]))
            .chain(self.markers.iter().map(|marker| marker.at))
            .collect();
        times.sort_by(f64::total_cmp);
        let end = *times.last()?;
        let mut start = end;
        let mut changes = 1;
        for &at in times.iter().rev().skip(1) {
            if start - at > BURST_GAP {
                break;
            }
            start = at;
            changes += 1;
        }
        // A change or two alone is no burst to zoom into: a 40 ms view of one step hid what
        // came before it. Shown with the seconds around it instead.
        if changes < LEAST_BURST {
            return Some([end - LONE_CHANGE_VIEW - now, (end + 0.5 - now).min(0.0)]);
        }
        let margin = ((end - start) * 0.1).max(0.02);
        Some([
            start - margin - now,
            (end + margin - now).min(0.0).max(start - now),
        ])
    }

    /// Draws the plot up to `now`: levels as steps, rates as bars, markers as vertical lines.
    /// The x axis counts seconds before `now`, so the newest data is always at the right edge;
    /// `jump` moves the view. Returns whether the learner moved the view (drag, zoom, reset).
    fn plot_ui(&self, ui: &mut egui::Ui, now: Instant, jump: Option<[f64; 2]>) -> bool {
        let now = self.seconds(now);
        let ago = |x: f64| x - now;
        let marker_color = ui.visuals().weak_text_color().gamma_multiply(0.7);
        // The highest value in view, so the markers' labels sit above the data.
        let top = self
            .levels
            .iter()
            .flat_map(|level| level.changes.iter().map(|change| change[1]))
            .chain(
                self.rates
                    .iter()
                    .flat_map(|rate| rate.per_second.iter().map(|&(_, n)| f64::from(n))),
            )
            .fold(2.0, f64::max)
            * 1.2;
        // A third of what is left, between 120 and 220 points: tall enough to read a burst's
        // steps, short enough that the table and the log below keep their room.
        let height = (ui.available_height() * 0.33).clamp(120.0, 220.0);
        let shown = Plot::new("timeline")
            .height(height)
            .default_x_bounds(-SHORTEST_VIEW, 0.0)
            .include_y(0.0)
            .include_y(top)
            .x_axis_label("time before now")
            // Short: a rotated label longer than the plot is tall ran into the buttons above.
            // The legend says which series counts per second.
            .y_axis_label("sockets · /s")
            .x_axis_formatter(|mark, range| time_label(mark.value, range.end() - range.start()))
            .allow_scroll(false)
            // Time only: zooming the counts too lost the data off the top after a few steps.
            .allow_zoom([true, false])
            .show(ui, |plot| {
                if let Some(range) = jump {
                    plot.set_plot_bounds_x(range[0]..=range[1]);
                }
                let span = plot.plot_bounds().width();
                for rate in self
                    .rates
                    .iter()
                    .filter(|_| span >= NARROWEST_VIEW_WITH_BARS)
                {
                    let bars = rate
                        .per_second
                        .iter()
                        .map(|&(second, count)| {
                            Bar::new(ago(second as f64 + 0.5), f64::from(count)).width(0.9)
                        })
                        .collect();
                    plot.bar_chart(
                        BarChart::new(rate.name, bars).color(rate.color.gamma_multiply(0.6)),
                    );
                }
                for level in &self.levels {
                    // egui_plot merges points that share a pixel column into a filled band,
                    // which turns each step's upright into a slanted band: steps stay lines.
                    plot.line(
                        Line::new(level.name, steps(&level.changes, now, ago))
                            .color(level.color)
                            .width(2.0)
                            .allow_band(false),
                    );
                }
                // Unnamed, so they stay out of the legend; the label is drawn at the top.
                for marker in &self.markers {
                    plot.vline(
                        VLine::new("", ago(marker.at))
                            .color(marker_color)
                            .width(1.0)
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                    plot.text(
                        Text::new(
                            "",
                            PlotPoint::new(ago(marker.at), top),
                            marker.label.as_str(),
                        )
                        .color(marker_color)
                        .anchor(egui::Align2::LEFT_TOP),
                    );
                }
            });
        // The axis counts seconds before now: redrawn each second while shown, or it stood
        // still between events and said a click of 16 s ago was 5 s ago.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
        let response = &shown.response;
        let zoomed = response.hovered() && ui.input(|i| i.zoom_delta() != 1.0);
        response.dragged() || response.double_clicked() || zoomed
    }
}

/// A view a button of the timeline asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    /// The last 60 seconds, from now on.
    LastMinute,
    /// The last burst, followed as new bursts come.
    LastBurst,
}

/// A tick of the time axis: seconds when the view spans seconds, milliseconds when it spans
/// less than two.
fn time_label(value: f64, span: f64) -> String {
    if span < 2.0 {
        format!("{:.0} ms", value * 1000.0)
    } else if span < 20.0 {
        format!("{value:.1} s")
    } else {
        format!("{value:.0} s")
    }
}

/// A level's changes as a staircase that runs on to `now`, its x mapped by `x_of`.
fn steps(changes: &VecDeque<[f64; 2]>, now: f64, x_of: impl Fn(f64) -> f64) -> Vec<[f64; 2]> {
    let mut points: Vec<[f64; 2]> = Vec::with_capacity(changes.len() * 2 + 1);
    for &[x, value] in changes {
        if let Some(&[_, before]) = points.last() {
            points.push([x_of(x), before]);
        }
        points.push([x_of(x), value]);
    }
    if let Some(&[_, last]) = points.last() {
        points.push([x_of(now), last]);
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline() -> Timeline {
        Timeline::new(
            &[("connected", Color32::GREEN)],
            &[("accepts/s", Color32::BLUE)],
        )
    }

    /// A timeline whose "connected" starts at 0 at the origin.
    fn from_zero() -> Timeline {
        let mut timeline = timeline();
        timeline.set("connected", timeline.origin, 0.0);
        timeline
    }

    /// `count` changes of "connected", `every` apart, the first `after` past the origin; the
    /// n-th (from 1) sets `value(n)`.
    fn changes(
        timeline: &mut Timeline,
        after: Duration,
        count: u64,
        every: Duration,
        value: fn(u64) -> f64,
    ) {
        let start = timeline.origin + after;
        for n in 1..=count {
            let at = start + every * u32::try_from(n).expect("a few changes");
            timeline.set("connected", at, value(n));
        }
    }

    /// Followed unasked, a burst over a minute old gives way to the last minute; asked for, it
    /// is shown however old.
    #[test]
    fn an_old_burst_gives_way_to_the_last_minute_unless_asked_for() {
        let mut timeline = from_zero();
        changes(
            &mut timeline,
            Duration::from_secs(1),
            10,
            Duration::from_millis(5),
            |n| n as f64,
        );
        let burst = |timeline: &Timeline, now: f64| timeline.followed_view(now).expect("a view");
        let soon = burst(&timeline, 5.0);
        assert!(
            soon[1] > -5.0 && soon[1] <= 0.0 && soon[0] > -10.0,
            "the burst: {soon:?}"
        );
        assert_eq!(burst(&timeline, 80.0), [-SHORTEST_VIEW, 0.0]);
        timeline.burst_asked = true;
        let asked = burst(&timeline, 80.0);
        assert!(asked[1] < -SHORTEST_VIEW, "the burst, asked for: {asked:?}");
    }

    #[test]
    fn levels_keep_only_their_changes() {
        let mut timeline = from_zero();
        let second = Duration::from_secs(1);
        // 0 again a second in (no change), then 3 a second later.
        changes(&mut timeline, Duration::ZERO, 2, second, |n| {
            if n == 2 { 3.0 } else { 0.0 }
        });
        assert_eq!(timeline.level("connected"), Some(3.0));
        assert_eq!(timeline.levels[0].changes.len(), 2);
        assert_eq!(timeline.level("no such level"), None);
    }

    #[test]
    fn changes_within_a_tenth_of_a_second_make_one_point() {
        let mut timeline = from_zero();
        // A busy second: a change every frame, 60 frames.
        let frame = Duration::from_millis(16);
        changes(&mut timeline, Duration::from_secs(1), 60, frame, |n| {
            (n % 7) as f64
        });
        let changes = timeline.levels[0].changes.len();
        assert!(changes <= 12, "{changes} points for one second");
        assert_eq!(timeline.level("connected"), Some(f64::from(60 % 7)));
        // An excursion that comes back within the resolution leaves no step.
        let later = timeline.origin + Duration::from_secs(5);
        timeline.set("connected", later, 9.0);
        timeline.set(
            "connected",
            later + Duration::from_millis(20),
            f64::from(60 % 7),
        );
        assert_eq!(timeline.levels[0].changes.len(), changes);
    }

    #[test]
    fn rates_count_per_second_and_in_all() {
        let mut timeline = timeline();
        let start = timeline.origin;
        for tenth in 0..25 {
            timeline.count("accepts/s", start + Duration::from_millis(tenth * 100));
        }
        assert_eq!(timeline.total("accepts/s"), 25);
        let buckets: Vec<(u64, u32)> = timeline.rates[0].per_second.iter().copied().collect();
        assert_eq!(buckets, vec![(0, 10), (1, 10), (2, 5)]);
    }

    #[test]
    fn a_count_a_little_earlier_than_the_last_joins_its_own_second() {
        let mut timeline = timeline();
        let start = timeline.origin;
        let at = |millis| start + Duration::from_millis(millis);
        // Counted at the moments the events happened, as they arrive: two sockets' moments
        // crossed the second's edge in the other order.
        for millis in [900, 1_000, 999, 1_500, 2_000, 10] {
            timeline.count("accepts/s", at(millis));
        }
        let buckets: Vec<(u64, u32)> = timeline.rates[0].per_second.iter().copied().collect();
        assert_eq!(buckets, vec![(0, 3), (1, 2), (2, 1)]);
        assert_eq!(timeline.total("accepts/s"), 6);
    }

    #[test]
    fn history_older_than_five_minutes_is_forgotten_but_the_level_stays_drawn() {
        let mut timeline = timeline();
        let start = timeline.origin;
        timeline.set("connected", start, 1.0);
        timeline.set("connected", start + Duration::from_secs(10), 2.0);
        timeline.count("accepts/s", start);
        timeline.mark(start, "Listen");
        let later = start + HISTORY + Duration::from_secs(20);
        timeline.set("connected", later, 4.0);
        assert_eq!(
            timeline.levels[0].changes.len(),
            2,
            "2.0 still starts the line"
        );
        assert!(timeline.rates[0].per_second.is_empty());
        assert_eq!(timeline.markers().count(), 0);
        assert_eq!(timeline.total("accepts/s"), 1);
    }

    #[test]
    fn steps_hold_each_value_until_the_next_change_and_on_to_now() {
        let changes = VecDeque::from([[1.0, 0.0], [3.0, 2.0]]);
        assert_eq!(
            steps(&changes, 5.0, |x| x - 5.0),
            vec![[-4.0, 0.0], [-2.0, 0.0], [-2.0, 2.0], [0.0, 2.0]]
        );
        assert!(steps(&VecDeque::new(), 5.0, |x| x).is_empty());
    }

    #[test]
    fn a_level_that_keeps_every_change_keeps_a_45_ms_gap() {
        let mut timeline = Timeline::new(
            &[
                ("listener open", Color32::GREEN),
                ("connected", Color32::BLUE),
            ],
            &[],
        )
        .keep_every_change("listener open");
        let start = timeline.origin;
        for level in ["listener open", "connected"] {
            timeline.set(level, start, 1.0);
            timeline.set(level, start + Duration::from_secs(1), 0.0);
            timeline.set(level, start + Duration::from_millis(1045), 1.0);
        }
        let gap: Vec<[f64; 2]> = timeline.levels[0].changes.iter().copied().collect();
        assert_eq!(gap, vec![[0.0, 1.0], [1.0, 0.0], [1.045, 1.0]]);
        // The ordinary level folds the excursion away, as a busy level should.
        assert_eq!(timeline.levels[1].changes.len(), 1);
    }

    #[test]
    fn the_last_burst_is_the_last_run_of_close_changes_with_a_margin() {
        let mut timeline = from_zero();
        // A burst 10 s later: ten changes 150 ms apart.
        let apart = Duration::from_millis(150);
        changes(&mut timeline, Duration::from_secs(10), 10, apart, |n| {
            n as f64
        });
        let now = 20.0;
        let [from, to] = timeline.last_burst(now).expect("there was a burst");
        // 10.15 s .. 11.5 s, with a tenth of that as margin, in seconds before now.
        assert!((from - (10.15 - 0.135 - now)).abs() < 1e-9, "{from}");
        assert!((to - (11.5 + 0.135 - now)).abs() < 1e-9, "{to}");
        assert!(to - from < 2.0, "the axis then counts milliseconds");
        assert_eq!(time_label(-0.25, to - from), "-250 ms");
        assert_eq!(time_label(-12.0, 60.0), "-12 s");
        assert_eq!(Timeline::new(&[], &[]).last_burst(now), None);
        // One change alone, 5 s after the burst (a socket closed): no 40 ms view of one step,
        // but the seconds before it.
        timeline.set("connected", timeline.origin + Duration::from_secs(16), 3.0);
        let [from, to] = timeline.last_burst(now).expect("a change");
        assert!(
            (from - (16.0 - LONE_CHANGE_VIEW - now)).abs() < 1e-9,
            "{from}"
        );
        assert!((to - (16.5 - now)).abs() < 1e-9, "{to}");
    }
}

//! The Stream view's two lanes: the writes and the reads since the last Clear, numbered from 1
//! and placed from byte 0, drawn as segments side by side so the learner compares them.

/// The colours segments take in turn, so neighbours differ.
const COLOURS: [egui::Color32; 4] = [
    crate::theme::SKY_BLUE,
    crate::theme::ORANGE,
    crate::theme::BLUISH_GREEN,
    crate::theme::REDDISH_PURPLE,
];

/// The room a segment's number needs around it, so numbers never touch.
const LABEL_MARGIN: f32 = 4.0;

/// One write or one read: its number and its bytes' place in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Its number, from 1 (since the last Clear).
    pub index: u64,
    /// Where it starts, in bytes from the last Clear.
    pub start: u64,
    /// How many bytes.
    pub len: u64,
}

impl Segment {
    fn end(self) -> u64 {
        self.start + self.len
    }
}

/// The writes and reads shown. The lab counts its writes, reads and offsets from the
/// connection's start; the lanes count from the last Clear, so a Clear starts them afresh rather
/// than leaving an empty band for the bytes it cleared.
#[derive(Debug, Default)]
pub struct Lanes {
    /// Writes on the sending side, in order.
    pub writes: Vec<Segment>,
    /// Reads on the receiving side, in order.
    pub reads: Vec<Segment>,
    /// The lab's offset where the lanes begin: how far the stream had been seen at the last
    /// Clear. A write or read reported later that lies before it (the reader had not yet taken
    /// those bytes) is left out, or its part after it kept.
    from: u64,
    /// How far the lab has reported the stream, on either lane (where a Clear puts `from`).
    seen: u64,
}

impl Lanes {
    /// Forgets every segment: what the lab reports next is drawn from byte 0 and number 1.
    pub fn clear(&mut self) {
        self.writes.clear();
        self.reads.clear();
        self.from = self.seen;
    }

    /// The lab's write of bytes `start..start + len` (offsets from the connection's start).
    pub fn wrote(&mut self, start: u64, len: u64) {
        if let Some(segment) = self.place(start, len, self.writes.len()) {
            self.writes.push(segment);
        }
    }

    /// The lab's read of `data` at `start`; returns the bytes the lanes show (those after the
    /// last Clear), which are the ones to look for messages in.
    pub fn read<'a>(&mut self, start: u64, data: &'a [u8]) -> &'a [u8] {
        match self.place(start, data.len() as u64, self.reads.len()) {
            Some(segment) => {
                self.reads.push(segment);
                let before = usize::try_from(data.len() as u64 - segment.len).unwrap_or(0);
                &data[before..]
            }
            None => &[],
        }
    }

    /// Where bytes `start..start + len` go on a lane holding `count` segments: numbered next,
    /// their part after the last Clear, counted from it; `None` when all of them come before.
    fn place(&mut self, start: u64, len: u64, count: usize) -> Option<Segment> {
        self.seen = self.seen.max(start + len);
        if start < self.from && start + len <= self.from {
            return None;
        }
        let skipped = self.from.saturating_sub(start);
        Some(Segment {
            index: count as u64 + 1,
            start: start + skipped - self.from,
            len: len - skipped,
        })
    }

    /// Bytes read since the last Clear.
    #[must_use]
    pub fn bytes_read(&self) -> u64 {
        self.reads.last().map_or(0, |s| s.end())
    }

    /// The two lanes, writes above and reads below, and a line that counts them.
    pub fn ui(&self, ui: &mut egui::Ui) {
        let end = |segments: &[Segment]| segments.last().map_or(0, |s| s.end());
        let total = end(&self.writes).max(end(&self.reads)).max(1);
        for (lane, segments) in [("write", &self.writes), ("read", &self.reads)] {
            ui.horizontal(|ui| {
                ui.add_sized([50.0, 22.0], egui::Label::new(format!("{lane}s")));
                let width = ui.available_width().max(100.0);
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(width, 22.0), egui::Sense::hover());
                ui.painter()
                    .rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
                for segment in segments {
                    let x = |at: u64| rect.left() + width * (at as f32 / total as f32);
                    let area = egui::Rect::from_x_y_ranges(
                        x(segment.start)..=x(segment.end()).max(x(segment.start) + 1.0),
                        rect.y_range(),
                    );
                    segment_ui(ui, lane, *segment, area);
                }
            });
        }
        let counted = |count: u64, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        ui.weak(format!(
            "{}, {}, {}",
            counted(self.writes.len() as u64, "write", "writes"),
            counted(self.reads.len() as u64, "read", "reads"),
            counted(self.bytes_read(), "byte", "bytes")
        ));
    }
}

/// One segment in `area` of its lane: its colour, its number where the number fits (a read of
/// one byte among hundreds is a sliver, and numbers drawn over each other say nothing), and the
/// whole of it on hover.
fn segment_ui(ui: &egui::Ui, lane: &str, segment: Segment, area: egui::Rect) {
    let colour = COLOURS[usize::try_from(segment.index).unwrap_or(0) % COLOURS.len()];
    ui.painter()
        .rect_filled(area.shrink2(egui::vec2(0.5, 1.0)), 2.0, colour);
    let number = ui.painter().layout_no_wrap(
        segment.index.to_string(),
        egui::FontId::monospace(11.0),
        egui::Color32::WHITE,
    );
    if number.size().x + LABEL_MARGIN <= area.width() {
        let at = area.center() - number.size() / 2.0;
        ui.painter().galley(at, number, egui::Color32::WHITE);
    }
    let describe = format!(
        "{lane} {}: bytes {} to {} ({} bytes)",
        segment.index,
        segment.start,
        segment.end(),
        segment.len
    );
    let id = ui.scope_id().with((lane, segment.index));
    let response = ui.interact(area, id, egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &describe));
    response.on_hover_text(describe);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three writes and a read of them, Clear, and three more: the new ones are numbered from 1
    /// and placed from byte 0, and the count says only them.
    #[test]
    fn a_clear_starts_the_lanes_numbers_and_bytes_afresh() {
        let mut lanes = Lanes::default();
        for start in [0, 6, 12] {
            lanes.wrote(start, 6);
        }
        assert_eq!(lanes.read(0, b"hello\nhello\nhello\n").len(), 18);
        lanes.clear();
        for start in [18, 24, 30] {
            lanes.wrote(start, 6);
        }
        assert_eq!(lanes.read(18, b"hello\n"), b"hello\n");
        assert_eq!(lanes.read(24, b"hello\nhello\n"), b"hello\nhello\n");
        let segment = |index, start, len| Segment { index, start, len };
        assert_eq!(
            lanes.writes,
            [segment(1, 0, 6), segment(2, 6, 6), segment(3, 12, 6)]
        );
        assert_eq!(lanes.reads, [segment(1, 0, 6), segment(2, 6, 12)]);
        assert_eq!(lanes.bytes_read(), 18);
    }

    /// Bytes written before a Clear and read after it are not drawn: a read wholly before it is
    /// left out, and one across it keeps its part after.
    #[test]
    fn bytes_from_before_a_clear_are_left_out() {
        let mut lanes = Lanes::default();
        lanes.wrote(0, 6);
        lanes.wrote(6, 6);
        lanes.clear();
        lanes.wrote(12, 6);
        assert!(lanes.read(0, b"hello\n").is_empty());
        assert_eq!(lanes.read(6, b"hello\nworld\n"), b"world\n");
        assert_eq!(
            lanes.reads,
            [Segment {
                index: 1,
                start: 0,
                len: 6
            }]
        );
        assert_eq!(lanes.writes.len(), 1);
    }

    /// Twenty-one one-byte reads in a narrow lane: the numbers drawn never overlap, and those
    /// with room (the writes') are still drawn.
    #[test]
    fn numbers_are_drawn_only_where_they_fit() {
        let mut lanes = Lanes::default();
        for start in [0, 7, 14] {
            lanes.wrote(start, 7);
        }
        for start in 0..21 {
            let _ = lanes.read(start, b"x");
        }
        let ctx = egui::Context::default();
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(260.0, 200.0),
            )),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| lanes.ui(ui));
        let numbers: Vec<egui::Rect> = output
            .shapes
            .iter()
            .filter_map(|clipped| match &clipped.shape {
                egui::Shape::Text(text) if text.galley.text().parse::<u64>().is_ok() => {
                    Some(text.visual_bounding_rect())
                }
                _ => None,
            })
            .collect();
        // No renderer takes the font texture here.
        output.textures_delta.clear();
        assert!(numbers.len() >= 3, "the writes' numbers fit: {numbers:?}");
        for (i, a) in numbers.iter().enumerate() {
            for b in &numbers[i + 1..] {
                assert!(!a.intersects(*b), "{a:?} overlaps {b:?}");
            }
        }
    }
}

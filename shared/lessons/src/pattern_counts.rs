//! How many of a lesson run's records each pattern matches, counted as the records come
//! instead of by a walk over all of them at every check: with the walk, each new record
//! re-counted every pattern over every record before it, and checking a log of 50,000 events
//! took 70 seconds (a window's lesson paid the same on its thread at every event). Records
//! that leave the front of the kept ones (the run's limit) are counted as they go, so
//! `total()` is every record since the lesson began: it counted the last 100,000 alone.

use std::cell::RefCell;
use std::collections::VecDeque;

use serde_json::Value;

use crate::condition::Pattern;
use crate::observed::Side;

/// The records a run keeps, oldest first; the first one's absolute index is the number of
/// records dropped before it.
pub(crate) type Records = VecDeque<(Side, Value)>;

/// One pattern's count over the records from an absolute index on.
#[derive(Debug, Clone)]
struct Tally {
    pattern: Pattern,
    /// The absolute index counting starts from: 0 (the whole lesson) or where a step began.
    from: usize,
    /// Every record before this absolute index is counted.
    counted_to: usize,
    /// The records in `from..counted_to` that match, kept or gone.
    count: usize,
}

/// The counts asked for so far, each brought up to date when asked again.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatternCounts {
    /// Asked for through `&self` (a condition's evaluation reads the run), hence the cell.
    tallies: RefCell<Vec<Tally>>,
}

impl PatternCounts {
    /// How many of `records` (the first at absolute index `dropped`) from absolute index `from`
    /// on match `pattern`: the ones counted before, and the ones that came since.
    pub(crate) fn count(
        &self,
        records: &Records,
        dropped: usize,
        pattern: &Pattern,
        from: usize,
    ) -> usize {
        let mut tallies = self.tallies.borrow_mut();
        let index = tallies
            .iter()
            .position(|tally| tally.from == from && tally.pattern == *pattern)
            .unwrap_or_else(|| {
                tallies.push(Tally {
                    pattern: pattern.clone(),
                    from,
                    counted_to: from,
                    count: 0,
                });
                tallies.len() - 1
            });
        let tally = &mut tallies[index];
        let first_new = tally.counted_to.max(dropped) - dropped;
        tally.count += records
            .range(first_new.min(records.len())..)
            .filter(|(side, record)| matches(&tally.pattern, *side, record))
            .count();
        tally.counted_to = dropped + records.len();
        tally.count
    }

    /// Starts counting `pattern` from absolute index `from` before any record is kept, so a
    /// count asked for only later (a `total` of the lesson's last step) misses none of the
    /// records that left before it was asked.
    pub(crate) fn watch(&mut self, pattern: &Pattern, from: usize) {
        let tallies = self.tallies.get_mut();
        if !tallies
            .iter()
            .any(|tally| tally.from == from && tally.pattern == *pattern)
        {
            tallies.push(Tally {
                pattern: pattern.clone(),
                from,
                counted_to: from,
                count: 0,
            });
        }
    }

    /// `gone` is about to leave the front of the records, its first at absolute index
    /// `dropped`: each count that has not counted them yet counts them now, as they go.
    pub(crate) fn count_leaving<'a>(
        &mut self,
        gone: impl Iterator<Item = &'a (Side, Value)>,
        dropped: usize,
    ) {
        let tallies = self.tallies.get_mut();
        for (offset, (side, record)) in gone.enumerate() {
            let index = dropped + offset;
            for tally in tallies.iter_mut() {
                if index >= tally.from && index >= tally.counted_to {
                    if matches(&tally.pattern, *side, record) {
                        tally.count += 1;
                    }
                    tally.counted_to = index + 1;
                }
            }
        }
    }

    /// A step began at absolute index `step_began`: the counts of the steps before it are
    /// asked for no more (the whole lesson's, from 0, stay).
    pub(crate) fn keep_from(&mut self, step_began: usize) {
        self.tallies
            .get_mut()
            .retain(|tally| tally.from == 0 || tally.from == step_began);
    }
}

/// Whether a record of `side` matches `pattern`.
fn matches(pattern: &Pattern, side: Side, record: &Value) -> bool {
    side == pattern.side && pattern.matches(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of `side` whose event is `event`.
    fn record(side: Side, event: &str) -> (Side, Value) {
        (side, serde_json::json!({ "event": event }))
    }

    /// What a walk over every record since `from` counts, kept or gone: the answer the
    /// counts must give.
    fn walked(all: &[(Side, Value)], pattern: &Pattern, from: usize) -> usize {
        all[from.min(all.len())..]
            .iter()
            .filter(|(side, record)| matches(pattern, *side, record))
            .count()
    }

    /// Asked after every record, from the lesson's start and from a step's, while records
    /// also leave the front (the run's limit), the counts are a walk's over every record, of
    /// both sides: a count first asked for long after records left misses none of them.
    #[test]
    fn the_counts_are_a_walks_as_records_come_and_leave() {
        let connected = |side| Pattern {
            side,
            event: "connected".to_owned(),
            fields: Vec::new(),
        };
        let patterns = [connected(Side::Server), connected(Side::Client)];
        let counts = &mut PatternCounts::default();
        // The lesson's totals are watched from its start; the client's is asked for only
        // from record 300 on, long after the first records left.
        let late = 300;
        counts.watch(&patterns[1], 0);
        let mut all = Vec::new();
        let mut records = Records::new();
        let mut dropped = 0;
        let keep = 50;
        let step_began = 120;
        for n in 0..400_usize {
            let side = if n % 3 == 0 {
                Side::Client
            } else {
                Side::Server
            };
            let event = if n % 7 < 4 { "connected" } else { "closed" };
            records.push_back(record(side, event));
            all.push(record(side, event));
            if records.len() > keep {
                counts.count_leaving(records.range(..1), dropped);
                records.pop_front();
                dropped += 1;
            }
            if n == step_began {
                counts.keep_from(step_began);
            }
            for pattern in &patterns {
                for from in [0, step_began] {
                    // A step's count is asked for once the step began.
                    if from > 0 && n < step_began {
                        continue;
                    }
                    if from == 0 && pattern.side == Side::Client && n < late {
                        continue;
                    }
                    assert_eq!(
                        counts.count(&records, dropped, pattern, from),
                        walked(&all, pattern, from),
                        "after record {n}, from {from}, {:?}",
                        pattern.side
                    );
                }
            }
        }
    }
}

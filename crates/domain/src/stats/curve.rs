//! The equity curve: its points, a sampler that keeps a bounded number of them, and its largest drawdown.

use crate::time::Timestamp;

/// A point of the equity curve: the compounded equity (starting at 1) after the trade that closed at `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// When the trade closed.
    pub at: Timestamp,
    /// Equity after it, 1 being the start.
    pub equity: f64,
}

/// One stretch of the curve: its lowest and highest points, in the order they came.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    low: (u64, CurvePoint),
    high: (u64, CurvePoint),
}

/// Keeps at most a fixed number of points of a curve of any length, such that its first and last points and,
/// within every stretch, the lowest and highest survive: the curve's extremes (and so its peaks and troughs) are
/// never sampled away. Memory is proportional to the points kept.
#[derive(Debug, Clone)]
pub struct CurveSampler {
    max_points: usize,
    stretch: u64,
    seen: u64,
    first: Option<CurvePoint>,
    last: Option<(u64, CurvePoint)>,
    buckets: Vec<Bucket>,
}

impl CurveSampler {
    /// A sampler that keeps at most `max_points` points (at least 4: first, last, and one stretch's extremes).
    pub fn new(max_points: usize) -> Self {
        Self { max_points: max_points.max(4), stretch: 1, seen: 0, first: None, last: None, buckets: Vec::new() }
    }

    fn max_buckets(&self) -> usize {
        (self.max_points - 2) / 2
    }

    /// Adds the next point.
    pub fn push(&mut self, point: CurvePoint) {
        let index = self.seen;
        self.seen += 1;
        if self.first.is_none() {
            self.first = Some(point);
        }
        self.last = Some((index, point));
        let starts_bucket = index % self.stretch == 0;
        match self.buckets.last_mut() {
            Some(bucket) if !starts_bucket => {
                if point.equity < bucket.low.1.equity {
                    bucket.low = (index, point);
                }
                if point.equity > bucket.high.1.equity {
                    bucket.high = (index, point);
                }
            }
            _ => self.buckets.push(Bucket { low: (index, point), high: (index, point) }),
        }
        if self.buckets.len() > self.max_buckets() {
            self.merge();
        }
    }

    /// Halves the number of stretches by joining neighbours.
    fn merge(&mut self) {
        let merged: Vec<Bucket> = self
            .buckets
            .chunks(2)
            .map(|pair| {
                let mut bucket = pair[0];
                for other in &pair[1..] {
                    if other.low.1.equity < bucket.low.1.equity {
                        bucket.low = other.low;
                    }
                    if other.high.1.equity > bucket.high.1.equity {
                        bucket.high = other.high;
                    }
                }
                bucket
            })
            .collect();
        self.buckets = merged;
        self.stretch *= 2;
    }

    /// The kept points, in curve order, without repeats.
    pub fn points(&self) -> Vec<CurvePoint> {
        self.points_with(&[])
    }

    /// The kept points and `pinned` ones (given with their position in the curve), in curve order, without repeats.
    pub(super) fn points_with(&self, pinned: &[(u64, CurvePoint)]) -> Vec<CurvePoint> {
        let mut indexed: Vec<(u64, CurvePoint)> = Vec::with_capacity(self.max_points + pinned.len());
        indexed.extend_from_slice(pinned);
        if let Some(first) = self.first {
            indexed.push((0, first));
        }
        for bucket in &self.buckets {
            let (a, b) =
                if bucket.low.0 <= bucket.high.0 { (bucket.low, bucket.high) } else { (bucket.high, bucket.low) };
            indexed.push(a);
            indexed.push(b);
        }
        if let Some(last) = self.last {
            indexed.push(last);
        }
        indexed.sort_by_key(|(index, _)| *index);
        indexed.dedup_by_key(|(index, _)| *index);
        indexed.into_iter().map(|(_, point)| point).collect()
    }
}

/// A point of the curve with its position in it.
type Indexed = (u64, CurvePoint);

/// Where the curve's largest drawdown begins and ends, by position in the curve.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DrawdownPoints {
    /// The highest point so far; `None` while the curve has not reached its start (1) again.
    peak: Option<Indexed>,
    /// The peak (if a point) and the trough of the largest fall so far.
    worst: Option<(Option<Indexed>, Indexed)>,
    /// The largest fall so far, as a fraction of its peak.
    fall: f64,
}

impl DrawdownPoints {
    /// Follows the running peak and the deepest fall from one, by curve position. Before the first new high the
    /// peak is the start (equity 1), which is no point of the curve.
    pub(super) fn track(&mut self, index: u64, point: CurvePoint) {
        let peak_equity = self.peak.map_or(1.0, |(_, peak)| peak.equity);
        if point.equity >= peak_equity {
            self.peak = Some((index, point));
            return;
        }
        // The peak is at least the starting 1, so the division is safe; the formula is the accumulator's.
        let fall = (peak_equity - point.equity) / peak_equity;
        if fall > self.fall {
            self.fall = fall;
            self.worst = Some((self.peak, (index, point)));
        }
    }

    /// The peak (when it is a point of the curve) and the trough of the largest drawdown, with their positions in
    /// the curve, for the sampled curve to keep.
    pub(super) fn pinned(&self) -> Vec<(u64, CurvePoint)> {
        self.worst.map(|(peak, trough)| peak.into_iter().chain([trough]).collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::StatsBuilder;
    use crate::stats::fixtures::{at, close, trade};
    use crate::trade::Side;

    #[test]
    fn a_small_curve_still_shows_the_largest_drawdown() {
        // Up 5 % ten times, down 5 % five times (the largest drawdown, mid-curve), then up 2 % a hundred times:
        // neither its peak nor its trough is an extreme of the curve, yet both must be kept.
        let mut builder = StatsBuilder::new(6);
        let closes =
            std::iter::repeat_n(105.0, 10).chain(std::iter::repeat_n(95.0, 5)).chain(std::iter::repeat_n(102.0, 100));
        let mut equity = Vec::new();
        for (n, close) in (1u128..).zip(closes) {
            builder.push(&trade(n, Side::Buy, 100.0, close, None));
            equity.push(equity.last().copied().unwrap_or(1.0) * close / 100.0);
        }
        let stats = builder.finish().expect("in order");
        assert!(stats.curve.len() <= 6, "{}", stats.curve.len());
        let (peak, trough) = (equity[9], equity[14]);
        assert!(close(stats.overall.max_drawdown, (peak - trough) / peak));
        assert!(stats.curve.iter().any(|p| close(p.equity, peak)), "the peak is kept: {:?}", stats.curve);
        assert!(stats.curve.iter().any(|p| close(p.equity, trough)), "the trough is kept: {:?}", stats.curve);
    }

    #[test]
    fn a_drawdown_from_the_start_keeps_its_trough() {
        let mut builder = StatsBuilder::new(6);
        let closes = [90.0, 80.0].into_iter().chain(std::iter::repeat_n(101.0, 200));
        for (n, close) in (1u128..).zip(closes) {
            builder.push(&trade(n, Side::Buy, 100.0, close, None));
        }
        let stats = builder.finish().expect("in order");
        assert!(close(stats.overall.max_drawdown, 1.0 - 0.9 * 0.8));
        assert!(stats.curve.iter().any(|p| close(p.equity, 0.9 * 0.8)));
    }

    #[test]
    fn the_sampler_keeps_extremes_ends_and_its_budget() {
        let mut sampler = CurveSampler::new(20);
        let mut all = Vec::new();
        for i in 0..10_000i64 {
            let equity = 1.0 + ((i * 7919) % 1000) as f64 / 1000.0 + if i == 4321 { 5.0 } else { 0.0 }
                - if i == 777 { 1.5 } else { 0.0 };
            let point = CurvePoint { at: at(i), equity };
            sampler.push(point);
            all.push(point);
        }
        let kept = sampler.points();
        assert!(kept.len() <= 20, "{}", kept.len());
        assert_eq!(kept.first(), all.first());
        assert_eq!(kept.last(), all.last());
        let max = all.iter().map(|p| p.equity).fold(f64::MIN, f64::max);
        let min = all.iter().map(|p| p.equity).fold(f64::MAX, f64::min);
        assert!(kept.iter().any(|p| p.equity == max) && kept.iter().any(|p| p.equity == min));
        assert!(kept.windows(2).all(|w| w[0].at < w[1].at), "in curve order, no repeats");
    }
}

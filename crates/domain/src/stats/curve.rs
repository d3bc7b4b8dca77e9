//! The curves of a set of trades (the compounded equity and the cumulative P&L): their points, a sampler that keeps a
//! bounded number of them, and where their largest drawdown lies.

use crate::time::Timestamp;

/// A point of a curve after the trade that closed at `at`: on the equity curve the compounded equity (starting at
/// 1), on the P&L curve the cumulative P&L in money (starting at 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// When the trade closed.
    pub at: Timestamp,
    /// The curve's value after it.
    pub value: f64,
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
                if point.value < bucket.low.1.value {
                    bucket.low = (index, point);
                }
                if point.value > bucket.high.1.value {
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
                    if other.low.1.value < bucket.low.1.value {
                        bucket.low = other.low;
                    }
                    if other.high.1.value > bucket.high.1.value {
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

/// How a fall from a peak is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fall {
    /// As a fraction of the peak, from a start of 1 (the compounded equity).
    Relative,
    /// In the curve's own unit, from a start of 0 (the cumulative P&L).
    Absolute,
}

impl Fall {
    /// Where the curve starts, before its first point.
    pub(super) const fn start(self) -> f64 {
        match self {
            Self::Relative => 1.0,
            Self::Absolute => 0.0,
        }
    }

    /// Whether `value` lies below `peak` by more than `fall`, as far as a multiplication tells (a division is
    /// dearer, and only a candidate needs one).
    fn may_be_deeper(self, peak: f64, value: f64, fall: f64) -> bool {
        match self {
            Self::Relative => value < peak * (1.0 - fall),
            Self::Absolute => value < peak - fall,
        }
    }

    /// The fall from `peak` to `value` (the peak is at least the start, so a relative fall never divides by 0).
    pub(super) fn from(self, peak: f64, value: f64) -> f64 {
        match self {
            Self::Relative => (peak - value) / peak,
            Self::Absolute => peak - value,
        }
    }
}

/// Where a curve's largest drawdown begins and ends, by position in the curve.
#[derive(Debug, Clone, Copy)]
pub(super) struct DrawdownPoints {
    /// How falls are measured.
    measure: Fall,
    /// The highest point so far; `None` while the curve has not reached its start again.
    peak: Option<Indexed>,
    /// The peak (if a point) and the trough of the largest fall so far.
    worst: Option<(Option<Indexed>, Indexed)>,
    /// The largest fall so far.
    fall: f64,
}

impl DrawdownPoints {
    /// No point yet, falls measured by `measure`.
    pub(super) fn new(measure: Fall) -> Self {
        Self { measure, peak: None, worst: None, fall: 0.0 }
    }

    /// Follows the running peak and the deepest fall from one, by curve position. Before the first new high the
    /// peak is the start, which is no point of the curve.
    pub(super) fn track(&mut self, index: u64, point: CurvePoint) {
        let peak_value = self.peak.map_or(self.measure.start(), |(_, peak)| peak.value);
        if point.value >= peak_value {
            self.peak = Some((index, point));
            return;
        }
        if !self.measure.may_be_deeper(peak_value, point.value, self.fall) {
            return;
        }
        let fall = self.measure.from(peak_value, point.value);
        if fall > self.fall {
            self.fall = fall;
            self.worst = Some((self.peak, (index, point)));
        }
    }

    /// The peak (when it is a point of the curve, not the start) and the trough of the largest drawdown so far.
    pub(super) fn largest(&self) -> Option<(Option<CurvePoint>, CurvePoint)> {
        self.worst.map(|(peak, (_, trough))| (peak.map(|(_, p)| p), trough))
    }

    /// The peak (when it is a point of the curve) and the trough of the largest drawdown, with their positions in
    /// the curve, for the sampled curve to keep.
    pub(super) fn pinned(&self) -> Vec<(u64, CurvePoint)> {
        self.worst.map(|(peak, trough)| peak.into_iter().chain([trough]).collect()).unwrap_or_default()
    }
}

/// A curve being drawn: its sampled points and its largest drawdown, which the samples always keep.
#[derive(Debug, Clone)]
pub(super) struct Curve {
    sampler: CurveSampler,
    drawdown: DrawdownPoints,
    points: u64,
}

impl Curve {
    /// A curve of at most `max_points` points (at least 6), falls measured by `measure`.
    pub(super) fn new(max_points: usize, measure: Fall) -> Self {
        Self { sampler: CurveSampler::new(max_points.max(6) - 2), drawdown: DrawdownPoints::new(measure), points: 0 }
    }

    /// Adds the next point.
    pub(super) fn push(&mut self, point: CurvePoint) {
        self.drawdown.track(self.points, point);
        self.sampler.push(point);
        self.points += 1;
    }

    /// The kept points, in curve order, the largest drawdown's peak and trough among them.
    pub(super) fn points(&self) -> Vec<CurvePoint> {
        self.sampler.points_with(&self.drawdown.pinned())
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
        assert!(stats.all.curve.len() <= 6, "{}", stats.all.curve.len());
        let (peak, trough) = (equity[9], equity[14]);
        assert!(close(stats.all.overall.max_drawdown, (peak - trough) / peak));
        assert!(stats.all.curve.iter().any(|p| close(p.value, peak)), "the peak is kept: {:?}", stats.all.curve);
        assert!(stats.all.curve.iter().any(|p| close(p.value, trough)), "the trough is kept: {:?}", stats.all.curve);
    }

    #[test]
    fn a_drawdown_from_the_start_keeps_its_trough() {
        let mut builder = StatsBuilder::new(6);
        let closes = [90.0, 80.0].into_iter().chain(std::iter::repeat_n(101.0, 200));
        for (n, close) in (1u128..).zip(closes) {
            builder.push(&trade(n, Side::Buy, 100.0, close, None));
        }
        let stats = builder.finish().expect("in order");
        assert!(close(stats.all.overall.max_drawdown, 1.0 - 0.9 * 0.8));
        assert!(stats.all.curve.iter().any(|p| close(p.value, 0.9 * 0.8)));
    }

    #[test]
    fn the_sampler_keeps_extremes_ends_and_its_budget() {
        let mut sampler = CurveSampler::new(20);
        let mut all = Vec::new();
        for i in 0..10_000i64 {
            let equity = 1.0 + ((i * 7919) % 1000) as f64 / 1000.0 + if i == 4321 { 5.0 } else { 0.0 }
                - if i == 777 { 1.5 } else { 0.0 };
            let point = CurvePoint { at: at(i), value: equity };
            sampler.push(point);
            all.push(point);
        }
        let kept = sampler.points();
        assert!(kept.len() <= 20, "{}", kept.len());
        assert_eq!(kept.first(), all.first());
        assert_eq!(kept.last(), all.last());
        let max = all.iter().map(|p| p.value).fold(f64::MIN, f64::max);
        let min = all.iter().map(|p| p.value).fold(f64::MAX, f64::min);
        assert!(kept.iter().any(|p| p.value == max) && kept.iter().any(|p| p.value == min));
        assert!(kept.windows(2).all(|w| w[0].at < w[1].at), "in curve order, no repeats");
    }
}

//! The equity curves of a public strategy drawn as inline SVG: every trade's curve and the live one on shared axes,
//! the largest drawdown of every trade's curve shaded. No script, no external resource: the page can be saved and
//! read offline.

use maud::{Markup, html};
use quantarya_domain::{CurvePoint, Performance};

/// The drawing's size in SVG units; the page scales it to the width of the screen.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
/// Room left around the plot for the axis labels.
const PAD: f64 = 8.0;

/// Maps curve points to drawing coordinates. The x axis is the order trades closed in, evenly spaced: a curve whose
/// trades are months apart in one stretch and minutes apart in another (back-filled history, then live signals)
/// stays readable, and the two curves share it, each point at the rank of its close time among both curves'.
struct Axes {
    /// Every close time drawn, in order, once.
    times: Vec<i64>,
    low: f64,
    high: f64,
}

impl Axes {
    /// Axes that hold every point of `curves` and the curves' start (equity 1).
    fn over<'p>(curves: impl Iterator<Item = &'p CurvePoint>) -> Option<Self> {
        let (mut times, mut low, mut high) = (Vec::new(), 1.0f64, 1.0f64);
        for point in curves {
            times.push(point.at.unix_micros());
            low = low.min(point.value);
            high = high.max(point.value);
        }
        if times.is_empty() {
            return None;
        }
        times.sort_unstable();
        times.dedup();
        if (high - low).abs() < f64::EPSILON {
            (low, high) = (low - 0.01, high + 0.01);
        }
        Some(Self { times, low, high })
    }

    /// The x of `point`: its rank among the close times drawn, after the start (equity 1 before the first trade),
    /// which stands at the left edge.
    fn x(&self, point: &CurvePoint) -> f64 {
        let rank = self.times.partition_point(|t| *t < point.at.unix_micros()) + 1;
        PAD + rank as f64 / self.times.len() as f64 * (WIDTH - 2.0 * PAD)
    }

    fn y(&self, value: f64) -> f64 {
        PAD + (self.high - value) / (self.high - self.low) * (HEIGHT - 2.0 * PAD)
    }

    /// The `points` attribute of a polyline from the start through `curve`.
    fn polyline(&self, curve: &[CurvePoint]) -> String {
        let start = format!("{PAD:.1},{:.1}", self.y(1.0));
        let points = curve.iter().map(|p| format!("{:.1},{:.1}", self.x(p), self.y(p.value)));
        std::iter::once(start).chain(points).collect::<Vec<_>>().join(" ")
    }
}

/// The SVG of `all` (solid) and `live` (dashed) equity curves, the largest drawdown of `all` shaded; `None` when
/// no trade closed yet.
pub(super) fn equity_curves(all: &Performance, live: &Performance, title: &str) -> Option<Markup> {
    let axes = Axes::over(all.curve.iter().chain(&live.curve))?;
    let shade = all.largest_drawdown().map(|(peak, trough)| {
        let start = peak.map_or(PAD, |p| axes.x(&p));
        let end = axes.x(&trough);
        (start, (end - start).max(2.0))
    });
    let baseline = axes.y(1.0);
    Some(html! {
        svg class="curve" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label={ "Equity curve of " (title) } {
            title { "Equity curve of " (title) }
            @if let Some((x, width)) = shade {
                rect class="drawdown" x=(format!("{x:.1}")) y="0" width=(format!("{width:.1}")) height=(HEIGHT) {}
            }
            line class="baseline" x1=(PAD) x2=(WIDTH - PAD) y1=(format!("{baseline:.1}")) y2=(format!("{baseline:.1}")) {}
            polyline class="all" points=(axes.polyline(&all.curve)) {}
            @if !live.curve.is_empty() {
                polyline class="live" points=(axes.polyline(&live.curve)) {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quantarya_domain::{ClosedTrade, Price, Side, Statistics, Symbol, Tags, Timestamp, TradeId, uuid::Uuid};

    fn trade(n: u128, close: f64) -> ClosedTrade {
        let at = Timestamp::from_unix_micros(1_780_000_000_000_000 + n as i64 * 60_000_000).expect("in range");
        ClosedTrade {
            id: TradeId::from_uuid(Uuid::from_u128(n)),
            symbol: Symbol::parse("ES1!").expect("valid"),
            side: Side::Buy,
            entry: Some(Price::new(100.0).expect("valid")),
            stop_loss: None,
            close_price: Some(Price::new(close).expect("valid")),
            opened_at: at,
            closed_at: at,
            tags: Tags::default(),
            pnl: None,
            fees: None,
            max_favorable_price: None,
            max_adverse_price: None,
            live: n % 2 == 0,
        }
    }

    #[test]
    fn the_largest_drawdown_is_shaded_between_its_peak_and_trough() {
        let closes = [110.0, 105.0, 90.0, 95.0, 120.0];
        let mut trades: Vec<ClosedTrade> = (1u128..).zip(closes).map(|(n, c)| trade(n, c)).collect();
        let stats = Statistics::from_trades(&mut trades, 100);
        let svg = equity_curves(&stats.all, &stats.live, "Breakouts").expect("a curve").into_string();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<rect class=\"drawdown\"").count(), 1, "{svg}");
        assert_eq!(svg.matches("<polyline").count(), 2, "every trade's curve and the live one: {svg}");
        // Equity 1.1, 1.155, 1.0395, 0.9875, 1.185 after the start at 1 (the left edge): the largest fall runs from
        // the second point of five to the fourth, the points evenly spaced.
        let x = |i: f64| PAD + i / 5.0 * (WIDTH - 2.0 * PAD);
        assert!(svg.contains(&format!("x=\"{:.1}\"", x(2.0))), "{svg}");
        assert!(svg.contains(&format!("width=\"{:.1}\"", x(4.0) - x(2.0))), "{svg}");
        assert!(svg.contains(&format!("points=\"{PAD:.1},")), "every curve starts at the start: {svg}");
        assert!(equity_curves(&Performance::empty(), &Performance::empty(), "none").is_none());
    }
}

//! Property tests of the statistics: what must hold for any journal.

use std::collections::BTreeMap;

use proptest::prelude::*;
use quantarya_domain::{
    ClosedTrade, CurvePoint, CurveSampler, Figures, Price, Side, Statistics, Symbol, Timestamp, TradeId, uuid::Uuid,
};

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000 + minutes * 60_000_000).expect("in range")
}

/// Closed trades whose returns stay within ±50 %, so equity never reaches 0; several share a close time, and about
/// one in four breaks even (a move of exactly 0), so break-evens and the streaks they end are exercised.
fn journal() -> impl Strategy<Value = Vec<ClosedTrade>> {
    let move_bp = prop_oneof![1 => Just(0i32), 3 => -4999i32..5000];
    let trade = (0u8..3, any::<bool>(), 10u32..1000, move_bp, proptest::option::of(1u32..400), 0i64..40, any::<bool>());
    proptest::collection::vec(trade, 0..60).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (symbol, buy, entry, move_bp, stop, minute, priced))| {
                let entry = f64::from(entry);
                let close = entry * (1.0 + f64::from(move_bp) / 10_000.0);
                ClosedTrade {
                    id: TradeId::from_uuid(Uuid::from_u128(i as u128 + 1)),
                    symbol: Symbol::parse(["EURUSD", "BTCUSD", "ES1!"][usize::from(symbol)]).expect("valid"),
                    side: if buy { Side::Buy } else { Side::Sell },
                    entry: Some(Price::new(entry).expect("positive")),
                    stop_loss: stop.map(|s| Price::new(f64::from(s)).expect("positive")),
                    close_price: priced.then(|| Price::new(close).expect("positive")),
                    closed_at: at(minute),
                }
            })
            .collect()
    })
}

/// A trade's return and R straight from the definitions (the move in the trade's direction over the entry, and
/// over the distance from entry to stop), without the implementation; `None` without both prices.
fn naive_outcome(t: &ClosedTrade) -> Option<(f64, Option<f64>)> {
    let (entry, close) = (t.entry?.get(), t.close_price?.get());
    let gain = match t.side {
        Side::Buy => close - entry,
        Side::Sell => entry - close,
    };
    let r = t.stop_loss.map(|stop| (entry - stop.get()).abs()).filter(|risk| *risk > 0.0).map(|risk| gain / risk);
    Some((gain / entry, r))
}

/// An independent, naive reading of a journal: returns straight from the prices, every figure from the whole list
/// of them, the whole curve kept, the drawdown found by trying every pair of points.
#[derive(Debug)]
struct Reference {
    count: u64,
    wins: u64,
    losses: u64,
    break_evens: u64,
    win_rate: Option<f64>,
    average_win: Option<f64>,
    average_loss: Option<f64>,
    profit_factor: Option<f64>,
    expectancy: Option<f64>,
    average_r: Option<f64>,
    r_count: u64,
    /// The first trade (in close order) with the highest return, and that return.
    best: Option<(TradeId, f64)>,
    /// The first trade (in close order) with the lowest return, and that return.
    worst: Option<(TradeId, f64)>,
    longest_win_streak: u64,
    longest_loss_streak: u64,
    total_return: f64,
    max_drawdown: f64,
}

/// The mean of `values`; `None` without any.
fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The naive reading of `trades`, taken in close order.
fn reference<'a>(trades: impl IntoIterator<Item = &'a ClosedTrade>) -> Reference {
    let mut sorted: Vec<&ClosedTrade> = trades.into_iter().collect();
    sorted.sort_by_key(|t| (t.closed_at, t.id));
    let outcomes: Vec<(TradeId, f64, Option<f64>)> =
        sorted.iter().filter_map(|t| naive_outcome(t).map(|(ret, r)| (t.id, ret, r))).collect();
    let returns: Vec<f64> = outcomes.iter().map(|(_, ret, _)| *ret).collect();
    let longest = |wanted: std::cmp::Ordering| {
        returns.split(|r| r.partial_cmp(&0.0) != Some(wanted)).map(|run| run.len() as u64).max().unwrap_or(0)
    };
    let gains: Vec<f64> = returns.iter().copied().filter(|r| *r > 0.0).collect();
    let falls: Vec<f64> = returns.iter().copied().filter(|r| *r < 0.0).collect();
    let rs: Vec<f64> = outcomes.iter().filter_map(|(_, _, r)| *r).collect();
    let first_with = |ret: f64| outcomes.iter().find(|(_, r, _)| *r == ret).map(|(id, r, _)| (*id, *r));
    // The curve, with its start at 1.
    let mut curve = vec![1.0];
    for r in &returns {
        let last = curve[curve.len() - 1];
        curve.push(last * (1.0 + r));
    }
    let mut max_drawdown = 0.0f64;
    for (i, high) in curve.iter().enumerate() {
        for low in &curve[i..] {
            max_drawdown = max_drawdown.max((high - low) / high);
        }
    }
    Reference {
        count: returns.len() as u64,
        wins: gains.len() as u64,
        losses: falls.len() as u64,
        break_evens: returns.iter().filter(|r| **r == 0.0).count() as u64,
        win_rate: (!returns.is_empty()).then(|| gains.len() as f64 / returns.len() as f64),
        average_win: mean(&gains),
        average_loss: mean(&falls),
        profit_factor: (!falls.is_empty()).then(|| gains.iter().sum::<f64>() / -falls.iter().sum::<f64>()),
        expectancy: mean(&returns),
        average_r: mean(&rs),
        r_count: rs.len() as u64,
        best: returns.iter().copied().reduce(f64::max).and_then(first_with),
        worst: returns.iter().copied().reduce(f64::min).and_then(first_with),
        longest_win_streak: longest(std::cmp::Ordering::Greater),
        longest_loss_streak: longest(std::cmp::Ordering::Less),
        total_return: curve[curve.len() - 1] - 1.0,
        max_drawdown,
    }
}

/// Whether `actual` is `expected` but for rounding (sums taken in another order).
fn near(actual: Option<f64>, expected: Option<f64>) -> bool {
    match (actual, expected) {
        (Some(a), Some(e)) => (a - e).abs() <= 1e-9 * e.abs().max(1.0),
        (a, e) => a.is_none() && e.is_none(),
    }
}

/// Checks every figure of `group` against the naive reading of the same trades.
fn agrees(f: &Figures, expected: &Reference, group: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        (f.count, f.wins, f.losses, f.break_evens),
        (expected.count, expected.wins, expected.losses, expected.break_evens),
        "{}",
        group
    );
    prop_assert_eq!(
        (f.longest_win_streak, f.longest_loss_streak),
        (expected.longest_win_streak, expected.longest_loss_streak),
        "{}",
        group
    );
    prop_assert!(
        (f.total_return - expected.total_return).abs() <= 1e-12 * (1.0 + expected.total_return.abs()),
        "{group}: {} vs {}",
        f.total_return,
        expected.total_return
    );
    prop_assert!(
        (f.max_drawdown - expected.max_drawdown).abs() <= 1e-12,
        "{group}: {} vs {}",
        f.max_drawdown,
        expected.max_drawdown
    );
    prop_assert_eq!(f.win_rate, expected.win_rate, "{}: win rate", group);
    prop_assert_eq!(f.r_count, expected.r_count, "{}: trades with an R", group);
    for (name, actual, wanted) in [
        ("average win", f.average_win, expected.average_win),
        ("average loss", f.average_loss, expected.average_loss),
        ("profit factor", f.profit_factor, expected.profit_factor),
        ("expectancy", f.expectancy, expected.expectancy),
        ("average R", f.average_r, expected.average_r),
    ] {
        prop_assert!(near(actual, wanted), "{group}: {name} {actual:?} vs {wanted:?}");
    }
    for (name, actual, wanted) in [("best", f.best, expected.best), ("worst", f.worst, expected.worst)] {
        prop_assert_eq!(actual.map(|r| r.trade_id), wanted.map(|(id, _)| id), "{}: {}", group, name);
        prop_assert!(
            near(actual.map(|r| r.ret), wanted.map(|(_, ret)| ret)),
            "{group}: {name} {actual:?} vs {wanted:?}"
        );
    }
    Ok(())
}

/// The largest fall of a curve that starts at 1 and then goes through `points`.
fn drawdown_of(points: &[CurvePoint]) -> f64 {
    let mut peak = 1.0f64;
    let mut worst = 0.0f64;
    for point in points {
        peak = peak.max(point.equity);
        worst = worst.max((peak - point.equity) / peak);
    }
    worst
}

fn winner(id: u128) -> ClosedTrade {
    ClosedTrade {
        id: TradeId::from_uuid(Uuid::from_u128(id)),
        symbol: Symbol::parse("EURUSD").expect("valid"),
        side: Side::Buy,
        entry: Some(Price::new(100.0).expect("valid")),
        stop_loss: None,
        close_price: Some(Price::new(101.0).expect("valid")),
        closed_at: at(10_000),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_figures_do_not_depend_on_input_order(trades in journal(), seed in any::<u64>()) {
        let mut shuffled = trades.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut original = trades;
        prop_assert_eq!(Statistics::from_trades(&mut original, 50), Statistics::from_trades(&mut shuffled, 50));
    }

    #[test]
    fn rates_and_drawdowns_stay_in_their_ranges(mut trades in journal()) {
        let stats = Statistics::from_trades(&mut trades, 50);
        for figures in std::iter::once(&stats.overall).chain([&stats.buys, &stats.sells]).chain(stats.by_symbol.iter().map(|(_, f)| f)) {
            if let Some(rate) = figures.win_rate {
                prop_assert!((0.0..=1.0).contains(&rate), "win rate {rate}");
            }
            prop_assert!((0.0..1.0).contains(&figures.max_drawdown), "drawdown {}", figures.max_drawdown);
            prop_assert_eq!(figures.count, figures.wins + figures.losses + figures.break_evens);
            if let (Some(best), Some(worst)) = (figures.best, figures.worst) {
                prop_assert!(best.ret >= worst.ret);
            }
        }
        let counted: u64 = stats.by_symbol.iter().map(|(_, f)| f.count).sum();
        prop_assert_eq!(counted, stats.overall.count);
        prop_assert_eq!(stats.buys.count + stats.sells.count, stats.overall.count);
        prop_assert_eq!(stats.overall.count + stats.excluded, trades.len() as u64);
    }

    #[test]
    fn a_winning_trade_never_lowers_the_win_rate(mut trades in journal()) {
        let before = Statistics::from_trades(&mut trades, 50).overall.win_rate.unwrap_or(0.0);
        trades.push(winner(1_000_000));
        let after = Statistics::from_trades(&mut trades, 50).overall.win_rate.unwrap_or(0.0);
        prop_assert!(after >= before, "{before} then {after}");
    }

    #[test]
    fn the_curve_ends_at_the_product_of_the_returns(mut trades in journal()) {
        let stats = Statistics::from_trades(&mut trades, 50);
        // `from_trades` sorted them into close order; the returns come from the prices, not from the implementation.
        let product = trades.iter().filter_map(naive_outcome).fold(1.0, |equity, (ret, _)| equity * (1.0 + ret));
        prop_assert!((stats.overall.total_return - (product - 1.0)).abs() <= 1e-12 * product.max(1.0));
        match stats.curve.last() {
            Some(last) => prop_assert!((last.equity - product).abs() <= 1e-12 * product.max(1.0)),
            None => prop_assert_eq!(stats.overall.count, 0),
        }
    }

    #[test]
    fn sampled_curves_keep_their_ends_and_extremes_within_budget(
        equities in proptest::collection::vec(0.01f64..10.0, 1..3000),
        budget in 4usize..300,
    ) {
        let mut sampler = CurveSampler::new(budget);
        let points: Vec<CurvePoint> = equities.iter().enumerate().map(|(i, &equity)| CurvePoint { at: at(i as i64), equity }).collect();
        for point in &points {
            sampler.push(*point);
        }
        let kept = sampler.points();
        prop_assert!(kept.len() <= budget, "{} points kept for a budget of {budget}", kept.len());
        prop_assert_eq!(kept.first(), points.first());
        prop_assert_eq!(kept.last(), points.last());
        let max = equities.iter().copied().fold(f64::MIN, f64::max);
        let min = equities.iter().copied().fold(f64::MAX, f64::min);
        prop_assert!(kept.iter().any(|p| p.equity == max), "the peak survives");
        prop_assert!(kept.iter().any(|p| p.equity == min), "the trough survives");
        prop_assert!(kept.windows(2).all(|w| w[0].at < w[1].at));
        prop_assert!(kept.iter().all(|p| points.contains(p)), "only points of the curve");
    }
    #[test]
    fn the_figures_agree_with_a_naive_reference(mut trades in journal()) {
        let expected = reference(&trades);
        let buys = reference(trades.iter().filter(|t| t.side == Side::Buy));
        let sells = reference(trades.iter().filter(|t| t.side == Side::Sell));
        // One group per symbol with a counted trade, in symbol order.
        let mut symbols: BTreeMap<Symbol, Vec<&ClosedTrade>> = BTreeMap::new();
        for trade in trades.iter().filter(|t| naive_outcome(t).is_some()) {
            symbols.entry(trade.symbol.clone()).or_default().push(trade);
        }
        let by_symbol: Vec<(Symbol, Reference)> =
            symbols.into_iter().map(|(symbol, group)| (symbol, reference(group))).collect();
        let stats = Statistics::from_trades(&mut trades, 50);
        agrees(&stats.overall, &expected, "overall")?;
        agrees(&stats.buys, &buys, "buys")?;
        agrees(&stats.sells, &sells, "sells")?;
        prop_assert_eq!(
            stats.by_symbol.iter().map(|(symbol, _)| symbol).collect::<Vec<_>>(),
            by_symbol.iter().map(|(symbol, _)| symbol).collect::<Vec<_>>()
        );
        for ((symbol, figures), (_, wanted)) in stats.by_symbol.iter().zip(&by_symbol) {
            agrees(figures, wanted, symbol.as_str())?;
        }
    }

    #[test]
    fn the_figures_do_not_depend_on_the_curve_budget(mut trades in journal(), budget in 0usize..60) {
        let small = Statistics::from_trades(&mut trades, budget);
        let large = Statistics::from_trades(&mut trades, 1000);
        prop_assert_eq!(&small.overall, &large.overall);
        prop_assert_eq!(&small.by_symbol, &large.by_symbol);
        prop_assert_eq!((&small.buys, &small.sells, small.excluded), (&large.buys, &large.sells, large.excluded));
    }

    #[test]
    fn a_sampled_curve_shows_the_largest_drawdown(mut trades in journal(), budget in 6usize..40) {
        let full = Statistics::from_trades(&mut trades, 1000).curve;
        let stats = Statistics::from_trades(&mut trades, budget);
        prop_assert!(stats.curve.len() <= budget, "{} points for a budget of {budget}", stats.curve.len());
        prop_assert!(stats.curve.iter().all(|p| full.contains(p)), "only points of the curve");
        // In order, and no point more often than the full curve has it (two trades may close at one instant and
        // leave equal points, when the second breaks even).
        let mut rest = full.iter();
        prop_assert!(stats.curve.iter().all(|p| rest.any(|q| q == p)), "a subsequence of the full curve");
        prop_assert_eq!(drawdown_of(&stats.curve), stats.overall.max_drawdown);
        prop_assert_eq!(drawdown_of(&full), stats.overall.max_drawdown);
    }
}

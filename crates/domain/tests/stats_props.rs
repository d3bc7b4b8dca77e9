//! Property tests of the statistics: what must hold for any journal.

use std::collections::BTreeMap;

use proptest::prelude::*;
use quantarya_domain::{
    ClosedTrade, CurvePoint, CurveSampler, Figures, Performance, Price, Side, Statistics, Symbol, Tags, Timestamp,
    TradeId, uuid::Uuid,
};

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_780_000_000_000_000 + minutes * 60_000_000).expect("in range")
}

/// What a generated trade adds to the price-only ones: held for how many minutes, its tags, its size in units
/// (none for a signal), its fees, how far beyond its prices it ran either way (in basis points), and whether it is
/// live.
type Extras = (i64, u8, Option<u32>, u32, Option<(u32, u32)>, bool);

fn extras() -> impl Strategy<Value = Extras> {
    (
        prop_oneof![0i64..10, 0i64..20_000],
        0u8..6,
        proptest::option::of(1u32..20),
        0u32..5,
        proptest::option::of((0u32..300, 0u32..300)),
        any::<bool>(),
    )
}

/// Closed trades whose returns stay within ±50 %, so equity never reaches 0; several share a close time, and about
/// one in four breaks even (a move of exactly 0), so break-evens and the streaks they end are exercised. Some are
/// sized (their P&L from the prices), tagged (none, one or two tags), given excursions, and live.
fn journal() -> impl Strategy<Value = Vec<ClosedTrade>> {
    let move_bp = prop_oneof![1 => Just(0i32), 3 => -4999i32..5000];
    let trade = (
        0u8..3,
        any::<bool>(),
        10u32..1000,
        move_bp,
        proptest::option::of(1u32..400),
        0i64..40,
        any::<bool>(),
        extras(),
    );
    proptest::collection::vec(trade, 0..60).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (symbol, buy, entry, move_bp, stop, minute, priced, extras))| {
                let (held, tags, units, fees, beyond, live) = extras;
                let entry = f64::from(entry);
                let close = entry * (1.0 + f64::from(move_bp) / 10_000.0);
                let side = if buy { Side::Buy } else { Side::Sell };
                let tags = match tags {
                    0 | 1 => Tags::default(),
                    2 | 3 => Tags::parse(&["breakout"]).expect("valid"),
                    4 => Tags::parse(&["fomo"]).expect("valid"),
                    _ => Tags::parse(&["breakout", "fomo"]).expect("valid"),
                };
                let fees = f64::from(fees);
                let pnl =
                    units.filter(|_| priced).map(|units| side.direction() * (close - entry) * f64::from(units) - fees);
                let (high, low) = (entry.max(close), entry.min(close));
                let excursion = beyond.filter(|_| priced).map(|(up, down)| {
                    let (far, near) = (f64::from(up) / 10_000.0, f64::from(down) / 10_000.0);
                    match side {
                        Side::Buy => (high * (1.0 + far), low * (1.0 - near)),
                        Side::Sell => (low * (1.0 - far), high * (1.0 + near)),
                    }
                });
                ClosedTrade {
                    id: TradeId::from_uuid(Uuid::from_u128(i as u128 + 1)),
                    symbol: Symbol::parse(["EURUSD", "BTCUSD", "ES1!"][usize::from(symbol)]).expect("valid"),
                    side,
                    entry: Some(Price::new(entry).expect("positive")),
                    stop_loss: stop.map(|s| Price::new(f64::from(s)).expect("positive")),
                    close_price: priced.then(|| Price::new(close).expect("positive")),
                    opened_at: at(minute - held),
                    closed_at: at(minute),
                    tags,
                    pnl,
                    fees: pnl.map(|_| fees),
                    max_favorable_price: excursion.map(|(best, _)| Price::new(best).expect("positive")),
                    max_adverse_price: excursion.map(|(_, worst)| Price::new(worst).expect("positive")),
                    live,
                }
            })
            .collect()
    })
}

/// Every figure and row of a performance, with the row's name.
fn every_figures(p: &Performance) -> Vec<(String, &Figures)> {
    let rows = &p.breakdowns;
    let mut all = vec![("overall".to_owned(), &p.overall)];
    all.extend(rows.by_symbol.iter().map(|(k, f)| (format!("symbol {k}"), f)));
    all.extend(rows.by_side.iter().map(|(k, f)| (format!("side {k:?}"), f)));
    all.extend(rows.by_weekday.iter().map(|(k, f)| (format!("weekday {k}"), f)));
    all.extend(rows.by_hour.iter().map(|(k, f)| (format!("hour {k}"), f)));
    all.extend(rows.by_holding_time.iter().map(|(k, f)| (format!("holding {k:?}"), f)));
    all.extend(rows.by_tag.iter().map(|(k, f)| (format!("tag {k:?}"), f)));
    all
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
        peak = peak.max(point.value);
        worst = worst.max((peak - point.value) / peak);
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
        opened_at: at(9_000),
        closed_at: at(10_000),
        tags: Tags::default(),
        pnl: None,
        fees: None,
        max_favorable_price: None,
        max_adverse_price: None,
        live: false,
    }
}

/// The money, risk and excursion figures of `trades` (taken in close order) recomputed from their definitions.
#[derive(Debug)]
struct MoneyReference {
    sized_count: u64,
    net_pnl: Option<f64>,
    gross_profit: Option<f64>,
    gross_loss: Option<f64>,
    fees: Option<f64>,
    profit_factor_money: Option<f64>,
    average_win_amount: Option<f64>,
    average_loss_amount: Option<f64>,
    largest_win_amount: Option<f64>,
    largest_loss_amount: Option<f64>,
    max_drawdown_amount: Option<f64>,
    return_stdev: Option<f64>,
    sharpe: Option<f64>,
    sortino: Option<f64>,
    sqn: Option<f64>,
    kelly: Option<f64>,
    average_holding_seconds: Option<f64>,
    mfe_count: u64,
    average_mfe: Option<f64>,
    average_mae: Option<f64>,
    edge_ratio: Option<f64>,
}

/// The sample standard deviation of `values`; `None` under 2.
fn stdev(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    (values.len() >= 2)
        .then(|| (values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (values.len() - 1) as f64).sqrt())
}

fn money_reference<'a>(trades: impl IntoIterator<Item = &'a ClosedTrade>) -> MoneyReference {
    let mut sorted: Vec<&ClosedTrade> = trades.into_iter().filter(|t| naive_outcome(t).is_some()).collect();
    sorted.sort_by_key(|t| (t.closed_at, t.id));
    let pnls: Vec<f64> = sorted.iter().filter_map(|t| t.pnl).collect();
    let sized = !pnls.is_empty();
    let wins: Vec<f64> = pnls.iter().copied().filter(|p| *p > 0.0).collect();
    let losses: Vec<f64> = pnls.iter().copied().filter(|p| *p < 0.0).collect();
    let mut cumulative = vec![0.0];
    for p in &pnls {
        cumulative.push(cumulative[cumulative.len() - 1] + p);
    }
    let mut max_drawdown_amount = 0.0f64;
    for (i, high) in cumulative.iter().enumerate() {
        for low in &cumulative[i..] {
            max_drawdown_amount = max_drawdown_amount.max(high - low);
        }
    }
    let returns: Vec<f64> = sorted.iter().filter_map(|t| naive_outcome(t)).map(|(ret, _)| ret).collect();
    let rs: Vec<f64> = sorted.iter().filter_map(|t| naive_outcome(t)).filter_map(|(_, r)| r).collect();
    let positive = |x: f64| (x > 0.0).then_some(x);
    let return_stdev = stdev(&returns);
    let downside = (returns.len() >= 2)
        .then(|| (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / returns.len() as f64).sqrt());
    let gains: Vec<f64> = returns.iter().copied().filter(|r| *r > 0.0).collect();
    let falls: Vec<f64> = returns.iter().copied().filter(|r| *r < 0.0).collect();
    let excursions: Vec<(f64, f64)> = sorted
        .iter()
        .filter_map(|t| {
            let (entry, best, worst) = (t.entry?.get(), t.max_favorable_price?.get(), t.max_adverse_price?.get());
            let d = t.side.direction();
            Some((d * (best - entry) / entry, d * (entry - worst) / entry))
        })
        .collect();
    let average_mfe = mean(&excursions.iter().map(|e| e.0).collect::<Vec<_>>());
    let average_mae = mean(&excursions.iter().map(|e| e.1).collect::<Vec<_>>());
    MoneyReference {
        sized_count: pnls.len() as u64,
        net_pnl: sized.then(|| pnls.iter().sum()),
        gross_profit: sized.then(|| wins.iter().sum()),
        gross_loss: sized.then(|| losses.iter().sum()),
        fees: sized.then(|| sorted.iter().filter_map(|t| t.fees).sum()),
        profit_factor_money: positive(-losses.iter().sum::<f64>()).map(|loss| wins.iter().sum::<f64>() / loss),
        average_win_amount: mean(&wins),
        average_loss_amount: mean(&losses),
        largest_win_amount: wins.iter().copied().reduce(f64::max),
        largest_loss_amount: losses.iter().copied().reduce(f64::min),
        max_drawdown_amount: sized.then_some(max_drawdown_amount),
        return_stdev,
        sharpe: return_stdev.and_then(positive).map(|sd| mean(&returns).unwrap_or(0.0) / sd),
        sortino: downside.and_then(positive).map(|dd| mean(&returns).unwrap_or(0.0) / dd),
        sqn: stdev(&rs).and_then(positive).map(|sd| (rs.len() as f64).sqrt() * mean(&rs).unwrap_or(0.0) / sd),
        kelly: match (mean(&gains), mean(&falls)) {
            (Some(win), Some(loss)) => {
                let w = gains.len() as f64 / returns.len() as f64;
                Some(w - (1.0 - w) / (win / -loss))
            }
            _ => None,
        },
        average_holding_seconds: mean(
            &sorted
                .iter()
                .map(|t| (t.closed_at.unix_micros() - t.opened_at.unix_micros()) as f64 / 1e6)
                .collect::<Vec<_>>(),
        ),
        mfe_count: excursions.len() as u64,
        average_mfe,
        average_mae,
        edge_ratio: average_mfe.zip(average_mae.and_then(positive)).map(|(mfe, mae)| mfe / mae),
    }
}

/// Checks the money, risk and excursion figures of `f` against their recomputation.
fn money_agrees(f: &Figures, expected: &MoneyReference, group: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!((f.sized_count, f.mfe_count), (expected.sized_count, expected.mfe_count), "{}", group);
    for (name, actual, wanted) in [
        ("net P&L", f.net_pnl, expected.net_pnl),
        ("gross profit", f.gross_profit, expected.gross_profit),
        ("gross loss", f.gross_loss, expected.gross_loss),
        ("fees", f.fees, expected.fees),
        ("profit factor in money", f.profit_factor_money, expected.profit_factor_money),
        ("average win amount", f.average_win_amount, expected.average_win_amount),
        ("average loss amount", f.average_loss_amount, expected.average_loss_amount),
        ("largest win", f.largest_win_amount, expected.largest_win_amount),
        ("largest loss", f.largest_loss_amount, expected.largest_loss_amount),
        ("drawdown in money", f.max_drawdown_amount, expected.max_drawdown_amount),
        ("stdev", f.return_stdev, expected.return_stdev),
        ("sharpe", f.sharpe, expected.sharpe),
        ("sortino", f.sortino, expected.sortino),
        ("sqn", f.sqn, expected.sqn),
        ("kelly", f.kelly, expected.kelly),
        ("holding", f.average_holding_seconds, expected.average_holding_seconds),
        ("average MFE", f.average_mfe, expected.average_mfe),
        ("average MAE", f.average_mae, expected.average_mae),
        ("edge ratio", f.edge_ratio, expected.edge_ratio),
    ] {
        prop_assert!(near(actual, wanted), "{group}: {name} {actual:?} vs {wanted:?}");
    }
    Ok(())
}

/// The sum of the counts of a breakdown's rows.
fn total<K>(rows: &[(K, Figures)]) -> u64 {
    rows.iter().map(|(_, f)| f.count).sum()
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
        for (name, figures) in every_figures(&stats.all).into_iter().chain(every_figures(&stats.live)) {
            if let Some(rate) = figures.win_rate {
                prop_assert!((0.0..=1.0).contains(&rate), "{name}: win rate {rate}");
            }
            prop_assert!((0.0..1.0).contains(&figures.max_drawdown), "{name}: drawdown {}", figures.max_drawdown);
            prop_assert_eq!(figures.count, figures.wins + figures.losses + figures.break_evens);
            if let (Some(best), Some(worst)) = (figures.best, figures.worst) {
                prop_assert!(best.ret >= worst.ret);
            }
            prop_assert!(figures.max_drawdown_amount.is_none_or(|d| d >= 0.0), "{name}");
            prop_assert!(figures.sized_count <= figures.count && figures.mfe_count <= figures.count, "{name}");
            prop_assert!(figures.average_mfe.is_none_or(|m| m >= 0.0) && figures.average_mae.is_none_or(|m| m >= 0.0));
        }
        prop_assert_eq!(stats.all.overall.count + stats.excluded, trades.len() as u64);
    }

    #[test]
    fn a_winning_trade_never_lowers_the_win_rate(mut trades in journal()) {
        let before = Statistics::from_trades(&mut trades, 50).all.overall.win_rate.unwrap_or(0.0);
        trades.push(winner(1_000_000));
        let after = Statistics::from_trades(&mut trades, 50).all.overall.win_rate.unwrap_or(0.0);
        prop_assert!(after >= before, "{before} then {after}");
    }

    #[test]
    fn the_curve_ends_at_the_product_of_the_returns(mut trades in journal()) {
        let stats = Statistics::from_trades(&mut trades, 50);
        // `from_trades` sorted them into close order; the returns come from the prices, not from the implementation.
        let product = trades.iter().filter_map(naive_outcome).fold(1.0, |equity, (ret, _)| equity * (1.0 + ret));
        prop_assert!((stats.all.overall.total_return - (product - 1.0)).abs() <= 1e-12 * product.max(1.0));
        match stats.all.curve.last() {
            Some(last) => prop_assert!((last.value - product).abs() <= 1e-12 * product.max(1.0)),
            None => prop_assert_eq!(stats.all.overall.count, 0),
        }
    }

    #[test]
    fn sampled_curves_keep_their_ends_and_extremes_within_budget(
        equities in proptest::collection::vec(0.01f64..10.0, 1..3000),
        budget in 4usize..300,
    ) {
        let mut sampler = CurveSampler::new(budget);
        let points: Vec<CurvePoint> = equities.iter().enumerate().map(|(i, &value)| CurvePoint { at: at(i as i64), value }).collect();
        for point in &points {
            sampler.push(*point);
        }
        let kept = sampler.points();
        prop_assert!(kept.len() <= budget, "{} points kept for a budget of {budget}", kept.len());
        prop_assert_eq!(kept.first(), points.first());
        prop_assert_eq!(kept.last(), points.last());
        let max = equities.iter().copied().fold(f64::MIN, f64::max);
        let min = equities.iter().copied().fold(f64::MAX, f64::min);
        prop_assert!(kept.iter().any(|p| p.value == max), "the peak survives");
        prop_assert!(kept.iter().any(|p| p.value == min), "the trough survives");
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
        let live = reference(trades.iter().filter(|t| t.live));
        let stats = Statistics::from_trades(&mut trades, 50);
        let rows = &stats.all.breakdowns;
        agrees(&stats.all.overall, &expected, "overall")?;
        agrees(&stats.live.overall, &live, "live")?;
        let side = |wanted: Side| rows.by_side.iter().find(|(side, _)| *side == wanted).map(|(_, f)| f);
        for (figures, wanted, name) in [(side(Side::Buy), &buys, "buys"), (side(Side::Sell), &sells, "sells")] {
            match figures {
                Some(figures) => agrees(figures, wanted, name)?,
                None => prop_assert_eq!(wanted.count, 0, "{} without a row", name),
            }
        }
        prop_assert_eq!(
            rows.by_symbol.iter().map(|(symbol, _)| symbol).collect::<Vec<_>>(),
            by_symbol.iter().map(|(symbol, _)| symbol).collect::<Vec<_>>()
        );
        for ((symbol, figures), (_, wanted)) in rows.by_symbol.iter().zip(&by_symbol) {
            agrees(figures, wanted, symbol.as_str())?;
        }
    }

    #[test]
    fn the_figures_do_not_depend_on_the_curve_budget(mut trades in journal(), budget in 0usize..60) {
        let small = Statistics::from_trades(&mut trades, budget);
        let large = Statistics::from_trades(&mut trades, 1000);
        for (small, large) in [(&small.all, &large.all), (&small.live, &large.live)] {
            prop_assert_eq!(&small.overall, &large.overall);
            prop_assert_eq!(&small.breakdowns, &large.breakdowns);
        }
        prop_assert_eq!(small.excluded, large.excluded);
    }

    #[test]
    fn a_sampled_curve_shows_the_largest_drawdown(mut trades in journal(), budget in 6usize..40) {
        let full = Statistics::from_trades(&mut trades, 1000).all.curve;
        let stats = Statistics::from_trades(&mut trades, budget).all;
        prop_assert!(stats.curve.len() <= budget, "{} points for a budget of {budget}", stats.curve.len());
        prop_assert!(stats.curve.iter().all(|p| full.contains(p)), "only points of the curve");
        // In order, and no point more often than the full curve has it (two trades may close at one instant and
        // leave equal points, when the second breaks even).
        let mut rest = full.iter();
        prop_assert!(stats.curve.iter().all(|p| rest.any(|q| q == p)), "a subsequence of the full curve");
        prop_assert_eq!(drawdown_of(&stats.curve), stats.overall.max_drawdown);
        prop_assert_eq!(drawdown_of(&full), stats.overall.max_drawdown);
    }

    #[test]
    fn every_breakdown_adds_up_to_the_overall_count(mut trades in journal(), zone in 0usize..3) {
        let zone = [quantarya_domain::chrono_tz::Tz::UTC, quantarya_domain::chrono_tz::Tz::America__New_York, quantarya_domain::chrono_tz::Tz::Asia__Kolkata][zone];
        trades.sort_by_key(|t| (t.closed_at, t.id));
        let mut builder = quantarya_domain::StatsBuilder::in_zone(50, zone);
        for trade in &trades {
            builder.push(trade);
        }
        let stats = builder.finish().expect("in order");
        for (set, live) in [(&stats.all, false), (&stats.live, true)] {
            let rows = &set.breakdowns;
            let count = set.overall.count;
            prop_assert_eq!(total(&rows.by_symbol), count);
            prop_assert_eq!(total(&rows.by_side), count);
            prop_assert_eq!(total(&rows.by_weekday), count);
            prop_assert_eq!(total(&rows.by_hour), count);
            prop_assert_eq!(total(&rows.by_holding_time), count);
            // A trade counts once under each of its tags, and once in the untagged row when it has none.
            let tagged: u64 = trades
                .iter()
                .filter(|t| naive_outcome(t).is_some() && (!live || t.live))
                .map(|t| t.tags.as_slice().len().max(1) as u64)
                .sum();
            prop_assert_eq!(total(&rows.by_tag), tagged);
            prop_assert!(rows.by_hour.iter().all(|(hour, f)| *hour < 24 && f.count > 0));
        }
    }

    #[test]
    fn money_risk_and_excursions_agree_with_a_naive_recomputation(mut trades in journal()) {
        let all = money_reference(&trades);
        let live = money_reference(trades.iter().filter(|t| t.live));
        let stats = Statistics::from_trades(&mut trades, 50);
        money_agrees(&stats.all.overall, &all, "all")?;
        money_agrees(&stats.live.overall, &live, "live")?;
    }

    #[test]
    fn the_live_record_is_part_of_the_whole(mut trades in journal()) {
        let stats = Statistics::from_trades(&mut trades, 50);
        let (all, live) = (every_figures(&stats.all), every_figures(&stats.live));
        for (name, figures) in &live {
            let whole = all.iter().find(|(n, _)| n == name).map(|(_, f)| f.count);
            prop_assert!(whole.is_some_and(|n| n >= figures.count), "{name}: live {} of {whole:?}", figures.count);
        }
        let made_live: Vec<ClosedTrade> = trades.iter().map(|t| ClosedTrade { live: true, ..t.clone() }).collect();
        let mut made_live = made_live;
        let everything = Statistics::from_trades(&mut made_live, 50);
        prop_assert_eq!(&everything.live.overall, &everything.all.overall, "when every trade is live the sets agree");
    }

    #[test]
    fn risk_ratios_do_not_depend_on_the_order_within_a_close_time(mut trades in journal(), seed in any::<u64>()) {
        // Trades that close at one instant are taken by id; handing their ids out anew reorders them.
        let mut permuted = trades.clone();
        let mut state = seed | 1;
        for i in 0..permuted.len() {
            for j in (i + 1)..permuted.len() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if permuted[i].closed_at == permuted[j].closed_at && state % 2 == 0 {
                    let (a, b) = (permuted[i].id, permuted[j].id);
                    permuted[i].id = b;
                    permuted[j].id = a;
                }
            }
        }
        let one = Statistics::from_trades(&mut trades, 50).all.overall;
        let other = Statistics::from_trades(&mut permuted, 50).all.overall;
        for (name, a, b) in [("sharpe", one.sharpe, other.sharpe), ("sortino", one.sortino, other.sortino), ("sqn", one.sqn, other.sqn)] {
            prop_assert!(near(a, b), "{name}: {a:?} vs {b:?}");
        }
    }

    #[test]
    fn a_trade_ran_at_least_as_far_as_it_moved(trades in journal()) {
        for trade in &trades {
            if let (Some(excursion), Some((ret, r))) = (trade.excursion(), trade.outcome()) {
                prop_assert!(excursion.mfe >= ret - 1e-12 && ret >= -excursion.mae - 1e-12, "{excursion:?} {ret}");
                if let (Some(r), Some(mfe_r), Some(mae_r)) = (r, excursion.mfe_r, excursion.mae_r) {
                    prop_assert!(mfe_r >= r - 1e-9 && r >= -mae_r - 1e-9, "{excursion:?} {r}");
                }
            }
        }
    }
}

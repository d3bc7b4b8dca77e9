//! The figures the page shows, each with its label and how it reads: percentages with a sign, ratios to two
//! places, money in the strategy's currency, a dash where a figure has no value (too few trades, no loss, no size).

use quantarya_domain::Figures;

/// A row of the figures table.
pub(super) struct Row {
    /// What a reader sees.
    pub(super) label: &'static str,
    /// The figure as text, given the strategy's currency.
    pub(super) show: fn(&Figures, Option<&str>) -> String,
}

/// A dash for a figure without a value.
const NONE: &str = "—";

/// `x` as a signed percentage: `+12.34 %` (and `0.00 %` for nothing, never `-0.00 %`).
pub(super) fn percent(x: f64) -> String {
    let hundredths = (x * 10_000.0).round() / 100.0;
    if hundredths == 0.0 { "0.00 %".to_owned() } else { format!("{hundredths:+.2} %") }
}

fn optional(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| NONE.to_owned(), show)
}

fn ratio(value: Option<f64>) -> String {
    optional(value, |x| format!("{x:.2}"))
}

fn money(value: Option<f64>, currency: Option<&str>) -> String {
    optional(value, |x| match currency {
        Some(currency) => format!("{x:+.2} {currency}"),
        None => format!("{x:+.2}"),
    })
}

/// A duration in seconds as a reader says it: `45 s`, `12 min`, `3.5 h`, `2.1 d`.
fn duration(seconds: f64) -> String {
    match seconds {
        s if s < 60.0 => format!("{s:.0} s"),
        s if s < 3_600.0 => format!("{:.0} min", s / 60.0),
        s if s < 86_400.0 => format!("{:.1} h", s / 3_600.0),
        s => format!("{:.1} d", s / 86_400.0),
    }
}

/// A whole count, or a dash for a set without trades.
fn count(f: &Figures, n: u64) -> String {
    if f.count == 0 { NONE.to_owned() } else { n.to_string() }
}

/// The rows, in the order the page shows them: every figure of the statistics but the best and worst trade's ids.
pub(super) const ROWS: &[Row] = &[
    Row { label: "Closed trades", show: |f, _| f.count.to_string() },
    Row { label: "Wins / losses / break-evens", show: |f, _| format!("{} / {} / {}", f.wins, f.losses, f.break_evens) },
    Row { label: "Win rate", show: |f, _| optional(f.win_rate, |x| format!("{:.1} %", x * 100.0)) },
    Row { label: "Total return", show: |f, _| if f.count == 0 { NONE.to_owned() } else { percent(f.total_return) } },
    Row { label: "Max drawdown", show: |f, _| if f.count == 0 { NONE.to_owned() } else { percent(-f.max_drawdown) } },
    Row { label: "Profit factor", show: |f, _| ratio(f.profit_factor) },
    Row { label: "Expectancy per trade", show: |f, _| optional(f.expectancy, percent) },
    Row { label: "Average win", show: |f, _| optional(f.average_win, percent) },
    Row { label: "Average loss", show: |f, _| optional(f.average_loss, percent) },
    Row { label: "Best trade", show: |f, _| optional(f.best.map(|b| b.ret), percent) },
    Row { label: "Worst trade", show: |f, _| optional(f.worst.map(|w| w.ret), percent) },
    Row { label: "Longest winning streak", show: |f, _| count(f, f.longest_win_streak) },
    Row { label: "Longest losing streak", show: |f, _| count(f, f.longest_loss_streak) },
    Row { label: "Average R", show: |f, _| optional(f.average_r, |x| format!("{x:+.2} R")) },
    Row { label: "Trades with an R", show: |f, _| count(f, f.r_count) },
    Row { label: "SQN", show: |f, _| ratio(f.sqn) },
    Row { label: "Sharpe (per trade)", show: |f, _| ratio(f.sharpe) },
    Row { label: "Sortino (per trade)", show: |f, _| ratio(f.sortino) },
    Row {
        label: "Standard deviation of returns",
        show: |f, _| optional(f.return_stdev, |x| format!("{:.2} %", x * 100.0)),
    },
    Row { label: "Kelly fraction", show: |f, _| optional(f.kelly, |x| format!("{:.1} %", x * 100.0)) },
    Row { label: "Sized trades", show: |f, _| count(f, f.sized_count) },
    Row { label: "Net P&L", show: |f, currency| money(f.net_pnl, currency) },
    Row { label: "Gross profit", show: |f, currency| money(f.gross_profit, currency) },
    Row { label: "Gross loss", show: |f, currency| money(f.gross_loss, currency) },
    Row { label: "Fees", show: |f, currency| money(f.fees.map(|fees| -fees), currency) },
    Row { label: "Profit factor in money", show: |f, _| ratio(f.profit_factor_money) },
    Row { label: "Average win in money", show: |f, currency| money(f.average_win_amount, currency) },
    Row { label: "Average loss in money", show: |f, currency| money(f.average_loss_amount, currency) },
    Row { label: "Largest win", show: |f, currency| money(f.largest_win_amount, currency) },
    Row { label: "Largest loss", show: |f, currency| money(f.largest_loss_amount, currency) },
    Row { label: "Max drawdown in money", show: |f, currency| money(f.max_drawdown_amount.map(|d| -d), currency) },
    Row { label: "Average holding time", show: |f, _| optional(f.average_holding_seconds, duration) },
    Row { label: "Trades with excursions", show: |f, _| count(f, f.mfe_count) },
    Row { label: "Average MFE", show: |f, _| optional(f.average_mfe, percent) },
    Row { label: "Average MAE", show: |f, _| optional(f.average_mae, |x| percent(-x)) },
    Row { label: "Edge ratio (MFE / MAE)", show: |f, _| ratio(f.edge_ratio) },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_a_person_says_them() {
        assert_eq!(percent(0.1234), "+12.34 %");
        assert_eq!(percent(-0.05), "-5.00 %");
        assert_eq!([percent(-0.0), percent(0.0), percent(-0.000_01)], ["0.00 %", "0.00 %", "0.00 %"]);
        assert_eq!(money(Some(-12.5), Some("USD")), "-12.50 USD");
        assert_eq!(money(None, Some("USD")), NONE);
        assert_eq!(ratio(Some(1.856)), "1.86");
        assert_eq!(
            [duration(45.0), duration(720.0), duration(12_600.0), duration(181_440.0)],
            ["45 s", "12 min", "3.5 h", "2.1 d"]
        );
    }
}

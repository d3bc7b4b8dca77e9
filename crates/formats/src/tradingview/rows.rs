//! One row of a list of trades: a trade's entry or its exit, read into values (each bad field named, all of a
//! row's problems in one sentence).

use std::str::FromStr;

use chrono_tz::Tz;
use quantarya_domain::{Price, Quantity, Side};
use rust_decimal::Decimal;

use super::columns::Columns;
use crate::errors::LineError;
use crate::time_zone::{LocalTime, shown};

/// Whether a row is a trade's entry or its exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leg {
    Entry,
    Exit,
}

/// A row read.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub line: u64,
    pub number: u64,
    pub leg: Leg,
    pub side: Side,
    pub signal: String,
    pub time: LocalTime,
    pub price: Price,
    pub quantity: Quantity,
    pub run_up: Option<f64>,
    pub drawdown: Option<f64>,
}

/// The most characters of an order's name kept (TradingView's are short: `Long`, `Close entry(s) order Long`).
pub(crate) const ORDER_NAME_CHARS: usize = 128;

/// An order's name as kept: its first [`ORDER_NAME_CHARS`] characters, without control characters, so that a trade's
/// `signal` object always fits its extensions.
fn order_name(cell: &str) -> String {
    cell.chars().filter(|c| !c.is_control()).take(ORDER_NAME_CHARS).collect()
}

/// `Entry long`, `Exit short`, … in any case.
fn leg_and_side(text: &str) -> Option<(Leg, Side)> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let [leg, side] = words.as_slice() else {
        return None;
    };
    let leg = match leg.as_str() {
        "entry" => Leg::Entry,
        "exit" => Leg::Exit,
        _ => return None,
    };
    let side = match side.as_str() {
        "long" => Side::Buy,
        "short" => Side::Sell,
        _ => return None,
    };
    Some((leg, side))
}

/// The text of a number as written, with thousands separators (`1,234.5`) taken out.
fn plain_number(text: &str) -> Option<String> {
    let text = text.trim();
    if !text.contains(',') {
        return Some(text.to_owned());
    }
    let (whole, fraction) = text.split_once('.').map_or((text, None), |(w, f)| (w, Some(f)));
    let digits = whole.trim_start_matches(['-', '+']);
    let mut groups = digits.split(',');
    let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
    let rest_ok = groups.all(|g| g.len() == 3);
    (first_ok && rest_ok).then(|| {
        let mut plain = whole.replace(',', "");
        if let Some(fraction) = fraction {
            plain.push('.');
            plain.push_str(fraction);
        }
        plain
    })
}

/// A finite number.
fn finite_number(text: &str) -> Option<f64> {
    plain_number(text)?.parse::<f64>().ok().filter(|n| n.is_finite())
}

impl Row {
    /// Reads the row at `line`, whose cells are `cells`, with the columns of `columns`, its times in `zone`.
    ///
    /// # Errors
    ///
    /// One error for the line, saying what is wrong with each of its bad cells.
    pub(crate) fn read(line: u64, cells: &[&str], columns: &Columns, zone: Tz) -> Result<Self, LineError> {
        let mut problems: Vec<String> = Vec::new();
        let cell = |at: usize| cells.get(at).map_or("", |c| c.trim());
        let mut note = |problem: String| problems.push(problem);

        let number = Self::number_in(cells, columns);
        if number.is_none() {
            note(format!("Trade # '{}' is not a whole number", shown(cell(columns.number))));
        }
        let leg = leg_and_side(cell(columns.kind));
        if leg.is_none() {
            note(format!(
                "Type '{}' is not one of Entry long, Exit long, Entry short, Exit short",
                shown(cell(columns.kind))
            ));
        }
        let time = LocalTime::read(cell(columns.time), zone).map_err(|why| note(format!("Date/Time {why}"))).ok();
        let price = finite_number(cell(columns.price)).and_then(|p| Price::new(p).ok());
        if price.is_none() {
            note(format!("Price '{}' is not a number greater than 0 and at most 1e12", shown(cell(columns.price))));
        }
        let quantity = plain_number(cell(columns.quantity))
            .and_then(|q| Decimal::from_str(&q).ok())
            .and_then(|q| Quantity::from_decimal(q.round_dp(quantarya_domain::DECIMAL_PLACES)).ok());
        if quantity.is_none() {
            note(format!(
                "the size '{}' is not a number greater than 0 and at most 1e12",
                shown(cell(columns.quantity))
            ));
        }
        let mut amount = |column: Option<usize>, name: &str| {
            let text = column.map_or("", cell);
            if text.is_empty() {
                return None;
            }
            let value = finite_number(text);
            if value.is_none() {
                note(format!("{name} '{}' is not a number", shown(text)));
            }
            value
        };
        let run_up = amount(columns.run_up, "Run-up");
        let drawdown = amount(columns.drawdown, "Drawdown");

        let signal = order_name(columns.signal.map_or("", cell));
        match (number, leg, time, price, quantity) {
            (Some(number), Some((leg, side)), Some(time), Some(price), Some(quantity)) if problems.is_empty() => {
                Ok(Self { line, number, leg, side, signal, time, price, quantity, run_up, drawdown })
            }
            _ => Err(LineError::new(line, problems.join("; "))),
        }
    }

    /// The trade number a row's cells name, if it reads.
    pub(crate) fn number_in(cells: &[&str], columns: &Columns) -> Option<u64> {
        cells.get(columns.number).and_then(|cell| cell.trim().parse().ok())
    }

    /// Whether this exit row stands for a trade still open (TradingView writes `Open` as its signal).
    pub(crate) fn is_still_open(&self) -> bool {
        self.leg == Leg::Exit && self.signal.eq_ignore_ascii_case("open")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_in_any_case() {
        assert_eq!(leg_and_side("Entry long"), Some((Leg::Entry, Side::Buy)));
        assert_eq!(leg_and_side("EXIT  Short"), Some((Leg::Exit, Side::Sell)));
        assert_eq!(leg_and_side("Entry"), None);
        assert_eq!(leg_and_side("Buy long"), None);
    }

    #[test]
    fn thousands_separators_only_where_they_group_thousands() {
        assert_eq!(finite_number("1,234.5"), Some(1234.5));
        assert_eq!(finite_number("-12,345,678"), Some(-12_345_678.0));
        assert_eq!(finite_number("12,34"), None);
        assert_eq!(finite_number("1,2345"), None);
        assert_eq!(finite_number(" 64000.5 "), Some(64000.5));
        assert_eq!(finite_number("NaN"), None);
        assert_eq!(finite_number("inf"), None);
    }
}

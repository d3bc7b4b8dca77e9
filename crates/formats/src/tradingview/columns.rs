//! Where each column TradingView writes stands in a file's header, found by name: both generations of the
//! "List of trades" header name some columns differently, put them in another order, and end money columns with
//! the account's currency (`Price USD`, `Run-up USDT`).

use crate::errors::{LineError, LineErrors};

/// The columns the reader uses, by position in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Columns {
    pub number: usize,
    pub kind: usize,
    pub signal: Option<usize>,
    pub time: usize,
    pub price: usize,
    pub quantity: usize,
    pub run_up: Option<usize>,
    pub drawdown: Option<usize>,
    /// The currency the money columns name, when they name one.
    pub currency: Option<String>,
}

/// A header cell as compared: trimmed, lower case, runs of white space as one space.
fn normalized(cell: &str) -> String {
    cell.trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The currency a money column `name` (normalized) ends with after `stem`: `Some(Some("usd"))` for
/// `price usd`, `Some(None)` for a bare `price`, `None` when it is another column (`price %`, `prices`).
fn money<'a>(name: &'a str, stem: &str) -> Option<Option<&'a str>> {
    let rest = name.strip_prefix(stem)?;
    if rest.is_empty() {
        return Some(None);
    }
    let currency = rest.strip_prefix(' ')?;
    (!currency.contains('%') && !currency.contains(' ')).then_some(Some(currency))
}

impl Columns {
    /// Finds the columns in `header` (the file's line `line`).
    ///
    /// # Errors
    ///
    /// One error on that line naming every column that is missing.
    pub(crate) fn find(header: &[String], line: u64) -> Result<Self, LineErrors> {
        let names: Vec<String> = header.iter().map(|cell| normalized(cell)).collect();
        let named = |choices: &[&str]| names.iter().position(|name| choices.contains(&name.as_str()));
        let money_column = |stem: &str| {
            names.iter().enumerate().find_map(|(at, name)| money(name, stem).map(|currency| (at, currency)))
        };
        let price = money_column("price");
        let run_up = money_column("run-up");
        let drawdown = money_column("drawdown");
        let number = named(&["trade #", "trade#", "trade no", "trade number"]);
        let kind = named(&["type"]);
        let time = named(&["date/time", "date and time", "date/time (utc)", "time"]);
        let quantity = named(&["contracts", "position size (qty)", "size (qty)", "quantity", "qty"]);
        let required = [
            ("Trade #", number),
            ("Type", kind),
            ("Date/Time (or Date and time)", time),
            ("Price", price.map(|(at, _)| at)),
            ("Contracts (or Position size (qty), or Size (qty))", quantity),
        ];
        let missing: Vec<&str> = required.iter().filter(|(_, at)| at.is_none()).map(|(name, _)| *name).collect();
        let (Some(number), Some(kind), Some(time), Some((price, currency)), Some(quantity)) =
            (number, kind, time, price, quantity)
        else {
            let message = format!(
                "the header has no {} column: is this TradingView's \"List of trades\" export?",
                missing.join(", no ")
            );
            return Err(LineError::new(line, message).into());
        };
        let currency = currency.or_else(|| run_up.and_then(|(_, c)| c)).map(str::to_uppercase);
        Ok(Self {
            number,
            kind,
            signal: named(&["signal"]),
            time,
            price,
            quantity,
            run_up: run_up.map(|(at, _)| at),
            drawdown: drawdown.map(|(at, _)| at),
            currency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &str) -> Vec<String> {
        cells.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn both_generations_are_found_by_name() {
        let old = "Trade #,Type,Signal,Date/Time,Price USD,Contracts,Profit USD,Profit %,Cum. Profit USD,Cum. Profit %,\
                   Run-up USD,Run-up %,Drawdown USD,Drawdown %";
        let columns = Columns::find(&header(old), 1).expect("found");
        assert_eq!((columns.number, columns.kind, columns.signal, columns.time), (0, 1, Some(2), 3));
        assert_eq!((columns.price, columns.quantity, columns.run_up, columns.drawdown), (4, 5, Some(10), Some(12)));
        assert_eq!(columns.currency.as_deref(), Some("USD"));
        let new = "Trade #,Type,Date and time,Signal,Price USDT,Position size (qty),Position size (value),\
                   Net P&L USDT,Net P&L %,Run-up USDT,Run-up %,Drawdown USDT,Drawdown %,Cumulative P&L USDT,\
                   Cumulative P&L %";
        let columns = Columns::find(&header(new), 1).expect("found");
        assert_eq!((columns.time, columns.signal, columns.price, columns.quantity), (2, Some(3), 4, 5));
        assert_eq!((columns.run_up, columns.drawdown, columns.currency.as_deref()), (Some(9), Some(11), Some("USDT")));
    }

    #[test]
    fn names_are_compared_loosely_and_percent_columns_are_not_money() {
        let cells = "\u{feff}trade  #, TYPE ,date/time,Price %,Price,Size (qty),Run-up %,Drawdown %";
        let columns = Columns::find(&header(cells), 1).expect("found");
        assert_eq!((columns.number, columns.price, columns.run_up, columns.drawdown), (0, 4, None, None));
        assert_eq!(columns.currency, None);
    }

    #[test]
    fn every_missing_column_is_named_on_the_header_line() {
        let errors = Columns::find(&header("Trade #,Signal,Date/Time,Profit USD"), 3).expect_err("missing");
        let [error] = errors.lines() else { panic!("one error: {errors:?}") };
        assert_eq!(error.line, 3);
        for name in ["Type", "Price", "Contracts"] {
            assert!(error.message.contains(name), "{}", error.message);
        }
        assert!(!error.message.contains("Trade #"), "{}", error.message);
    }
}

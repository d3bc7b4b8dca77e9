//! The rows of one trade number made into a trade: an entry row and an exit row of the same side, in either
//! order; an exit row whose signal is `Open` leaves the trade open. The entry is taken at the first instant its
//! written time stands for, the exit at the first that is not before the entry (so a trade inside the hour that
//! clocks repeat keeps its order).

use quantarya_domain::PointValue;

use super::rows::{Leg, Row};
use super::{ListedFill, ListedTrade};
use crate::errors::LineError;
use crate::excursions::Position;

/// The rows of one trade number, as they come.
#[derive(Debug, Default)]
pub(crate) struct Legs {
    entry: Option<Row>,
    exit: Option<Row>,
}

impl Legs {
    /// Adds `row`; an error when the trade already has a row of that kind.
    pub(crate) fn add(&mut self, row: Row) -> Result<(), LineError> {
        let slot = match row.leg {
            Leg::Entry => &mut self.entry,
            Leg::Exit => &mut self.exit,
        };
        if let Some(first) = slot {
            let kind = if row.leg == Leg::Entry { "entry" } else { "exit" };
            return Err(LineError::new(
                row.line,
                format!("trade {} has a second {kind} row (the first is line {})", row.number, first.line),
            ));
        }
        *slot = Some(row);
        Ok(())
    }

    /// The trade these rows make, sized at `point_value` per point.
    pub(crate) fn pair(self, point_value: PointValue) -> Result<ListedTrade, LineError> {
        let (entry, exit) = match (self.entry, self.exit) {
            (Some(entry), Some(exit)) => (entry, exit),
            (Some(entry), None) => {
                return Err(LineError::new(
                    entry.line,
                    format!("trade {} has no exit row (a trade still open has one whose Signal is Open)", entry.number),
                ));
            }
            (None, Some(exit)) => {
                return Err(LineError::new(exit.line, format!("trade {} has no entry row", exit.number)));
            }
            (None, None) => return Err(LineError::new(1, "a trade without rows")),
        };
        let refused = |why: String| LineError::new(exit.line, format!("trade {}: {why}", exit.number));
        if exit.side != entry.side {
            return Err(refused(format!(
                "its exit row is not {} like its entry row (line {})",
                kind(&entry),
                entry.line
            )));
        }
        if exit.quantity != entry.quantity {
            return Err(refused(format!(
                "its exit row's size {} is not its entry row's {} (line {})",
                exit.quantity, entry.quantity, entry.line
            )));
        }
        let entered_at = entry.time.earliest();
        let closing = if exit.is_still_open() {
            None
        } else {
            let Some(at) = exit.time.not_before(entered_at) else {
                return Err(refused(format!("it exits before it entered (line {})", entry.line)));
            };
            Some(ListedFill { price: exit.price, at, signal: exit.signal.clone() })
        };
        let position = Position {
            side: entry.side,
            entry: entry.price,
            exit: closing.as_ref().map(|fill| fill.price),
            quantity: entry.quantity,
            point_value,
        };
        // Both rows carry the trade's run-up and drawdown; an older export may fill only one of them.
        let excursions =
            position.excursions(entry.run_up.or(exit.run_up), entry.drawdown.or(exit.drawdown)).map_err(refused)?;
        Ok(ListedTrade {
            number: entry.number,
            side: entry.side,
            quantity: entry.quantity,
            entry: ListedFill { price: entry.price, at: entered_at, signal: entry.signal },
            exit: closing,
            max_favorable_price: excursions.max_favorable_price,
            max_adverse_price: excursions.max_adverse_price,
        })
    }
}

/// `Entry long` or `Entry short`, as the file would say it.
fn kind(row: &Row) -> &'static str {
    match row.side {
        quantarya_domain::Side::Buy => "long",
        quantarya_domain::Side::Sell => "short",
    }
}

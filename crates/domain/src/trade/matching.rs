//! Which trade a signal acts on. The service hands over the candidates it loaded; the rule is decided here.

use super::Trade;
use super::commands::NewTrade;
use super::fields::{ExternalReference, Status, Symbol};
use super::lifecycle::LifecycleError;

/// How a signal names its trade: by the sender's reference, else by symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locator<'a> {
    /// The sender's reference; when given, it alone picks the trade.
    pub reference: Option<&'a ExternalReference>,
    /// The symbol; picks the only open trade of that symbol when no reference is given, and must match otherwise.
    pub symbol: Option<&'a Symbol>,
}

/// Picks the open trade a signal acts on among `candidates` (the strategy's open trades that carry the
/// locator's reference or, without one, its symbol; other trades in the slice are ignored).
///
/// - With a reference: the open trade carrying it, if any. A given symbol must then be that trade's
///   ([`LifecycleError::SymbolMismatch`]).
/// - Without one: the only open trade of the symbol. Two or more is [`LifecycleError::AmbiguousTrade`].
/// - With neither: [`LifecycleError::NoLocator`].
pub fn select_open_trade<'t>(
    candidates: &'t [Trade],
    locator: Locator<'_>,
) -> Result<Option<&'t Trade>, LifecycleError> {
    let open = candidates.iter().filter(|t| t.status == Status::Open);
    let found = match (locator.reference, locator.symbol) {
        (Some(reference), _) => {
            let mut matching = open.filter(|t| t.external_reference.as_ref() == Some(reference));
            let first = matching.next();
            if let Some(trade) = first
                && matching.next().is_some()
            {
                return Err(LifecycleError::AmbiguousTrade {
                    symbol: trade.symbol.clone(),
                    count: 2 + matching.count(),
                });
            }
            first
        }
        (None, Some(symbol)) => {
            let matching: Vec<&Trade> = open.filter(|t| &t.symbol == symbol).collect();
            match matching.as_slice() {
                [] => None,
                [only] => Some(*only),
                many => return Err(LifecycleError::AmbiguousTrade { symbol: symbol.clone(), count: many.len() }),
            }
        }
        (None, None) => return Err(LifecycleError::NoLocator),
    };
    if let (Some(trade), Some(symbol)) = (found, locator.symbol)
        && &trade.symbol != symbol
    {
        return Err(LifecycleError::SymbolMismatch { expected: trade.symbol.clone(), given: symbol.clone() });
    }
    Ok(found)
}

/// Whether an exit whose reference matches no open trade repeats an exit already applied: the most recent trade
/// with that reference is closed or cancelled, so the exit is answered with it instead of "not found".
pub fn exit_already_applied(latest_with_reference: &Trade) -> bool {
    latest_with_reference.status.is_terminal()
}

impl Trade {
    /// What an entry with this open trade's reference does to it: refused with [`LifecycleError::AlreadyOpen`]
    /// (it changes nothing). A retry of the entry itself is recognised by its receipt before this rule.
    pub fn check_entry_on_open(&self, entry: &NewTrade) -> Result<(), LifecycleError> {
        match &entry.external_reference {
            Some(reference) if self.status == Status::Open && self.external_reference.as_ref() == Some(reference) => {
                Err(LifecycleError::AlreadyOpen { reference: reference.clone() })
            }
            _ => Ok(()),
        }
    }
}

//! Which trade a signal acts on. The service hands over the candidates it loaded; the rule is decided here.

use super::Trade;
use super::commands::{LevelsChange, NewTrade, ScaleIn, TradeCommand};
use super::error::LifecycleError;
use super::extensions::{ExtensionSlot, ExtensionsChange};
use super::fields::{ExternalReference, Status, Symbol};

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
    /// What an entry carrying this open trade's reference does to it (a retry of the entry itself is recognised by
    /// its receipt before this rule): with a `quantity`, in the trade's direction, it adds to the position
    /// ([`TradeCommand::Add`]); without one (whatever else it says), or in the other direction, or back-filled, it
    /// is refused with [`LifecycleError::AlreadyOpen`]; a sized one naming a symbol other than the trade's is
    /// [`LifecycleError::SymbolMismatch`], and one on a trade opened without a size
    /// [`LifecycleError::QuantityOnUnsized`].
    ///
    /// ```
    /// # use quantarya_domain::*;
    /// # use quantarya_domain::uuid::Uuid;
    /// # let stamp = Stamp {
    /// #     event_id: EventId::from_uuid(Uuid::from_u128(9)),
    /// #     at: Timestamp::parse_rfc3339("2026-05-21T12:00:00Z")?,
    /// #     by: CredentialKind::ApiKey,
    /// # };
    /// let entry = |price: f64, quantity: Option<f64>| -> Result<NewTrade, ValueError> {
    ///     Ok(NewTrade {
    ///         entry: Some(Price::new(price)?),
    ///         quantity: quantity.map(Quantity::new).transpose()?,
    ///         external_reference: Some(ExternalReference::parse("Long")?),
    ///         ..NewTrade::open(Symbol::parse("USDJPY")?, Side::Buy)
    ///     })
    /// };
    /// # let ids = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
    /// let open = Trade::open(ids.0, ids.1, UserId::parse("u_1")?, entry(150.1, Some(1.0))?, stamp)?.trade;
    /// assert!(matches!(open.entry_on_open(&entry(150.2, Some(1.0))?), Ok(TradeCommand::Add(_))));
    /// assert!(matches!(open.entry_on_open(&entry(150.2, None)?), Err(LifecycleError::AlreadyOpen { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn entry_on_open(&self, entry: &NewTrade) -> Result<TradeCommand, LifecycleError> {
        let reference = entry.external_reference.as_ref().or(self.external_reference.as_ref());
        let already_open = || match reference {
            Some(reference) => LifecycleError::AlreadyOpen { reference: reference.clone() },
            None => LifecycleError::NoLocator,
        };
        let Some(quantity) = entry.quantity else {
            return Err(already_open());
        };
        if entry.symbol != self.symbol {
            return Err(LifecycleError::SymbolMismatch { expected: self.symbol.clone(), given: entry.symbol.clone() });
        }
        if self.status != Status::Open || entry.status != Status::Open || entry.side != self.side {
            return Err(already_open());
        }
        if !self.is_sized() {
            return Err(LifecycleError::QuantityOnUnsized);
        }
        if entry.point_value.is_some_and(|value| value != self.point_value) {
            return Err(LifecycleError::PointValueFixed);
        }
        let object = |slot| entry.extensions.get(slot).cloned().map(Some);
        let extensions = ExtensionsChange {
            signal: object(ExtensionSlot::Signal),
            market: object(ExtensionSlot::Market),
            risk: object(ExtensionSlot::Risk),
            context: object(ExtensionSlot::Context),
            meta: object(ExtensionSlot::Meta),
        };
        let tags = (!entry.tags.as_slice().is_empty()).then(|| entry.tags.clone());
        Ok(TradeCommand::Add(ScaleIn {
            price: entry.entry,
            quantity,
            fees: entry.fees,
            signal_time: entry.signal_time,
            levels: LevelsChange {
                entry: None,
                stop_loss: entry.stop_loss.map(Some),
                take_profit: entry.take_profit.map(Some),
                timeframe: entry.timeframe.clone(),
                tags,
                extensions,
                ..LevelsChange::default()
            },
        }))
    }
}

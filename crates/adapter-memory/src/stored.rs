//! A trade as the memory store keeps it: the trade with its history in one allocation. Most trades of a journal
//! are webhook entries that nothing has changed yet, whose entry event repeats every field of the trade; such an
//! event is kept as what the trade cannot tell (its id, time and author), and written out from the trade when read
//! or when the trade first changes. Only an event that is exactly what the trade gives back is kept so: any other
//! is kept whole, so the history read is always the one written.

use quantarya_domain::{CredentialKind, EventId, EventKind, FieldChange, Timestamp, Trade, TradeEvent};

/// A trade and its history.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) trade: Trade,
    history: History,
}

/// A trade's history events, oldest first.
#[derive(Debug)]
enum History {
    /// Only the entry event, which the trade (still at its first version) gives back but for these.
    Entry { id: EventId, at: Timestamp, by: CredentialKind },
    /// Every event, whole.
    Events(Vec<TradeEvent>),
}

/// The entry event of `trade` at its first version, stamped `id`, `at`, `by`: what `Trade::open` writes.
fn entry_event(trade: &Trade, id: EventId, at: Timestamp, by: CredentialKind) -> TradeEvent {
    TradeEvent {
        id,
        trade_id: trade.id,
        version: 1,
        kind: EventKind::Entry,
        at,
        by,
        changes: FieldChange::between(None, trade),
    }
}

impl Stored {
    /// A new trade with its first event.
    pub(crate) fn new(trade: Trade, event: &TradeEvent) -> Self {
        // `entry_event(&trade, event.id, event.at, event.by) == *event`, without making the changes.
        let derived = trade.version == 1
            && (event.trade_id, event.version, event.kind) == (trade.id, 1, EventKind::Entry)
            && FieldChange::are_between(None, &trade, &event.changes);
        let history = if derived {
            History::Entry { id: event.id, at: event.at, by: event.by }
        } else {
            History::Events(vec![event.clone()])
        };
        Self { trade, history }
    }

    /// The trade replaced by `trade`, with `event` appended to its history.
    pub(crate) fn replace(&mut self, trade: Trade, event: &TradeEvent) {
        let mut events = self.events();
        events.push(event.clone());
        self.history = History::Events(events);
        self.trade = trade;
    }

    /// The history, oldest first.
    pub(crate) fn events(&self) -> Vec<TradeEvent> {
        match &self.history {
            History::Entry { id, at, by } => vec![entry_event(&self.trade, *id, *at, *by)],
            History::Events(events) => events.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use quantarya_domain::uuid::Uuid;
    use quantarya_domain::{
        ExternalReference, NewTrade, Price, Side, Stamp, StrategyId, Symbol, TradeCommand, TradeId, UserId,
    };

    use super::*;

    fn stamp(n: u128, by: CredentialKind) -> Stamp {
        let at = Timestamp::parse_rfc3339("2026-05-21T12:00:00Z").expect("valid");
        Stamp { event_id: EventId::from_uuid(Uuid::from_u128(n)), at, by }
    }

    fn opened() -> quantarya_domain::Transition {
        let new = NewTrade {
            entry: Some(Price::new(64000.5).expect("valid")),
            external_reference: Some(ExternalReference::parse("o-1").expect("valid")),
            ..NewTrade::open(Symbol::parse("BINANCE:BTCUSDT.P").expect("valid"), Side::Buy)
        };
        let (id, strategy) = (TradeId::from_uuid(Uuid::from_u128(1)), StrategyId::from_uuid(Uuid::from_u128(2)));
        Trade::open(id, strategy, UserId::parse("u").expect("valid"), new, stamp(3, CredentialKind::ApiKey))
            .expect("valid")
    }

    #[test]
    fn an_entry_event_the_trade_gives_back_is_kept_short_and_read_whole() {
        let opened = opened();
        let stored = Stored::new(opened.trade.clone(), &opened.event);
        assert!(matches!(stored.history, History::Entry { .. }));
        assert_eq!(stored.events(), vec![opened.event.clone()]);
    }

    #[test]
    fn any_other_event_is_kept_whole() {
        let opened = opened();
        let mut odd = opened.event.clone();
        odd.changes.pop();
        let stored = Stored::new(opened.trade.clone(), &odd);
        assert!(matches!(stored.history, History::Events(_)));
        assert_eq!(stored.events(), vec![odd]);
    }

    #[test]
    fn a_change_writes_the_entry_event_out_from_the_trade_before_it() {
        let opened = opened();
        let mut stored = Stored::new(opened.trade.clone(), &opened.event);
        let levels = quantarya_domain::LevelsChange {
            stop_loss: Some(Some(Price::new(63000.0).expect("valid"))),
            ..Default::default()
        };
        let outcome = opened.trade.apply(TradeCommand::Update(levels), stamp(4, CredentialKind::ApiKey));
        let Ok(quantarya_domain::Outcome::Changed(update)) = outcome else {
            panic!("a new stop changes the trade: {outcome:?}");
        };
        stored.replace(update.trade.clone(), &update.event);
        assert_eq!(stored.events(), vec![opened.event, update.event]);
        assert_eq!(stored.trade, update.trade);
    }
}

//! Trades: reading, changing (PATCH, close), deleting and listing stored trades, and their history.

use quantarya_domain::{Outcome, StrategyId, Timestamp, Trade, TradeCommand, TradeEvent, TradeId};

use super::JournalService;
use super::retry::{Attempt, retry};
use crate::journal::Principal;
use crate::journal::key_policy::may_change;
use crate::outbound::{ReceiptWrite, TradeCursor};
use crate::paging::{TradePage, TradeQuery, split_page};
use crate::{JournalError, StoreConflict, StoreError};

/// Refuses a time range whose `from` is after its `to` (both bounds are inclusive, so equal ones are a range).
pub(super) fn in_order(from: Option<Timestamp>, to: Option<Timestamp>) -> Result<(), JournalError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(JournalError::invalid("from", "must not be after to")),
        _ => Ok(()),
    }
}

/// What storing a change came to.
pub(super) enum Stored {
    /// It is stored.
    Done,
    /// Another writer changed the trade first: decide again.
    Stale,
    /// Another receipt won the race for the signal's target or key.
    Raced,
}

impl JournalService {
    /// Stores a transition, with its receipt when a signal made it.
    pub(super) async fn store_change(
        &self,
        trade: &Trade,
        event: &TradeEvent,
        receipt: Option<&ReceiptWrite>,
    ) -> Result<Stored, JournalError> {
        match self.ports.stores.trades.update_trade(trade, event, receipt).await {
            Ok(()) => Ok(Stored::Done),
            Err(StoreError::Conflict(StoreConflict::StaleVersion)) => Ok(Stored::Stale),
            Err(StoreError::Conflict(StoreConflict::ReceiptRaced)) => Ok(Stored::Raced),
            Err(StoreError::Missing) => Err(JournalError::NotFound("trade")),
            Err(other) => Err(other.into()),
        }
    }

    /// Reads trade `id`, applies `command`, stores the result; re-reads and decides again when another writer won
    /// the race, so the command is always decided against the state it is stored over.
    pub(super) async fn change_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
        command: &TradeCommand,
    ) -> Result<Trade, JournalError> {
        retry(move || async move {
            let current = self.owned_trade(principal, strategy, id).await?;
            may_change(principal, &current)?;
            match current.apply(command.clone(), self.stamp(principal))? {
                Outcome::Unchanged => Ok(Attempt::Done(current)),
                Outcome::Changed(transition) => {
                    Ok(match self.store_change(&transition.trade, &transition.event, None).await? {
                        Stored::Done => Attempt::Done(transition.trade),
                        // Without a receipt only a stale version can lose: decide again.
                        Stored::Stale | Stored::Raced => Attempt::Retry,
                    })
                }
            }
        })
        .await
    }

    /// One page of a strategy's trades, newest first.
    pub(super) async fn trade_page(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        query: TradeQuery,
    ) -> Result<TradePage, JournalError> {
        in_order(query.filter.from, query.filter.to)?;
        let limit = query.limit.get();
        let listed =
            self.ports.stores.trades.list_trades(&principal.user_id, strategy, &query.filter, query.cursor, limit + 1);
        let Some(mut trades) = listed.await? else {
            return Err(self.missing(principal, "strategy").await);
        };
        let next_cursor =
            split_page(&mut trades, limit, |last| TradeCursor { opened_at: last.opened_at, trade_id: last.id });
        Ok(TradePage { trades, next_cursor })
    }

    /// Deletes a manual trade with its history; answers the trade as it was.
    pub(super) async fn erase_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Trade, JournalError> {
        let trade = self.owned_trade(principal, strategy, id).await?;
        may_change(principal, &trade)?;
        trade.ensure_erasable()?;
        if self.ports.stores.trades.delete_trade(&principal.user_id, strategy, id).await? {
            Ok(trade)
        } else {
            Err(JournalError::NotFound("trade"))
        }
    }

    /// A trade's history, oldest first.
    pub(super) async fn history(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        id: TradeId,
    ) -> Result<Vec<TradeEvent>, JournalError> {
        let history = self.ports.stores.trades.trade_events(&principal.user_id, strategy, id).await?;
        if history.is_empty() {
            // Every trade has at least its entry event: no history means no such trade of this user.
            return Err(self.missing(principal, "trade").await);
        }
        Ok(history)
    }
}

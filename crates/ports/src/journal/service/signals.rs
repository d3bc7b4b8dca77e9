//! Signals: what `POST /strategies/{id}/trades` does with an entry, an update or an exit. The domain decides
//! which trade a signal acts on and what it does to it; this file loads the candidates and stores the decision.

use quantarya_domain::{
    LifecycleError, Locator, NewTrade, Outcome, Status, StrategyId, Trade, TradeCommand, TradeId, exit_already_applied,
    select_open_trade,
};

use super::JournalService;
use super::repeats::{Applied, ReceiptDraft};
use super::retry::{Attempt, retry};
use super::trades::Stored;
use crate::journal::{Principal, Signal, SignalEffect, SignalLocator, SignalOutcome};
use crate::outbound::OpenTradeLookup;
use crate::{JournalError, StoreConflict, StoreError};

impl JournalService {
    /// Applies an entry, update or exit signal as a new one, leaving `receipt` with the change it makes.
    pub(super) async fn apply(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        signal: &Signal,
        receipt: Option<ReceiptDraft<'_>>,
    ) -> Result<Applied, JournalError> {
        match signal {
            Signal::Entry(new) => self.entry(principal, strategy, new, receipt).await,
            Signal::Update { locator, levels } => {
                let command = TradeCommand::Update(levels.clone());
                self.signal_on_open_trade(principal, strategy, locator, &command, receipt).await
            }
            Signal::Exit { locator, exit } => {
                let command = TradeCommand::Exit(exit.clone());
                self.signal_on_open_trade(principal, strategy, locator, &command, receipt).await
            }
        }
    }

    /// An entry. One with a reference is inserted straight away (one store call on the webhook path) and, if an
    /// open trade already holds the reference, answered with that trade; one without a reference first looks for
    /// the only open trade of its symbol, as the API matches it. A back-filled trade is simply inserted.
    async fn entry(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        new: &NewTrade,
        receipt: Option<ReceiptDraft<'_>>,
    ) -> Result<Applied, JournalError> {
        let opens = new.status == Status::Open;
        retry(move || async move {
            if opens && new.external_reference.is_none() {
                let candidates =
                    self.open_trades(principal, strategy, &OpenTradeLookup::Symbol(new.symbol.clone())).await?;
                let locator = Locator { reference: None, symbol: Some(&new.symbol) };
                if let Some(existing) = select_open_trade(&candidates, locator)? {
                    existing.check_repeated_entry(new)?;
                    return Ok(Attempt::Done(already_open(existing)));
                }
            }
            let id = TradeId::from_uuid(self.ports.ids.uuid());
            let transition = Trade::open(id, strategy, principal.user_id.clone(), new.clone(), self.stamp(principal))?;
            let written = receipt.map(|draft| draft.write(&transition));
            match self.ports.stores.trades.insert_trade(&transition.trade, &transition.event, written.as_ref()).await {
                Ok(()) => Ok(Attempt::Done(Applied::Outcome(SignalOutcome {
                    trade: transition.trade,
                    effect: SignalEffect::Created,
                }))),
                Err(StoreError::Conflict(StoreConflict::ReceiptRaced)) => Ok(Attempt::Done(Applied::ReceiptRaced)),
                Err(StoreError::Conflict(StoreConflict::OpenTradeExists)) if opens => {
                    let Some(reference) = &new.external_reference else {
                        // An unreferenced entry lost a race for its symbol: look again.
                        return Ok(Attempt::Retry);
                    };
                    let lookup = OpenTradeLookup::Reference(reference.clone());
                    let candidates = self.open_trades(principal, strategy, &lookup).await?;
                    let locator = Locator { reference: Some(reference), symbol: Some(&new.symbol) };
                    match select_open_trade(&candidates, locator)? {
                        Some(existing) => {
                            existing.check_repeated_entry(new)?;
                            Ok(Attempt::Done(already_open(existing)))
                        }
                        // The holder of the reference closed in between: try the insert again.
                        None => Ok(Attempt::Retry),
                    }
                }
                Err(StoreError::Missing) => Err(self.missing(principal, "strategy").await),
                Err(other) => Err(other.into()),
            }
        })
        .await
    }

    /// The open trade `locator` names, decided by the domain over the candidates the store returns.
    async fn find_open(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        locator: &SignalLocator,
    ) -> Result<Option<Trade>, JournalError> {
        let lookup = match (&locator.external_reference, &locator.symbol) {
            (Some(reference), _) => OpenTradeLookup::Reference(reference.clone()),
            (None, Some(symbol)) => OpenTradeLookup::Symbol(symbol.clone()),
            (None, None) => return Err(LifecycleError::NoLocator.into()),
        };
        let candidates = self.open_trades(principal, strategy, &lookup).await?;
        let locator = Locator { reference: locator.external_reference.as_ref(), symbol: locator.symbol.as_ref() };
        Ok(select_open_trade(&candidates, locator)?.cloned())
    }

    /// An update or exit: applied to the open trade it names, decided again if another writer changed it first.
    async fn signal_on_open_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        locator: &SignalLocator,
        command: &TradeCommand,
        receipt: Option<ReceiptDraft<'_>>,
    ) -> Result<Applied, JournalError> {
        if let TradeCommand::Exit(exit) = command {
            exit.check(self.ports.clock.now())?;
        }
        retry(move || async move {
            let Some(current) = self.find_open(principal, strategy, locator).await? else {
                let outcome = self.no_open_trade(principal, strategy, locator, command).await?;
                return Ok(Attempt::Done(Applied::Outcome(outcome)));
            };
            match current.apply(command.clone(), self.stamp(principal))? {
                Outcome::Unchanged => Ok(Attempt::Done(Applied::Outcome(SignalOutcome {
                    trade: current,
                    effect: SignalEffect::Unchanged,
                }))),
                Outcome::Changed(transition) => {
                    let written = receipt.map(|draft| draft.write(&transition));
                    Ok(match self.store_change(&transition.trade, &transition.event, written.as_ref()).await? {
                        Stored::Stale => Attempt::Retry,
                        Stored::Raced => Attempt::Done(Applied::ReceiptRaced),
                        Stored::Done => {
                            let effect = match transition.trade.status {
                                Status::Open => SignalEffect::Updated,
                                Status::Closed => SignalEffect::Closed,
                                Status::Cancelled => SignalEffect::Cancelled,
                            };
                            Attempt::Done(Applied::Outcome(SignalOutcome { trade: transition.trade, effect }))
                        }
                    })
                }
            }
        })
        .await
    }

    /// No open trade matches an update or exit: an exit that repeats one already applied to the latest trade with
    /// its reference answers with that trade; everything else is `NotFound`.
    async fn no_open_trade(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        locator: &SignalLocator,
        command: &TradeCommand,
    ) -> Result<SignalOutcome, JournalError> {
        if let (TradeCommand::Exit(_), Some(reference)) = (command, &locator.external_reference)
            && let Some(latest) =
                self.ports.stores.trades.latest_with_reference(&principal.user_id, strategy, reference).await?
            && exit_already_applied(&latest)
            && locator.symbol.as_ref().is_none_or(|symbol| symbol == &latest.symbol)
        {
            return Ok(SignalOutcome { trade: latest, effect: SignalEffect::AlreadyClosed });
        }
        Err(JournalError::NotFound("open trade"))
    }
}

/// The answer to an entry that repeats an open trade.
fn already_open(existing: &Trade) -> Applied {
    Applied::Outcome(SignalOutcome { trade: existing.clone(), effect: SignalEffect::AlreadyOpen })
}

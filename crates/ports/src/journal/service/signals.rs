//! Signals: what `POST /strategies/{id}/trades` does with an entry, an update or an exit. The domain decides
//! which trade a signal acts on and what it does to it; this file loads the candidates and stores the decision.

use quantarya_domain::{
    EventKind, LifecycleError, Locator, NewTrade, Outcome, Status, StrategyId, Trade, TradeCommand, TradeId,
    exit_already_applied, select_open_trade,
};

use super::JournalService;
use super::repeats::{Applied, ReceiptDraft};
use super::retry::{Attempt, retry};
use super::trades::Stored;
use crate::journal::key_policy::may_change;
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

    /// An entry: a new trade, inserted straight away (one store call on the webhook path). An entry without a
    /// reference never looks for another trade (several open trades of a symbol may coexist); one whose reference
    /// an open trade already carries is found when the store refuses the insert, and then adds to that position or is
    /// refused, as the domain decides. A back-filled trade is simply inserted.
    async fn entry(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        new: &NewTrade,
        receipt: Option<ReceiptDraft<'_>>,
    ) -> Result<Applied, JournalError> {
        retry(move || async move {
            let id = TradeId::from_uuid(self.ports.ids.uuid());
            let transition = Trade::open(id, strategy, principal.user_id.clone(), new.clone(), self.stamp(principal))?;
            let written = receipt.map(|draft| draft.write(&transition));
            match self.ports.stores.trades.insert_trade(&transition.trade, &transition.event, written.as_ref()).await {
                Ok(()) => Ok(Attempt::Done(Applied::Outcome(SignalOutcome {
                    trade: transition.trade,
                    effect: SignalEffect::Created,
                }))),
                Err(StoreError::Conflict(StoreConflict::ReceiptRaced)) => Ok(Attempt::Done(Applied::ReceiptRaced)),
                Err(StoreError::Conflict(StoreConflict::OpenTradeExists)) => {
                    let Some(reference) = &new.external_reference else {
                        return Err(JournalError::Internal("an entry without reference met an open trade".to_owned()));
                    };
                    // The holder may be a racing copy of this very request: if its target's receipt moved on since
                    // the request was judged, judge it again (it may now be a repeat) before refusing it.
                    if let Some(draft) = receipt
                        && self.receipt_moved(principal, strategy, draft).await?
                    {
                        return Ok(Attempt::Done(Applied::ReceiptRaced));
                    }
                    let lookup = OpenTradeLookup::Reference(reference.clone());
                    let holders = self.open_trades(principal, strategy, &lookup).await?;
                    let holder = holders
                        .into_iter()
                        .find(|t| t.status == Status::Open && t.external_reference.as_ref() == Some(reference));
                    match holder {
                        // With a size, the entry adds to the position; without, it is refused (the domain decides).
                        Some(holder) => {
                            let command = holder.entry_on_open(new)?;
                            self.change_open(principal, holder, &command, receipt).await
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
            self.change_open(principal, current, command, receipt).await
        })
        .await
    }

    /// Applies `command` to the open trade `current` and stores the change with its receipt: done, or to be tried
    /// again when another writer changed the trade first.
    async fn change_open(
        &self,
        principal: &Principal,
        current: Trade,
        command: &TradeCommand,
        receipt: Option<ReceiptDraft<'_>>,
    ) -> Result<Attempt<Applied>, JournalError> {
        may_change(principal, &current)?;
        match current.apply(command.clone(), self.stamp(principal))? {
            Outcome::Unchanged => {
                Ok(Attempt::Done(Applied::Outcome(SignalOutcome { trade: current, effect: SignalEffect::Unchanged })))
            }
            Outcome::Changed(transition) => {
                let written = receipt.map(|draft| draft.write(&transition));
                Ok(match self.store_change(&transition.trade, &transition.event, written.as_ref()).await? {
                    // Another writer changed the trade first; with a receipt, it may have been a copy of this
                    // request, so the request is judged again from its receipts.
                    Stored::Stale if receipt.is_some() => Attempt::Done(Applied::ReceiptRaced),
                    Stored::Stale => Attempt::Retry,
                    Stored::Raced => Attempt::Done(Applied::ReceiptRaced),
                    Stored::Done => {
                        let effect = match (transition.event.kind, transition.trade.status) {
                            (EventKind::Add, _) => SignalEffect::Added,
                            (EventKind::Reduce, _) => SignalEffect::Reduced,
                            (_, Status::Open) => SignalEffect::Updated,
                            (_, Status::Closed) => SignalEffect::Closed,
                            (_, Status::Cancelled) => SignalEffect::Cancelled,
                        };
                        Attempt::Done(Applied::Outcome(SignalOutcome { trade: transition.trade, effect }))
                    }
                })
            }
        }
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
            // A key learns nothing of a trade entered by hand, not even through a repeated exit.
            may_change(principal, &latest)?;
            return Ok(SignalOutcome { trade: latest, effect: SignalEffect::AlreadyClosed });
        }
        Err(JournalError::NotFound("open trade"))
    }
}

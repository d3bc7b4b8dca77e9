//! Repeats: a signal request that repeats one already applied is answered from its receipt and changes nothing;
//! an applied one leaves its receipt in the same atomic write as its change. The domain judges a receipt
//! ([`Receipt::judge_keyed`], [`Receipt::judge_body`]); the store settles racing requests (`ReceiptRaced`), and
//! the request is then judged again against the receipt that won.

use quantarya_domain::{BodyHash, EventId, IdempotencyKey, Receipt, Repeat, SignalTarget, StrategyId, Transition};

use super::JournalService;
use super::retry::{Attempt, retry};
use crate::journal::key_policy::may_change;
use crate::journal::{Principal, Signal, SignalEffect, SignalIdentity, SignalOutcome};
use crate::outbound::ReceiptWrite;
use crate::{JournalError, RefusedKind};

/// The receipt a signal will leave if it changes a trade: all but what the change decides.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReceiptDraft<'a> {
    target: &'a SignalTarget,
    key: Option<&'a IdempotencyKey>,
    body: BodyHash,
    after: Option<EventId>,
}

impl ReceiptDraft<'_> {
    /// The receipt of `transition`, the change the signal made.
    pub(super) fn write(&self, transition: &Transition) -> ReceiptWrite {
        ReceiptWrite {
            target: self.target.clone(),
            key: self.key.cloned(),
            receipt: Receipt {
                body_hash: self.body,
                trade_id: transition.trade.id,
                event_id: transition.event.id,
                at: transition.event.at,
            },
            after: self.after,
        }
    }
}

/// What applying a signal with its receipt came to.
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per signal and matched at once, as `Outcome` is; boxing would only add an allocation"
)]
pub(super) enum Applied {
    /// The signal's outcome.
    Outcome(SignalOutcome),
    /// Another receipt won the race for the signal's target or key: judge the request again.
    ReceiptRaced,
}

/// What a signal acts on, for its receipt: its reference, or without one its symbol; `None` for an update or exit
/// that names neither (the domain refuses it).
fn target_of(signal: &Signal) -> Option<SignalTarget> {
    let (reference, symbol) = match signal {
        Signal::Entry(new) => (new.external_reference.as_ref(), Some(&new.symbol)),
        Signal::Update { locator, .. } | Signal::Exit { locator, .. } => {
            (locator.external_reference.as_ref(), locator.symbol.as_ref())
        }
    };
    match (reference, symbol) {
        (Some(reference), _) => Some(SignalTarget::Reference(reference.clone())),
        (None, Some(symbol)) => Some(SignalTarget::Symbol(symbol.clone())),
        (None, None) => None,
    }
}

impl JournalService {
    /// Whether the receipts `draft` was judged on moved on: the target's latest receipt is another, or a receipt
    /// that counts now holds its key.
    pub(super) async fn receipt_moved(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        draft: ReceiptDraft<'_>,
    ) -> Result<bool, JournalError> {
        let trades = &self.ports.stores.trades;
        let receipts = trades.signal_receipts(&principal.user_id, strategy, draft.target, draft.key).await?;
        let now = self.ports.clock.now();
        let key_taken = receipts.keyed.is_some_and(|keyed| keyed.counts_at(now, true));
        Ok(receipts.latest.map(|r| r.event_id) != draft.after || key_taken)
    }

    /// The webhook path's shortcut: an entry is most often new (an alert fires once), so it is written at once as
    /// if judged on no receipts, in one store call. The store refuses the write if its target has a receipt or a
    /// receipt that counts holds its key, exactly as it refuses a write whose receipts moved on; then, and whenever
    /// the shortcut's answer could depend on what the receipts say (a refusal, or an answer that wrote nothing and
    /// so was never checked against them), it gives way (`None`) and the request is judged from its receipts as
    /// any other (a refused entry costs its work twice). Storage failures are answered at once.
    async fn new_entry_at_once(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        signal: &Signal,
        identity: &SignalIdentity,
        target: &SignalTarget,
    ) -> Result<Option<SignalOutcome>, JournalError> {
        if !matches!(signal, Signal::Entry(_)) {
            return Ok(None);
        }
        let draft = ReceiptDraft { target, key: identity.key.as_ref(), body: identity.body, after: None };
        match self.apply(principal, strategy, signal, Some(draft)).await {
            // An answer that wrote nothing was never checked against the receipts by the store.
            Ok(Applied::Outcome(outcome)) if outcome.effect != SignalEffect::Unchanged => Ok(Some(outcome)),
            Ok(Applied::Outcome(_) | Applied::ReceiptRaced) => Ok(None),
            Err(error @ (JournalError::Unavailable(_) | JournalError::Internal(_))) => Err(error),
            Err(_) => Ok(None),
        }
    }

    /// Applies `signal`: answered from its receipt when it repeats one already applied, else decided as a new
    /// signal and stored with its receipt.
    pub(super) async fn signal(
        &self,
        principal: &Principal,
        strategy: StrategyId,
        signal: Signal,
        identity: Option<SignalIdentity>,
    ) -> Result<SignalOutcome, JournalError> {
        let (Some(identity), Some(target)) = (identity, target_of(&signal)) else {
            return match self.apply(principal, strategy, &signal, None).await? {
                Applied::Outcome(outcome) => Ok(outcome),
                Applied::ReceiptRaced => Err(JournalError::Internal("a write without a receipt raced one".to_owned())),
            };
        };
        let (signal, identity, target) = (&signal, &identity, &target);
        if let Some(outcome) = self.new_entry_at_once(principal, strategy, signal, identity, target).await? {
            return Ok(outcome);
        }
        retry(move || async move {
            let trades = &self.ports.stores.trades;
            let receipts = trades.signal_receipts(&principal.user_id, strategy, target, identity.key.as_ref()).await?;
            let now = self.ports.clock.now();
            let repeat = match (&identity.key, receipts.keyed, receipts.latest) {
                (Some(_), Some(keyed), _) => keyed.judge_keyed(identity.body, now),
                (None, _, Some(latest)) => latest.judge_body(identity.body, now),
                _ => Repeat::New,
            };
            match repeat {
                Repeat::KeyReused => {
                    return Err(JournalError::Refused {
                        kind: RefusedKind::IdempotencyKeyReused,
                        message: "this Idempotency-Key was used for another request; send a new key".to_owned(),
                    });
                }
                Repeat::Replay(trade_id) => {
                    // A receipt of a trade deleted since (a manual one) replays nothing: the request is new again.
                    if let Some(trade) = trades.get_trade(&principal.user_id, strategy, trade_id).await? {
                        // A key is shown no trade entered by hand, even one its request repeats.
                        may_change(principal, &trade)?;
                        return Ok(Attempt::Done(SignalOutcome { trade, effect: SignalEffect::Replayed }));
                    }
                }
                Repeat::New => {}
            }
            let after = receipts.latest.map(|latest| latest.event_id);
            let draft = ReceiptDraft { target, key: identity.key.as_ref(), body: identity.body, after };
            Ok(match self.apply(principal, strategy, signal, Some(draft)).await? {
                Applied::Outcome(outcome) => Attempt::Done(outcome),
                Applied::ReceiptRaced => Attempt::Retry,
            })
        })
        .await
    }
}

//! The signals of `POST /strategies/{id}/trades` as the use cases take them: what a signal asks, how it names its
//! trade and itself, what it did, and what the signal log keeps of its answer.

use quantarya_domain::{
    BodyHash, ExternalReference, IdempotencyKey, LevelsChange, LoggedBody, LoggedOutcome, NewTrade, SignalExit,
    SignalId, Symbol, Trade, TradeId,
};

/// How an update or exit signal names its trade.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalLocator {
    /// The sender's reference; picks the trade when given.
    pub external_reference: Option<ExternalReference>,
    /// The symbol; picks the only open trade of it when no reference is given, and must match otherwise.
    pub symbol: Option<Symbol>,
}

/// A signal sent to `POST /strategies/{id}/trades`.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// Open a trade (or record a back-filled one).
    Entry(NewTrade),
    /// Change an open trade's levels or context.
    Update {
        /// Which trade.
        locator: SignalLocator,
        /// What to change.
        levels: LevelsChange,
    },
    /// Close or cancel an open trade.
    Exit {
        /// Which trade.
        locator: SignalLocator,
        /// How it ends.
        exit: SignalExit,
    },
}

/// How a signal request names itself, so that a repeat of it is recognised (the receipt rules are
/// [`quantarya_domain::Receipt`]'s): its `Idempotency-Key`, if it had one, and the hash of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalIdentity {
    /// The request's idempotency key.
    pub key: Option<IdempotencyKey>,
    /// The canonical hash of the request's body.
    pub body: BodyHash,
}

/// What a signal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalEffect {
    /// A new trade was stored.
    Created,
    /// The open trade was updated.
    Updated,
    /// An entry with a size added to the open position (a scale-in).
    Added,
    /// An exit took part of the position off; the trade stays open.
    Reduced,
    /// The update named only values the trade already had; nothing changed.
    Unchanged,
    /// The trade was closed.
    Closed,
    /// The trade was cancelled.
    Cancelled,
    /// The exit repeats one already applied to the latest trade with this reference; nothing changed.
    AlreadyClosed,
    /// The request repeats one already applied (its receipt says so); nothing changed, the trade is as it stands.
    Replayed,
}

/// The trade a signal acted on, and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalOutcome {
    /// The trade as stored now.
    pub trade: Trade,
    /// What happened.
    pub effect: SignalEffect,
}

/// What the HTTP adapter saw of a signal it answered, for the strategy's signal log
/// ([`Journal::record_signal`]); the service stamps it with its arrival, its id and the key that sent it.
///
/// ```
/// use quantarya_domain::{LoggedBody, LoggedOutcome, SignalResult};
/// use quantarya_ports::SignalReport;
/// let typo = SignalReport {
///     event: Some("entry".into()),
///     outcome: LoggedOutcome { status: 422, code: Some("unknown_field".to_owned()), ..LoggedOutcome::default() },
///     body: LoggedBody::new(r#"{"event":"entry","sidee":"buy"}"#),
///     ..SignalReport::default()
/// };
/// assert_eq!(typo.outcome.result(), SignalResult::Refused);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignalReport {
    /// The id the entry takes, if the caller has one for the request that carried the signal (the HTTP adapter
    /// passes its request id, so that an answer's `x-request-id` names its entry); else the service makes one.
    pub id: Option<SignalId>,
    /// The body's `event` as sent, if it had one ([`quantarya_domain::SignalLogEntry::event_of`]).
    pub event: Option<std::borrow::Cow<'static, str>>,
    /// The answer.
    pub outcome: LoggedOutcome,
    /// The trade created or touched, if any.
    pub trade_id: Option<TradeId>,
    /// True when the signal repeated one already applied.
    pub repeat: bool,
    /// The body as received, without the API key.
    pub body: LoggedBody,
}

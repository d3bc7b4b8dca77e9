//! Why the trade lifecycle refuses a command: every rule a command can break, each with the message its sender
//! reads.

use thiserror::Error;

use crate::ValueError;

use super::fields::{ExternalReference, Status, Symbol};

/// Why the lifecycle refused a command. A refused command changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LifecycleError {
    /// The requested status cannot follow the current one (terminal states absorb).
    #[error("a {from} trade cannot become {to}", from = from.as_str(), to = to.as_str())]
    InvalidTransition {
        /// The trade's status.
        from: Status,
        /// The status asked for.
        to: Status,
    },
    /// The command needs an open trade and this one is closed or cancelled.
    #[error("the trade is {}; only an open trade can be changed this way", status.as_str())]
    NotOpen {
        /// The trade's status.
        status: Status,
    },
    /// `closed_at` would be before `opened_at`.
    #[error("closed_at must not be before the trade's opened_at")]
    ClosedBeforeOpened,
    /// A time further in the future than the allowed clock skew.
    #[error("{field} must not be in the future")]
    InFuture {
        /// The field that carried the time.
        field: &'static str,
    },
    /// `close_price` or `closed_at` for a trade that stays open.
    #[error("{field} can be set only when the trade is CLOSED")]
    CloseFieldOnOpenTrade {
        /// The field given.
        field: &'static str,
    },
    /// A close price for a trade that is or becomes cancelled.
    #[error("a cancelled trade has no close price")]
    PriceOnCancelledTrade,
    /// A field that this command needs.
    #[error("{field} is required {why}")]
    Required {
        /// The missing field.
        field: &'static str,
        /// When it is required.
        why: &'static str,
    },
    /// An exit signal that tries to change the entry price.
    #[error("an exit does not change the entry price; send the exit price as close_price")]
    EntryOnExit,
    /// An exit signal that asks for `status: OPEN`.
    #[error("an exit closes or cancels a trade; status must be CLOSED or CANCELLED")]
    ExitToOpen,
    /// A change that names no field.
    #[error("the request names nothing to change")]
    NothingToChange,
    /// The extension objects would exceed their size cap.
    #[error("signal, market, risk, context and meta {0}")]
    Extensions(ValueError),
    /// Deleting a trade that came through an API key.
    #[error("a trade created with an API key can be cancelled but not deleted")]
    NotManual,
    /// The signal names a symbol other than the trade's.
    #[error("the signal's symbol {given} does not match the trade's symbol {expected}")]
    SymbolMismatch {
        /// The trade's symbol.
        expected: Symbol,
        /// The signal's symbol.
        given: Symbol,
    },
    /// An entry on a reference that an open trade already carries (an entry without a reference always makes a
    /// trade; a repeat of the request itself is recognised by its receipt before this rule).
    #[error("an open trade already carries the reference {reference}; exit it first, or send another reference")]
    AlreadyOpen {
        /// The reference.
        reference: ExternalReference,
    },
    /// Several open trades match a signal without a reference.
    #[error("{count} open {symbol} trades match; send external_reference to pick one")]
    AmbiguousTrade {
        /// The symbol.
        symbol: Symbol,
        /// How many open trades carry it.
        count: usize,
    },
    /// An update or exit that names neither a reference nor a symbol.
    #[error("an update or exit needs external_reference or symbol to find its trade")]
    NoLocator,
    /// A size for a trade opened without one: it cannot be added to or partly closed.
    #[error("the trade was opened without a quantity; it can be closed whole, not added to or partly closed")]
    QuantityOnUnsized,
    /// A partial exit of more than is open.
    #[error("quantity must not exceed the {open} still open")]
    QuantityAboveOpen {
        /// What is still open.
        open: rust_decimal::Decimal,
    },
    /// A cancel that names a size or fees: it ends the trade without a fill.
    #[error("a cancel ends the whole trade without a fill; it takes no {field}")]
    FillOnCancel {
        /// `quantity` or `fees`.
        field: &'static str,
    },
    /// A size that would take the trade's total over the bound.
    #[error("the trade's total quantity must stay at most 1e12")]
    SizeTooLarge,
    /// Fees that would take the trade's total over the bound.
    #[error("the trade's total fees must stay at most 1e12")]
    FeesTooLarge,
    /// A fill more than the trade holds.
    #[error("a trade holds at most {max} fills")]
    TooManyFills {
        /// The most fills a trade holds.
        max: usize,
    },
    /// A correction of a price that several fills make up.
    #[error("{field} can be set only on a trade with a single {kind} fill; it is the average of its fills", kind = if *field == "entry" { "entry" } else { "exit" })]
    SeveralFills {
        /// `entry` or `close_price`.
        field: &'static str,
    },
    /// A scale-in whose point value is not the trade's.
    #[error("point_value is fixed when the trade opens; a scale-in must send the same or none")]
    PointValueFixed,
    /// A fill dated before the trade opened.
    #[error("{field} must not be before the trade's opened_at")]
    FillBeforeOpened {
        /// The field that carried the time.
        field: &'static str,
    },
}

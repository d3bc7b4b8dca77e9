//! Quantarya's use cases and the ports they need.
//!
//! - Inbound: [`Journal`], one method per operation of the HTTP API, implemented by [`JournalService`].
//!   It enforces ownership (another user's id is [`JournalError::NotFound`]), the profile requirement and the
//!   API-key scope, and asks the domain for every lifecycle decision.
//! - Outbound: the [`outbound`] traits (stores, token verifier, clock, ids). Stores only keep what the domain
//!   decided, atomically, and settle races (a stale `version`, a second open trade for one reference).
//!
//! With the `mock` feature (for tests only), `mockall` mocks of every trait are generated.
//!
//! Embedding the use cases: anything that holds a [`Journal`] can record a TradingView-style entry.
//!
//! ```
//! use quantarya_domain::{NewTrade, Price, Side, StrategyId, Symbol};
//! use quantarya_ports::{Journal, JournalError, Signal, SignalEffect};
//!
//! /// Records a long entry and tells whether it was new or a retry of one already open.
//! async fn go_long(journal: &dyn Journal, api_key: &str, strategy: StrategyId, price: f64) -> Result<bool, JournalError> {
//!     let principal = journal.authenticate(api_key).await?;
//!     let entry = NewTrade {
//!         entry: Some(Price::new(price).map_err(|e| JournalError::invalid("entry", e))?),
//!         ..NewTrade::open(Symbol::parse("BINANCE:BTCUSDT").expect("a valid symbol"), Side::Buy)
//!     };
//!     let outcome = journal.submit_signal(&principal, strategy, Signal::Entry(entry), None).await?;
//!     Ok(outcome.effect == SignalEffect::Created)
//! }
//! ```

#![warn(missing_docs)]

mod copy;
pub mod delivery;
mod error;
mod journal;
pub mod metrics;
pub mod outbound;
mod paging;

pub use copy::{COPY_PAGE, CopyError, CopyProgress, CopyReport, Unwatched, copy_journal};
pub use error::{Cause, ConflictKind, FieldError, ForbiddenKind, JournalError, RefusedKind, StoreConflict, StoreError};
pub use journal::{
    Credential, EveryStore, ImportFile, IssuedApiKey, Journal, JournalService, KeyAccess, OWNER_CURVE_POINTS,
    Operation, PUBLIC_CURVE_POINTS, Ports, Principal, PublicProfile, PublicStrategy, Saved, Signal, SignalEffect,
    SignalIdentity, SignalLocator, SignalOutcome, SignalReport, StatsQuery, Stores, StrategyDeletion, admit,
};
pub use paging::{
    CURSOR_PATTERN, DeliveryPage, DeliveryQuery, PageLimit, SignalLogPage, SignalLogQuery, TradePage, TradeQuery,
};

#[cfg(any(test, feature = "mock"))]
pub use journal::MockJournal;

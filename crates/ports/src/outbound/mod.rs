//! The traits the use cases need from the outside world, and what their implementations must guarantee.

mod auth;
mod copy;
mod imports;
mod signal_log;
mod stores;
mod system;
mod webhooks;

pub use auth::{TokenError, TokenVerifier, VerifiedToken};
pub use copy::{
    AccountRows, DeliveryRows, ImportLink, JournalCopy, JournalSize, KeptReceipt, ReceiptHold, TradeRows, TrailRows,
    Written,
};
pub use imports::ImportStore;
pub use signal_log::{SignalCursor, SignalLogFilter, SignalLogStore};
pub use stores::{
    AccountDeletion, ApiKeyStore, CloseRange, ClosedRevision, ClosedTradeVisitor, OpenTradeLookup, PoolUse,
    ReceiptWrite, SignalReceipts, StorageHealth, StrategyStore, TradeCursor, TradeFilter, TradeStore, UserStore,
};
pub use system::{Clock, IdSource, RandomIds, SystemClock};
pub use webhooks::{
    AttemptNext, AttemptRecord, ClaimLimits, ClaimedDelivery, DeliveryCursor, EndpointGuard, EndpointRefused,
    OutgoingWebhook, SendResult, TradeRenderer, WebhookSender, WebhookStore,
};

#[cfg(any(test, feature = "mock"))]
pub use auth::MockTokenVerifier;
#[cfg(any(test, feature = "mock"))]
pub use imports::MockImportStore;
#[cfg(any(test, feature = "mock"))]
pub use signal_log::MockSignalLogStore;
#[cfg(any(test, feature = "mock"))]
pub use stores::{MockApiKeyStore, MockStorageHealth, MockStrategyStore, MockTradeStore, MockUserStore};
#[cfg(any(test, feature = "mock"))]
pub use system::{MockClock, MockIdSource};
#[cfg(any(test, feature = "mock"))]
pub use webhooks::{MockEndpointGuard, MockTradeRenderer, MockWebhookSender, MockWebhookStore};

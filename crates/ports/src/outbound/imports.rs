//! The storage port of imports: a file's trades written whole, each at most once per strategy, and removed only
//! with their whole import.

use async_trait::async_trait;
use quantarya_domain::{Import, ImportId, ImportedTrade, StrategyId, UserId};

use crate::StoreError;

/// Imports of files of trades.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Stores `import` with those of `trades` that its strategy does not hold yet, atomically: all of them or
    /// nothing, in one transaction where the backend has them. A trade is held already when the strategy has a
    /// trade of its key, or, for a key naming an exported trade ([`quantarya_domain::ImportKey::exported_trade`]),
    /// that trade itself; those are skipped and counted. Of two racing imports of one file, each trade is made
    /// once. Answers the import as stored, with `created` and `duplicates` counted (whatever `import` said).
    /// MUST fail with `Missing` when the strategy does not exist or is not `import.user_id`'s, and with
    /// `Conflict(OpenTradeExists)` (writing nothing) when a new open trade carries a reference an open trade of the
    /// strategy carries. Moves the strategy's closed revision when it makes a closed or cancelled trade.
    async fn insert_import(&self, import: &Import, trades: &[ImportedTrade]) -> Result<Import, StoreError>;

    /// The imports of `owner`'s strategy, newest first; `None` when `owner` has no such strategy.
    async fn list_imports(&self, owner: &UserId, strategy: StrategyId) -> Result<Option<Vec<Import>>, StoreError>;

    /// Removes import `id` of `owner`'s strategy with every trade it made and their history, atomically, and moves
    /// the strategy's closed revision; how many trades went. `None` when there is no such import.
    async fn delete_import(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: ImportId,
    ) -> Result<Option<u64>, StoreError>;
}

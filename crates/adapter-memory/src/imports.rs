//! Imports in memory: each book keeps its imports with the trades they made, and the trade of every import key,
//! so that an import is written whole under the book's lock (its duplicates found by one probe a trade) and leaves
//! with its trades.

use std::collections::HashSet;

use async_trait::async_trait;
use quantarya_domain::{Import, ImportId, ImportKey, ImportedTrade, Status, StrategyId, TradeId, UserId};
use quantarya_ports::outbound::ImportStore;
use quantarya_ports::{StoreConflict, StoreError};

use crate::book::Book;
use crate::sharded::Sharded;
use crate::stored::Stored;
use crate::{MemoryStore, lock};

/// One book's imports.
#[derive(Debug, Default)]
pub(crate) struct Imports {
    /// Each import, oldest first, with the trades it made and their keys.
    made: Vec<(Import, Vec<(TradeId, ImportKey)>)>,
    /// The trade each import key made.
    keys: Sharded<ImportKey, TradeId>,
}

impl Book {
    /// Whether the book holds the trade `key` stands for: one made under it, or the exported trade it names.
    fn holds(&self, key: &ImportKey) -> bool {
        self.imports.keys.get(key).is_some() || key.exported_trade().is_some_and(|id| self.get(id).is_some())
    }

    /// Writes `import` with those of `trades` the book does not hold yet, all or nothing; the import as stored.
    fn import(&mut self, import: &Import, trades: &[ImportedTrade]) -> Result<Import, StoreError> {
        // Decide everything before anything is written: the new trades (a key twice in one file counts once), and
        // whether an open one takes a reference an open trade carries.
        let mut seen = HashSet::new();
        let new: Vec<&ImportedTrade> =
            trades.iter().filter(|t| !self.holds(&t.key) && seen.insert(t.key.clone())).collect();
        let mut opening = HashSet::new();
        for imported in &new {
            let trade = &imported.trade;
            if let Some(reference) = trade.external_reference.as_ref().filter(|_| trade.status == Status::Open)
                && (self.reference_is_open(reference) || !opening.insert(reference))
            {
                return Err(StoreError::Conflict(StoreConflict::OpenTradeExists));
            }
        }
        let mut made = Vec::with_capacity(new.len());
        for imported in &new {
            self.insert(Box::new(Stored::new(imported.trade.clone(), &imported.event)), None)?;
            self.imports.keys.insert(imported.key.clone(), imported.trade.id);
            made.push((imported.trade.id, imported.key.clone()));
        }
        let stored =
            Import { created: made.len() as u64, duplicates: (trades.len() - made.len()) as u64, ..import.clone() };
        self.imports.made.push((stored.clone(), made));
        Ok(stored)
    }

    /// Removes import `id` and its trades; how many trades went.
    fn remove_import(&mut self, id: ImportId) -> Option<u64> {
        let at = self.imports.made.iter().position(|(import, _)| import.id == id)?;
        let (_, made) = self.imports.made.remove(at);
        let mut deleted = 0;
        for (trade, key) in made {
            self.imports.keys.remove(&key);
            deleted += u64::from(self.delete(trade));
        }
        Some(deleted)
    }
}

#[async_trait]
impl ImportStore for MemoryStore {
    async fn insert_import(&self, import: &Import, trades: &[ImportedTrade]) -> Result<Import, StoreError> {
        self.changing(&import.user_id, import.strategy_id, |book| book.import(import, trades))
    }

    async fn list_imports(&self, owner: &UserId, strategy: StrategyId) -> Result<Option<Vec<Import>>, StoreError> {
        Ok(self.reading(owner, strategy, |book| {
            book.imports.made.iter().rev().map(|(import, _)| import.clone()).collect()
        }))
    }

    async fn delete_import(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        id: ImportId,
    ) -> Result<Option<u64>, StoreError> {
        let Some(book) = self.book(owner, strategy) else {
            return Ok(None);
        };
        let mut book = lock(&book);
        if book.live().is_err() {
            return Ok(None);
        }
        Ok(book.remove_import(id))
    }
}

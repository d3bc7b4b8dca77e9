//! The directory: users, strategies and API keys, with the indexes by owner that lists and limits read, and each
//! strategy's book and signal log. One read-write lock holds it, for a map access or two at a time.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use quantarya_domain::{ApiKey, ApiKeyHash, ApiKeyId, Strategy, StrategyId, User, UserId};

use crate::book::Book;
use crate::signal_log::LogSlot;

/// A map keyed by what the service makes (an id, or a key's SHA-256), hashed by `foldhash`, seeded per map: a
/// sender cannot choose such keys, so they need no SipHash (which every signal paid five times over the directory).
/// Maps keyed by a user's text (a user id, a profile name) keep SipHash.
type ServiceKeyed<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Users, strategies and keys, with the indexes by owner that their lists and limits read.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    pub(crate) users: HashMap<UserId, User>,
    pub(crate) user_names: HashMap<String, UserId>,
    pub(crate) strategies: ServiceKeyed<StrategyId, Strategy>,
    pub(crate) strategies_of: HashMap<UserId, BTreeSet<StrategyId>>,
    pub(crate) books: ServiceKeyed<StrategyId, Arc<Mutex<Book>>>,
    /// Each strategy's signal log, under a lock of its own: a signal's entry never waits for its book's writes.
    pub(crate) signal_logs: ServiceKeyed<StrategyId, LogSlot>,
    pub(crate) api_keys: ServiceKeyed<ApiKeyId, ApiKey>,
    pub(crate) key_hashes: ServiceKeyed<ApiKeyHash, ApiKeyId>,
    pub(crate) keys_of: HashMap<UserId, BTreeSet<ApiKeyId>>,
}

impl Directory {
    /// Removes strategy `id` and hands back its book, to be marked deleted once the directory's lock is released.
    pub(crate) fn remove_strategy(&mut self, id: StrategyId) -> Option<Arc<Mutex<Book>>> {
        let strategy = self.strategies.remove(&id)?;
        if let Some(ids) = self.strategies_of.get_mut(&strategy.user_id) {
            ids.remove(&id);
            if ids.is_empty() {
                self.strategies_of.remove(&strategy.user_id);
            }
        }
        self.signal_logs.remove(&id);
        self.books.remove(&id)
    }

    pub(crate) fn remove_key(&mut self, id: ApiKeyId) {
        if let Some(key) = self.api_keys.remove(&id) {
            self.key_hashes.remove(&key.hash);
            if let Some(ids) = self.keys_of.get_mut(&key.user_id) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.keys_of.remove(&key.user_id);
                }
            }
        }
    }
}

//! API keys in memory: in the directory, found by hash, listed and limited per owner, revoked at once.

use async_trait::async_trait;
use quantarya_domain::{ApiKey, ApiKeyHash, ApiKeyId, Timestamp, UserId};
use quantarya_ports::outbound::ApiKeyStore;
use quantarya_ports::{StoreConflict, StoreError};

use crate::{MemoryStore, conflict};

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut directory = self.write();
        if !directory.users.contains_key(&key.user_id) {
            return Err(StoreError::Missing);
        }
        if directory.api_keys.contains_key(&key.id) || directory.key_hashes.contains_key(&key.hash) {
            return Err(conflict(StoreConflict::AlreadyExists));
        }
        // Expired keys are not live: they stay listed until revoked, but do not count.
        let keys = directory.keys_of.get(&key.user_id).into_iter().flatten();
        let live = keys.filter_map(|id| directory.api_keys.get(id)).filter(|k| !k.grant.is_expired(key.created_at));
        if live.count() >= ApiKey::LIMIT_PER_USER {
            return Err(conflict(StoreConflict::ApiKeyLimit));
        }
        directory.key_hashes.insert(key.hash, key.id);
        directory.keys_of.entry(key.user_id.clone()).or_default().insert(key.id);
        directory.api_keys.insert(key.id, key.clone());
        Ok(())
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, StoreError> {
        let directory = self.read();
        Ok(directory.key_hashes.get(hash).and_then(|id| directory.api_keys.get(id)).cloned())
    }

    async fn list_api_keys(&self, owner: &UserId) -> Result<Vec<ApiKey>, StoreError> {
        let directory = self.read();
        let ids = directory.keys_of.get(owner).into_iter().flatten();
        Ok(ids.filter_map(|id| directory.api_keys.get(id)).cloned().collect())
    }

    async fn revoke_api_key(&self, owner: &UserId, id: ApiKeyId) -> Result<bool, StoreError> {
        let mut directory = self.write();
        if directory.api_keys.get(&id).is_none_or(|k| &k.user_id != owner) {
            return Ok(false);
        }
        directory.remove_key(id);
        Ok(true)
    }

    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        if let Some(key) = self.write().api_keys.get_mut(&id) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }
}

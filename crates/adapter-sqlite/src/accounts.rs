//! Profiles, strategies, API keys and readiness. A write that must decide and write at once (a creation under a
//! per-user limit, a deletion that counts what goes with it) is one immediate transaction (`account_writes.rs`).

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use quantarya_domain::{ApiKey, ApiKeyHash, ApiKeyId, Strategy, StrategyId, Timestamp, User, UserId, UserName};
use quantarya_ports::outbound::{
    AccountDeletion, ApiKeyStore, ClosedRevision, PoolUse, StorageHealth, StrategyStore, UserStore,
};
use quantarya_ports::{StoreConflict, StoreError};

use crate::error::query;
use crate::rows::{ApiKeyRow, StrategyRow, UserRow, id_text, micros};
use crate::schema::{api_keys, strategies, users};
use crate::{SqliteStore, account_writes};

diesel::define_sql_function! {
    /// SQL `lower(text)`, matching the case-insensitive unique index on user names.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[async_trait]
impl UserStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let mut conn = self.read().await;
        let row = users::table
            .find(id.as_str())
            .select(UserRow::as_select())
            .first(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(User::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn get_user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        let mut conn = self.read().await;
        let row = users::table
            .filter(lower(users::user_name).eq(name.as_str().to_lowercase()))
            .select(UserRow::as_select())
            .first(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(User::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from(user);
        // A second write of one profile is `AlreadyExists` whatever its name: SQLite would name the first index
        // that failed, which may be the name's.
        let inserted = self.write(move |connection| account_writes::insert_user(connection, &row)).await?;
        if inserted == 0 {
            return Err(StoreError::Conflict(StoreConflict::AlreadyExists));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_user(&self, user: &User, read_at: Timestamp) -> Result<(), StoreError> {
        let (row, read_at) = (UserRow::from(user), micros(read_at));
        self.write(move |connection| account_writes::update_user(connection, &row, read_at)).await?
    }

    #[tracing::instrument(skip_all)]
    async fn delete_account(&self, id: &UserId) -> Result<Option<AccountDeletion>, StoreError> {
        let id = id.as_str().to_owned();
        self.write(move |connection| account_writes::delete_account(connection, &id)).await
    }
}

#[async_trait]
impl StrategyStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn insert_strategy(&self, strategy: &Strategy) -> Result<(), StoreError> {
        let row = StrategyRow::from(strategy);
        self.write(move |connection| account_writes::insert_strategy(connection, &row)).await?
    }

    #[tracing::instrument(skip_all)]
    async fn get_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<Strategy>, StoreError> {
        let mut conn = self.read().await;
        let row = strategies::table
            .find(id_text(id.as_uuid()))
            .filter(strategies::user_id.eq(owner.as_str()))
            .select(StrategyRow::as_select())
            .first(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(Strategy::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_strategies(&self, owner: &UserId) -> Result<Vec<Strategy>, StoreError> {
        let mut conn = self.read().await;
        let rows = strategies::table
            .filter(strategies::user_id.eq(owner.as_str()))
            .order(strategies::id.desc())
            .select(StrategyRow::as_select())
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(Strategy::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn public_strategies(&self, owner: &UserId) -> Result<Vec<(Strategy, ClosedRevision)>, StoreError> {
        let mut conn = self.read().await;
        let rows: Vec<(StrategyRow, i64)> = strategies::table
            .filter(strategies::user_id.eq(owner.as_str()))
            .filter(strategies::is_public.eq(true))
            .order(strategies::id.desc())
            .select((StrategyRow::as_select(), strategies::closed_revision))
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(|(row, revision)| Ok((Strategy::try_from(row)?, revision.unsigned_abs()))).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn update_strategy(&self, strategy: &Strategy, read_at: Timestamp) -> Result<(), StoreError> {
        let (row, read_at) = (StrategyRow::from(strategy), micros(read_at));
        self.write(move |connection| account_writes::update_strategy(connection, &row, read_at)).await?
    }

    #[tracing::instrument(skip_all)]
    async fn delete_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<u64>, StoreError> {
        let (owner, id) = (owner.as_str().to_owned(), id_text(id.as_uuid()));
        self.write(move |connection| account_writes::delete_strategy(connection, &owner, &id)).await
    }
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let row = ApiKeyRow::from(key);
        self.write(move |connection| account_writes::insert_api_key(connection, &row)).await?
    }

    #[tracing::instrument(skip_all)]
    async fn find_api_key(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, StoreError> {
        let mut conn = self.read().await;
        let row = api_keys::table
            .filter(api_keys::hash.eq(hash.as_bytes().as_slice()))
            .select(ApiKeyRow::as_select())
            .first(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(ApiKey::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_api_keys(&self, owner: &UserId) -> Result<Vec<ApiKey>, StoreError> {
        let mut conn = self.read().await;
        let rows = api_keys::table
            .filter(api_keys::user_id.eq(owner.as_str()))
            .order(api_keys::id.asc())
            .select(ApiKeyRow::as_select())
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(ApiKey::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_api_key(&self, owner: &UserId, id: ApiKeyId) -> Result<bool, StoreError> {
        let (owner, id) = (owner.as_str().to_owned(), id_text(id.as_uuid()));
        self.write(move |connection| account_writes::revoke_api_key(connection, &owner, &id)).await
    }

    /// Never moves a key's last use back in time.
    #[tracing::instrument(skip_all)]
    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        let (id, at) = (id_text(id.as_uuid()), micros(at));
        self.write(move |connection| account_writes::touch_api_key(connection, &id, at)).await
    }
}

#[async_trait]
impl StorageHealth for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.read().await;
        diesel::sql_query("SELECT 1").execute(&mut *conn).await.map_err(query)?;
        Ok(())
    }

    /// The reading connections held now, and the writer: busy while a write runs, the writes behind it waiting.
    fn pool_use(&self) -> Option<PoolUse> {
        let readers = self.readers.iter().filter(|reader| reader.try_lock().is_err()).count();
        let writes = self.writer.queued();
        Some(PoolUse {
            max: self.readers.len() + 1,
            in_use: readers + writes.min(1),
            waiting: writes.saturating_sub(1),
        })
    }
}

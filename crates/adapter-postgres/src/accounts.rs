//! Profiles, strategies, API keys and readiness. Multi-row changes lock their parent rows first, so that a
//! concurrent insert either lands before the change (and is counted) or fails after it.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use quantarya_domain::{ApiKey, ApiKeyHash, ApiKeyId, Strategy, StrategyId, Timestamp, User, UserId, UserName};
use quantarya_ports::outbound::{
    AccountDeletion, ApiKeyStore, ClosedRevision, PoolUse, StorageHealth, StrategyStore, UserStore,
};
use quantarya_ports::{StoreConflict, StoreError};

use crate::PgStore;
use crate::error::query;
use crate::rows::{ApiKeyRow, StrategyRow, UserRow};
use crate::schema::{api_keys, strategies, trades, users};

diesel::define_sql_function! {
    /// SQL `lower(text)`, matching the case-insensitive unique index on user names.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// What a compare-and-swap update that touched no row means: the row changed since it was read, or it is gone.
fn stale_or_missing(exists: bool) -> StoreError {
    if exists { StoreError::Conflict(StoreConflict::StaleVersion) } else { StoreError::Missing }
}

#[async_trait]
impl UserStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn().await?;
        let row = users::table
            .find(id.as_str())
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(User::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn get_user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn().await?;
        let row = users::table
            .filter(lower(users::user_name).eq(name.as_str()))
            .select(UserRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(User::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(users::table).values(UserRow::from(user)).execute(&mut conn).await.map_err(query)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_user(&self, user: &User, read_at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let id = user.id.as_str();
        let updated = diesel::update(users::table.find(id).filter(users::updated_at.eq(read_at.as_datetime())))
            .set(UserRow::from(user))
            .execute(&mut conn)
            .await
            .map_err(query)?;
        if updated == 1 {
            return Ok(());
        }
        let exists = diesel::select(diesel::dsl::exists(users::table.find(id)))
            .get_result::<bool>(&mut conn)
            .await
            .map_err(query)?;
        Err(stale_or_missing(exists))
    }

    #[tracing::instrument(skip_all)]
    async fn delete_account(&self, id: &UserId) -> Result<Option<AccountDeletion>, StoreError> {
        let mut conn = self.conn().await?;
        let id = id.as_str().to_owned();
        let deleted = conn
            .transaction::<_, diesel::result::Error, _>(async move |conn| {
                // Lock the profile and its strategies: inserts under them wait for this transaction (and then fail),
                // and inserts already under way finish first and are counted below.
                let user =
                    users::table.find(&id).select(users::id).for_update().first::<String>(conn).await.optional()?;
                if user.is_none() {
                    return Ok(None);
                }
                let owned = strategies::table
                    .filter(strategies::user_id.eq(&id))
                    .select(strategies::id)
                    .for_update()
                    .load::<uuid::Uuid>(conn)
                    .await?;
                // By strategy, so the delete uses the trades' (strategy_id, …) index.
                let trades =
                    diesel::delete(trades::table.filter(trades::strategy_id.eq_any(&owned))).execute(conn).await?;
                let api_keys = diesel::delete(api_keys::table.filter(api_keys::user_id.eq(&id))).execute(conn).await?;
                let strategies =
                    diesel::delete(strategies::table.filter(strategies::user_id.eq(&id))).execute(conn).await?;
                diesel::delete(users::table.find(&id)).execute(conn).await?;
                Ok(Some(AccountDeletion {
                    strategies: count(strategies),
                    trades: count(trades),
                    api_keys: count(api_keys),
                }))
            })
            .await
            .map_err(query);
        // The account's keys are gone: this instance forgets them before it answers (others hear of each).
        self.keys.forget_all();
        deleted
    }
}

/// Locks the row of user `id` against other creations under the user's limits (strategies, keys), in the caller's
/// transaction; whether the user exists. A no-key-update lock: the rows that reference the user (which key-share
/// lock it) are not held up.
pub(crate) async fn lock_user(conn: &mut diesel_async::AsyncPgConnection, id: &str) -> QueryResult<bool> {
    let user = users::table.find(id).select(users::id).for_no_key_update().first::<String>(conn).await.optional()?;
    Ok(user.is_some())
}

#[async_trait]
impl StrategyStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn insert_strategy(&self, strategy: &Strategy) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let row = StrategyRow::from(strategy);
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            // Serialise strategy creation per user, so the count below cannot be raced past the limit.
            if !lock_user(conn, &row.user_id).await? {
                return Ok(Err(StoreError::Missing));
            }
            let owned: i64 =
                strategies::table.filter(strategies::user_id.eq(&row.user_id)).count().get_result(conn).await?;
            if owned >= i64::try_from(Strategy::LIMIT_PER_USER).unwrap_or(i64::MAX) {
                return Ok(Err(StoreError::Conflict(StoreConflict::StrategyLimit)));
            }
            diesel::insert_into(strategies::table).values(&row).execute(conn).await?;
            Ok(Ok(()))
        })
        .await
        .map_err(query)?
    }

    #[tracing::instrument(skip_all)]
    async fn public_strategies(&self, owner: &UserId) -> Result<Vec<(Strategy, ClosedRevision)>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(StrategyRow, i64)> = strategies::table
            .filter(strategies::user_id.eq(owner.as_str()))
            .filter(strategies::is_public.eq(true))
            .order(strategies::id.desc())
            .select((StrategyRow::as_select(), strategies::closed_revision))
            .load(&mut conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(|(row, revision)| Ok((Strategy::try_from(row)?, revision.unsigned_abs()))).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn get_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<Strategy>, StoreError> {
        let mut conn = self.conn().await?;
        let row = strategies::table
            .find(id.as_uuid())
            .filter(strategies::user_id.eq(owner.as_str()))
            .select(StrategyRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(Strategy::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list_strategies(&self, owner: &UserId) -> Result<Vec<Strategy>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = strategies::table
            .filter(strategies::user_id.eq(owner.as_str()))
            .order(strategies::id.desc())
            .select(StrategyRow::as_select())
            .load(&mut conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(Strategy::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn update_strategy(&self, strategy: &Strategy, read_at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let owned =
            strategies::table.find(strategy.id.as_uuid()).filter(strategies::user_id.eq(strategy.user_id.as_str()));
        let updated = diesel::update(owned.filter(strategies::updated_at.eq(read_at.as_datetime())))
            .set(StrategyRow::from(strategy))
            .execute(&mut conn)
            .await
            .map_err(query)?;
        if updated == 1 {
            return Ok(());
        }
        let exists = diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(&mut conn).await.map_err(query)?;
        Err(stale_or_missing(exists))
    }

    #[tracing::instrument(skip_all)]
    async fn delete_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<u64>, StoreError> {
        let mut conn = self.conn().await?;
        let (owner, id) = (owner.as_str().to_owned(), id.as_uuid());
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            // The lock waits for trade inserts under way (their foreign key holds a share lock) and makes later
            // ones wait and fail; the count below then sees every trade the cascade would remove.
            let found = strategies::table
                .find(id)
                .filter(strategies::user_id.eq(&owner))
                .select(strategies::id)
                .for_update()
                .first::<uuid::Uuid>(conn)
                .await
                .optional()?;
            if found.is_none() {
                return Ok(None);
            }
            let trades = diesel::delete(trades::table.filter(trades::strategy_id.eq(id))).execute(conn).await?;
            diesel::delete(strategies::table.find(id)).execute(conn).await?;
            Ok(Some(count(trades)))
        })
        .await
        .map_err(query)
    }
}

#[async_trait]
impl ApiKeyStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let row = ApiKeyRow::from(key);
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            // Serialise key creation per user, so the count below cannot be raced past the limit.
            if !lock_user(conn, &row.user_id).await? {
                return Ok(Err(StoreError::Missing));
            }
            // A key that already exists is a duplicate, not one key too many.
            let duplicate = api_keys::table.filter(api_keys::id.eq(row.id).or(api_keys::hash.eq(&row.hash)));
            if diesel::select(diesel::dsl::exists(duplicate)).get_result::<bool>(conn).await? {
                return Ok(Err(StoreError::Conflict(StoreConflict::AlreadyExists)));
            }
            // Expired keys are not live: they stay listed until revoked, but do not count.
            let live: i64 = api_keys::table
                .filter(api_keys::user_id.eq(&row.user_id))
                .filter(api_keys::expires_at.is_null().or(api_keys::expires_at.gt(row.created_at)))
                .count()
                .get_result(conn)
                .await?;
            if live >= i64::try_from(ApiKey::LIMIT_PER_USER).unwrap_or(i64::MAX) {
                return Ok(Err(StoreError::Conflict(StoreConflict::ApiKeyLimit)));
            }
            diesel::insert_into(api_keys::table).values(&row).execute(conn).await?;
            Ok(Ok(()))
        })
        .await
        .map_err(query)?
    }

    #[tracing::instrument(skip_all)]
    async fn find_api_key(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, StoreError> {
        if let Some(key) = self.keys.get(hash) {
            return Ok(Some(key));
        }
        let ticket = self.keys.ticket();
        let mut conn = self.conn().await?;
        let row = api_keys::table
            .filter(api_keys::hash.eq(hash.as_bytes().as_slice()))
            .select(ApiKeyRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(query)?;
        let mut key = row.map(ApiKey::try_from).transpose()?;
        if let (Some(key), Some(ticket)) = (&key, ticket) {
            self.keys.admit(ticket, key);
        }
        if let Some(key) = &mut key {
            self.keys.add_use(key);
        }
        Ok(key)
    }

    #[tracing::instrument(skip_all)]
    async fn list_api_keys(&self, owner: &UserId) -> Result<Vec<ApiKey>, StoreError> {
        let mut conn = self.conn().await?;
        let rows = api_keys::table
            .filter(api_keys::user_id.eq(owner.as_str()))
            .order(api_keys::id.asc())
            .select(ApiKeyRow::as_select())
            .load(&mut conn)
            .await
            .map_err(query)?;
        let mut keys = rows.into_iter().map(ApiKey::try_from).collect::<Result<Vec<_>, _>>()?;
        for key in &mut keys {
            self.keys.add_use(key);
        }
        Ok(keys)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_api_key(&self, owner: &UserId, id: ApiKeyId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let deleted = diesel::delete(api_keys::table.find(id.as_uuid()).filter(api_keys::user_id.eq(owner.as_str())))
            .execute(&mut conn)
            .await
            .map_err(query)?;
        // Other instances hear of it from the trigger; this one forgets the key before it answers.
        self.keys.forget(id);
        Ok(deleted > 0)
    }

    /// The use counts on this instance at once (its reads of the key say so); the row is written by a task of its
    /// own, off the request's path, and never moves back in time. A write that fails is logged: the next use a
    /// minute later writes again.
    #[tracing::instrument(skip_all)]
    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        self.keys.touched(id, at);
        let store = self.clone();
        self.runtime.spawn(async move {
            let written = async {
                let mut conn = store.conn().await?;
                diesel::sql_query("UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1")
                    .bind::<diesel::sql_types::Uuid, _>(id.as_uuid())
                    .bind::<diesel::sql_types::Timestamptz, _>(at.as_datetime())
                    .execute(&mut conn)
                    .await
                    .map_err(query)
            };
            if let Err(error) = written.await {
                tracing::warn!(key_id = %id, %error, "could not record an API key's last use");
            }
        });
        Ok(())
    }
}

#[async_trait]
impl StorageHealth for PgStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(query)?;
        Ok(())
    }

    fn pool_use(&self) -> Option<PoolUse> {
        let status = self.pool.status();
        Some(PoolUse {
            max: status.max_size,
            in_use: status.size.saturating_sub(status.available),
            waiting: status.waiting,
        })
    }
}

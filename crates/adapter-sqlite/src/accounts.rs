//! Profiles, strategies, API keys and readiness. A creation under a per-user limit counts and inserts in one
//! transaction: the store's one connection runs one at a time, so no other write lands between the count and the
//! insert.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use quantarya_domain::{ApiKey, ApiKeyHash, ApiKeyId, Strategy, StrategyId, Timestamp, User, UserId, UserName};
use quantarya_ports::outbound::{
    AccountDeletion, ApiKeyStore, ClosedRevision, StorageHealth, StrategyStore, UserStore,
};
use quantarya_ports::{StoreConflict, StoreError};

use crate::SqliteStore;
use crate::error::query;
use crate::rows::{ApiKeyRow, StrategyRow, UserRow, id_text, micros};
use crate::schema::{api_keys, strategies, users};

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

/// How many `T`s a user may have, as a count SQLite compares.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn().await;
        let row = users::table
            .find(id.as_str())
            .select(UserRow::as_select())
            .first(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(User::try_from).transpose()
    }

    async fn get_user_by_name(&self, name: &UserName) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn().await;
        let row = users::table
            .filter(lower(users::user_name).eq(name.as_str().to_lowercase()))
            .select(UserRow::as_select())
            .first(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(User::try_from).transpose()
    }

    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let mut conn = self.conn().await;
        // A second write of one profile is `AlreadyExists` whatever its name: SQLite would name the first index
        // that failed, which may be the name's.
        let inserted = diesel::insert_into(users::table)
            .values(UserRow::from(user))
            .on_conflict(users::id)
            .do_nothing()
            .execute(&mut *conn)
            .await
            .map_err(query)?;
        if inserted == 0 {
            return Err(StoreError::Conflict(StoreConflict::AlreadyExists));
        }
        Ok(())
    }

    async fn update_user(&self, user: &User, read_at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.conn().await;
        let id = user.id.as_str();
        let updated = diesel::update(users::table.find(id).filter(users::updated_at.eq(micros(read_at))))
            .set(UserRow::from(user))
            .execute(&mut *conn)
            .await
            .map_err(query)?;
        if updated == 1 {
            return Ok(());
        }
        let exists = diesel::select(diesel::dsl::exists(users::table.find(id)))
            .get_result::<bool>(&mut *conn)
            .await
            .map_err(query)?;
        Err(stale_or_missing(exists))
    }

    async fn delete_account(&self, id: &UserId) -> Result<Option<AccountDeletion>, StoreError> {
        let mut conn = self.conn().await;
        let id = id.as_str().to_owned();
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            let found = users::table.find(&id).select(users::id).first::<String>(conn).await.optional()?;
            if found.is_none() {
                return Ok(None);
            }
            let api_keys = diesel::delete(api_keys::table.filter(api_keys::user_id.eq(&id))).execute(conn).await?;
            let strategies =
                diesel::delete(strategies::table.filter(strategies::user_id.eq(&id))).execute(conn).await?;
            diesel::delete(users::table.find(&id)).execute(conn).await?;
            // This store keeps no trades yet (they come with the next part of issue 17).
            Ok(Some(AccountDeletion { strategies: count(strategies), trades: 0, api_keys: count(api_keys) }))
        })
        .await
        .map_err(query)
    }
}

#[async_trait]
impl StrategyStore for SqliteStore {
    async fn insert_strategy(&self, strategy: &Strategy) -> Result<(), StoreError> {
        let mut conn = self.conn().await;
        let row = StrategyRow::from(strategy);
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            let user = users::table.find(&row.user_id).select(users::id).first::<String>(conn).await.optional()?;
            if user.is_none() {
                return Ok(Err(StoreError::Missing));
            }
            let owned: i64 =
                strategies::table.filter(strategies::user_id.eq(&row.user_id)).count().get_result(conn).await?;
            if owned >= limit(Strategy::LIMIT_PER_USER) {
                return Ok(Err(StoreError::Conflict(StoreConflict::StrategyLimit)));
            }
            diesel::insert_into(strategies::table).values(&row).execute(conn).await?;
            Ok(Ok(()))
        })
        .await
        .map_err(query)?
    }

    async fn get_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<Strategy>, StoreError> {
        let mut conn = self.conn().await;
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

    async fn list_strategies(&self, owner: &UserId) -> Result<Vec<Strategy>, StoreError> {
        let mut conn = self.conn().await;
        let rows = strategies::table
            .filter(strategies::user_id.eq(owner.as_str()))
            .order(strategies::id.desc())
            .select(StrategyRow::as_select())
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(Strategy::try_from).collect()
    }

    async fn public_strategies(&self, owner: &UserId) -> Result<Vec<(Strategy, ClosedRevision)>, StoreError> {
        let mut conn = self.conn().await;
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

    async fn update_strategy(&self, strategy: &Strategy, read_at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.conn().await;
        let owned = || {
            strategies::table
                .find(id_text(strategy.id.as_uuid()))
                .filter(strategies::user_id.eq(strategy.user_id.as_str()))
        };
        let updated = diesel::update(owned().filter(strategies::updated_at.eq(micros(read_at))))
            .set(StrategyRow::from(strategy))
            .execute(&mut *conn)
            .await
            .map_err(query)?;
        if updated == 1 {
            return Ok(());
        }
        let exists =
            diesel::select(diesel::dsl::exists(owned())).get_result::<bool>(&mut *conn).await.map_err(query)?;
        Err(stale_or_missing(exists))
    }

    async fn delete_strategy(&self, owner: &UserId, id: StrategyId) -> Result<Option<u64>, StoreError> {
        let mut conn = self.conn().await;
        let deleted = diesel::delete(
            strategies::table.find(id_text(id.as_uuid())).filter(strategies::user_id.eq(owner.as_str())),
        )
        .execute(&mut *conn)
        .await
        .map_err(query)?;
        // No trades are kept here yet: a strategy that was removed took none with it.
        Ok((deleted > 0).then_some(0))
    }
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn insert_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let mut conn = self.conn().await;
        let row = ApiKeyRow::from(key);
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            let user = users::table.find(&row.user_id).select(users::id).first::<String>(conn).await.optional()?;
            if user.is_none() {
                return Ok(Err(StoreError::Missing));
            }
            // A key that already exists is a duplicate, not one key too many.
            let duplicate = api_keys::table.filter(api_keys::id.eq(&row.id).or(api_keys::hash.eq(&row.hash)));
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
            if live >= limit(ApiKey::LIMIT_PER_USER) {
                return Ok(Err(StoreError::Conflict(StoreConflict::ApiKeyLimit)));
            }
            diesel::insert_into(api_keys::table).values(&row).execute(conn).await?;
            Ok(Ok(()))
        })
        .await
        .map_err(query)?
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, StoreError> {
        let mut conn = self.conn().await;
        let row = api_keys::table
            .filter(api_keys::hash.eq(hash.as_bytes().as_slice()))
            .select(ApiKeyRow::as_select())
            .first(&mut *conn)
            .await
            .optional()
            .map_err(query)?;
        row.map(ApiKey::try_from).transpose()
    }

    async fn list_api_keys(&self, owner: &UserId) -> Result<Vec<ApiKey>, StoreError> {
        let mut conn = self.conn().await;
        let rows = api_keys::table
            .filter(api_keys::user_id.eq(owner.as_str()))
            .order(api_keys::id.asc())
            .select(ApiKeyRow::as_select())
            .load(&mut *conn)
            .await
            .map_err(query)?;
        rows.into_iter().map(ApiKey::try_from).collect()
    }

    async fn revoke_api_key(&self, owner: &UserId, id: ApiKeyId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await;
        let deleted =
            diesel::delete(api_keys::table.find(id_text(id.as_uuid())).filter(api_keys::user_id.eq(owner.as_str())))
                .execute(&mut *conn)
                .await
                .map_err(query)?;
        Ok(deleted > 0)
    }

    /// Never moves a key's last use back in time.
    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.conn().await;
        let at = micros(at);
        diesel::update(
            api_keys::table
                .find(id_text(id.as_uuid()))
                .filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(at))),
        )
        .set(api_keys::last_used_at.eq(at))
        .execute(&mut *conn)
        .await
        .map_err(query)?;
        Ok(())
    }
}

#[async_trait]
impl StorageHealth for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await;
        diesel::sql_query("SELECT 1").execute(&mut *conn).await.map_err(query)?;
        Ok(())
    }
}

//! The accounts' writes, run by the store's writer (`writer.rs`). Those that must decide and write at once run in an
//! immediate transaction (the write lock taken first, so no other connection's write lands between what it reads
//! and what it writes).

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use quantarya_domain::{ApiKey, Strategy};
use quantarya_ports::outbound::AccountDeletion;
use quantarya_ports::{StoreConflict, StoreError};

use crate::rows::{ApiKeyRow, StrategyRow, UserRow};
use crate::schema::{api_keys, strategies, trades, users};

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// How many `T`s a user may have, as a count SQLite compares.
pub(crate) fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Whether profile `id` exists.
pub(crate) fn user_exists(connection: &mut SqliteConnection, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.find(id))).get_result(connection)
}

/// Removes profile `id` with its strategies (their trades, history, receipts and logs by cascade) and keys.
pub(crate) fn delete_account(connection: &mut SqliteConnection, id: &str) -> QueryResult<Option<AccountDeletion>> {
    connection.immediate_transaction(|connection| {
        if !user_exists(connection, id)? {
            return Ok(None);
        }
        let trades: i64 = trades::table.filter(trades::user_id.eq(id)).count().get_result(connection)?;
        let api_keys = diesel::delete(api_keys::table.filter(api_keys::user_id.eq(id))).execute(connection)?;
        let strategies = diesel::delete(strategies::table.filter(strategies::user_id.eq(id))).execute(connection)?;
        diesel::delete(users::table.find(id)).execute(connection)?;
        Ok(Some(AccountDeletion {
            strategies: count(strategies),
            trades: u64::try_from(trades).unwrap_or(0),
            api_keys: count(api_keys),
        }))
    })
}

/// Adds a strategy under its owner's limit.
pub(crate) fn insert_strategy(
    connection: &mut SqliteConnection,
    row: &StrategyRow,
) -> QueryResult<Result<(), StoreError>> {
    connection.immediate_transaction(|connection| {
        if !user_exists(connection, &row.user_id)? {
            return Ok(Err(StoreError::Missing));
        }
        let owned: i64 =
            strategies::table.filter(strategies::user_id.eq(&row.user_id)).count().get_result(connection)?;
        if owned >= limit(Strategy::LIMIT_PER_USER) {
            return Ok(Err(StoreError::Conflict(StoreConflict::StrategyLimit)));
        }
        if diesel::select(diesel::dsl::exists(strategies::table.find(&row.id))).get_result(connection)? {
            return Ok(Err(StoreError::Conflict(StoreConflict::AlreadyExists)));
        }
        diesel::insert_into(strategies::table).values(row).execute(connection)?;
        Ok(Ok(()))
    })
}

/// Removes `owner`'s strategy `id` with everything under it; how many trades went with it.
pub(crate) fn delete_strategy(connection: &mut SqliteConnection, owner: &str, id: &str) -> QueryResult<Option<u64>> {
    connection.immediate_transaction(|connection| {
        let owned = strategies::table.find(id).filter(strategies::user_id.eq(owner));
        if !diesel::select(diesel::dsl::exists(owned)).get_result::<bool>(connection)? {
            return Ok(None);
        }
        let trades: i64 = trades::table.filter(trades::strategy_id.eq(id)).count().get_result(connection)?;
        diesel::delete(strategies::table.find(id)).execute(connection)?;
        Ok(Some(u64::try_from(trades).unwrap_or(0)))
    })
}

/// Adds a key under its owner's limit of live keys.
pub(crate) fn insert_api_key(
    connection: &mut SqliteConnection,
    row: &ApiKeyRow,
) -> QueryResult<Result<(), StoreError>> {
    connection.immediate_transaction(|connection| {
        if !user_exists(connection, &row.user_id)? {
            return Ok(Err(StoreError::Missing));
        }
        // A key that already exists is a duplicate, not one key too many.
        let duplicate = api_keys::table.filter(api_keys::id.eq(&row.id).or(api_keys::hash.eq(&row.hash)));
        if diesel::select(diesel::dsl::exists(duplicate)).get_result::<bool>(connection)? {
            return Ok(Err(StoreError::Conflict(StoreConflict::AlreadyExists)));
        }
        // Expired keys are not live: they stay listed until revoked, but do not count.
        let live: i64 = api_keys::table
            .filter(api_keys::user_id.eq(&row.user_id))
            .filter(api_keys::expires_at.is_null().or(api_keys::expires_at.gt(row.created_at)))
            .count()
            .get_result(connection)?;
        if live >= limit(ApiKey::LIMIT_PER_USER) {
            return Ok(Err(StoreError::Conflict(StoreConflict::ApiKeyLimit)));
        }
        diesel::insert_into(api_keys::table).values(row).execute(connection)?;
        Ok(Ok(()))
    })
}

/// What a compare-and-swap update that touched no row means: the row changed since it was read, or it is gone.
fn stale_or_missing(exists: bool) -> StoreError {
    if exists { StoreError::Conflict(StoreConflict::StaleVersion) } else { StoreError::Missing }
}

/// Adds a profile unless its id is taken; how many rows it wrote.
pub(crate) fn insert_user(connection: &mut SqliteConnection, row: &UserRow) -> QueryResult<usize> {
    diesel::insert_into(users::table).values(row).on_conflict(users::id).do_nothing().execute(connection)
}

/// Replaces a profile whose `updated_at` is still `read_at`.
pub(crate) fn update_user(
    connection: &mut SqliteConnection,
    row: &UserRow,
    read_at: i64,
) -> QueryResult<Result<(), StoreError>> {
    let updated = diesel::update(users::table.find(&row.id).filter(users::updated_at.eq(read_at)))
        .set(row)
        .execute(connection)?;
    if updated == 1 {
        return Ok(Ok(()));
    }
    let exists = diesel::select(diesel::dsl::exists(users::table.find(&row.id))).get_result::<bool>(connection)?;
    Ok(Err(stale_or_missing(exists)))
}

/// Replaces its owner's strategy whose `updated_at` is still `read_at`.
pub(crate) fn update_strategy(
    connection: &mut SqliteConnection,
    row: &StrategyRow,
    read_at: i64,
) -> QueryResult<Result<(), StoreError>> {
    let owned = || strategies::table.find(&row.id).filter(strategies::user_id.eq(&row.user_id));
    let updated = diesel::update(owned().filter(strategies::updated_at.eq(read_at))).set(row).execute(connection)?;
    if updated == 1 {
        return Ok(Ok(()));
    }
    let exists = diesel::select(diesel::dsl::exists(owned())).get_result::<bool>(connection)?;
    Ok(Err(stale_or_missing(exists)))
}

/// Removes `owner`'s key `id`; whether it existed.
pub(crate) fn revoke_api_key(connection: &mut SqliteConnection, owner: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(api_keys::table.find(id).filter(api_keys::user_id.eq(owner))).execute(connection)?;
    Ok(deleted > 0)
}

/// Records key `id`'s use at `at`, never moving its last use back in time.
pub(crate) fn touch_api_key(connection: &mut SqliteConnection, id: &str, at: i64) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id).filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(at))))
        .set(api_keys::last_used_at.eq(at))
        .execute(connection)
        .map(drop)
}

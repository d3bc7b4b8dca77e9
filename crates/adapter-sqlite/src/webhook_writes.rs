//! The webhooks' writes that decide and write at once, each an immediate transaction on the store's writer: a
//! subscription under its owner's limit, the outbox of a trade write (inside the trade's own transaction), a claim of
//! due deliveries, an attempt recorded under its claim.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use quantarya_domain::{StrategyId, Webhook, WebhookEvent};
use quantarya_ports::outbound::{AttemptNext, ClaimLimits};
use quantarya_ports::{StoreConflict, StoreError};

use crate::account_writes::{limit, user_exists};
use crate::rows::uuid;
use crate::schema::{webhook_deliveries, webhook_trades, webhooks};
use crate::trade_rows::TradeRow;
use crate::webhook_rows::WebhookRow;

/// Adds a subscription under its owner's limit.
pub(crate) fn insert_webhook(
    connection: &mut SqliteConnection,
    row: &WebhookRow,
) -> QueryResult<Result<(), StoreError>> {
    connection.immediate_transaction(|connection| {
        if !user_exists(connection, &row.user_id)? {
            return Ok(Err(StoreError::Missing));
        }
        if diesel::select(diesel::dsl::exists(webhooks::table.find(&row.id))).get_result::<bool>(connection)? {
            return Ok(Err(StoreError::Conflict(StoreConflict::AlreadyExists)));
        }
        let owned: i64 = webhooks::table.filter(webhooks::user_id.eq(&row.user_id)).count().get_result(connection)?;
        if owned >= limit(Webhook::LIMIT_PER_USER) {
            return Ok(Err(StoreError::Conflict(StoreConflict::WebhookLimit)));
        }
        diesel::insert_into(webhooks::table).values(row).execute(connection)?;
        Ok(Ok(()))
    })
}

/// The outbox, in the trade write's transaction: a pending delivery of the change (event `event_id`, of kind
/// `announces`, made at `at`) to each of the owner's enabled subscriptions that wants it, due at once, and the trade
/// as the change left it, when there is one.
pub(crate) fn announce(
    connection: &mut SqliteConnection,
    trade: &TradeRow,
    event_id: &str,
    announces: WebhookEvent,
    at: i64,
) -> QueryResult<()> {
    let rows: Vec<WebhookRow> = webhooks::table
        .filter(webhooks::user_id.eq(&trade.user_id))
        .filter(webhooks::disabled_at.is_null())
        .select(WebhookRow::as_select())
        .load(connection)?;
    if rows.is_empty() {
        return Ok(());
    }
    let strategy = uuid("trades.strategy_id", &trade.strategy_id).map(StrategyId::from_uuid).ok();
    let wanting: Vec<String> = rows
        .into_iter()
        .filter_map(|row| {
            let id = row.id.clone();
            match Webhook::try_from(row) {
                Ok(hook) => strategy.is_some_and(|s| hook.wants(announces, s)).then_some(id),
                Err(error) => {
                    tracing::error!(webhook_id = %id, %error, "a stored subscription does not read back");
                    None
                }
            }
        })
        .collect();
    if wanting.is_empty() {
        return Ok(());
    }
    let snapshot = serde_json::to_string(trade).map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    diesel::insert_into(webhook_trades::table)
        .values((webhook_trades::event_id.eq(event_id), webhook_trades::trade.eq(snapshot)))
        .execute(connection)?;
    for hook in wanting {
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::webhook_id.eq(hook),
                webhook_deliveries::event_id.eq(event_id),
                webhook_deliveries::event_type.eq(announces.as_str()),
                webhook_deliveries::trade_id.eq(&trade.id),
                webhook_deliveries::created_at.eq(at),
                webhook_deliveries::next_attempt_at.eq(Some(at)),
            ))
            .execute(connection)?;
    }
    Ok(())
}

/// A delivery a claim took, with what its attempt needs (no `Debug`: it holds the secret).
pub(crate) struct Claimed {
    pub(crate) webhook_id: String,
    pub(crate) event_id: String,
    pub(crate) event_type: String,
    pub(crate) created_at: i64,
    pub(crate) attempts: i32,
    pub(crate) url: String,
    pub(crate) secret: String,
    /// The trade as the change left it (JSON of its row), if it is still there.
    pub(crate) trade: Option<String>,
}

/// Claims the due deliveries no live claim holds, oldest due first, within `limits`, until `until`, as `claim`.
pub(crate) fn claim(
    connection: &mut SqliteConnection,
    now: i64,
    until: i64,
    limits: &ClaimLimits,
    claim: &str,
    busy: &[String],
) -> QueryResult<Vec<Claimed>> {
    connection.immediate_transaction(|connection| {
        let due: Vec<(String, String)> = webhook_deliveries::table
            .filter(webhook_deliveries::state.eq("pending"))
            .filter(webhook_deliveries::next_attempt_at.le(now))
            .filter(webhook_deliveries::claimed_until.is_null().or(webhook_deliveries::claimed_until.lt(now)))
            .order((webhook_deliveries::next_attempt_at.asc(), webhook_deliveries::event_id.asc()))
            .select((webhook_deliveries::webhook_id, webhook_deliveries::event_id))
            .load(connection)?;
        let mut per_endpoint: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut taken = Vec::new();
        for (hook, event) in due {
            if taken.len() >= limits.total {
                break;
            }
            if busy.contains(&hook) {
                continue;
            }
            let count = per_endpoint.entry(hook.clone()).or_default();
            if *count >= limits.per_endpoint {
                continue;
            }
            *count += 1;
            taken.push((hook, event));
        }
        let mut claimed = Vec::with_capacity(taken.len());
        for (hook, event) in taken {
            let delivery = webhook_deliveries::table.find((&hook, &event));
            diesel::update(delivery)
                .set((webhook_deliveries::claim.eq(Some(claim)), webhook_deliveries::claimed_until.eq(Some(until))))
                .execute(connection)?;
            let (event_type, created_at, attempts): (String, i64, i32) = delivery
                .select((webhook_deliveries::event_type, webhook_deliveries::created_at, webhook_deliveries::attempts))
                .first(connection)?;
            let (url, secret): (String, String) =
                webhooks::table.find(&hook).select((webhooks::url, webhooks::secret)).first(connection)?;
            let trade = webhook_trades::table
                .find(&event)
                .select(webhook_trades::trade)
                .first::<String>(connection)
                .optional()?;
            claimed.push(Claimed {
                webhook_id: hook,
                event_id: event,
                event_type,
                created_at,
                attempts,
                url,
                secret,
                trade,
            });
        }
        Ok(claimed)
    })
}

/// What an attempt leaves on its delivery.
pub(crate) struct Attempt {
    pub(crate) hook: String,
    pub(crate) event: String,
    pub(crate) claim: String,
    pub(crate) at: i64,
    pub(crate) status: Option<i32>,
    pub(crate) error: Option<String>,
    pub(crate) next: AttemptNext,
    /// When `next` is a retry, its time.
    pub(crate) retry_at: Option<i64>,
}

/// Records `attempt` while its claim holds (ending it); a 410 disables the subscription and fails its other pending
/// deliveries. Whether it was recorded.
pub(crate) fn record_attempt(connection: &mut SqliteConnection, attempt: &Attempt) -> QueryResult<bool> {
    let (state, next, finished) = match attempt.next {
        AttemptNext::Delivered => ("delivered", None, Some(attempt.at)),
        AttemptNext::RetryAt(_) => ("pending", attempt.retry_at, None),
        AttemptNext::Failed | AttemptNext::Disable => ("failed", None, Some(attempt.at)),
    };
    connection.immediate_transaction(|connection| {
        let recorded = diesel::update(
            webhook_deliveries::table
                .find((&attempt.hook, &attempt.event))
                .filter(webhook_deliveries::claim.eq(&attempt.claim)),
        )
        .set((
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::last_status.eq(attempt.status),
            webhook_deliveries::last_error.eq(&attempt.error),
            webhook_deliveries::state.eq(state),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::finished_at.eq(finished),
            webhook_deliveries::claim.eq(None::<String>),
            webhook_deliveries::claimed_until.eq(None::<i64>),
        ))
        .execute(connection)?;
        if recorded > 0 && attempt.next == AttemptNext::Disable {
            diesel::update(webhooks::table.find(&attempt.hook).filter(webhooks::disabled_at.is_null()))
                .set(webhooks::disabled_at.eq(Some(attempt.at)))
                .execute(connection)?;
            fail_pending(connection, &attempt.hook, attempt.at, "the endpoint was disabled by a 410 answer")?;
        }
        Ok(recorded > 0)
    })
}

/// Fails every pending delivery of subscription `hook`, saying `why`.
fn fail_pending(connection: &mut SqliteConnection, hook: &str, at: i64, why: &str) -> QueryResult<usize> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(hook))
            .filter(webhook_deliveries::state.eq("pending")),
    )
    .set((
        webhook_deliveries::state.eq("failed"),
        webhook_deliveries::next_attempt_at.eq(None::<i64>),
        webhook_deliveries::finished_at.eq(Some(at)),
        webhook_deliveries::last_error.eq(Some(why)),
        webhook_deliveries::claim.eq(None::<String>),
        webhook_deliveries::claimed_until.eq(None::<i64>),
    ))
    .execute(connection)
}

/// Fails one delivery whose stored rows do not read back, so that it is never claimed again.
pub(crate) fn fail_unreadable(connection: &mut SqliteConnection, hook: &str, event: &str, at: i64) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find((hook, event)))
        .set((
            webhook_deliveries::state.eq("failed"),
            webhook_deliveries::next_attempt_at.eq(None::<i64>),
            webhook_deliveries::finished_at.eq(Some(at)),
            webhook_deliveries::last_error.eq(Some("the stored delivery could not be read; it was not sent")),
            webhook_deliveries::claim.eq(None::<String>),
            webhook_deliveries::claimed_until.eq(None::<i64>),
        ))
        .execute(connection)
        .map(drop)
}

/// Removes the deliveries finished before `before`, and the trades no delivery needs any more; how many went.
pub(crate) fn purge(connection: &mut SqliteConnection, before: i64) -> QueryResult<usize> {
    connection.immediate_transaction(|connection| {
        let purged = diesel::delete(
            webhook_deliveries::table
                .filter(webhook_deliveries::state.ne("pending"))
                .filter(webhook_deliveries::finished_at.lt(before)),
        )
        .execute(connection)?;
        diesel::sql_query(
            "DELETE FROM webhook_trades WHERE NOT EXISTS \
             (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_trades.event_id)",
        )
        .execute(connection)?;
        Ok(purged)
    })
}

/// Removes `owner`'s subscription `id` with its deliveries (by cascade); whether it existed.
pub(crate) fn delete_webhook(connection: &mut SqliteConnection, owner: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(webhooks::table.find(id).filter(webhooks::user_id.eq(owner))).execute(connection)?;
    Ok(deleted > 0)
}

/// Ends `claims` without recording an attempt.
pub(crate) fn release_claims(connection: &mut SqliteConnection, claims: &[String]) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::claim.eq_any(claims)))
        .set((webhook_deliveries::claim.eq(None::<String>), webhook_deliveries::claimed_until.eq(None::<i64>)))
        .execute(connection)
        .map(drop)
}

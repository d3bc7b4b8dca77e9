//! The copy port on PostgreSQL: a journal read row for row, each read in one repeatable-read transaction (so an
//! account's rows agree with each other), and written verbatim (`copy_writes.rs`).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use quantarya_domain::{
    BodyHash, Delivery, EventId, ImportId, ImportKey, Receipt, StrategyId, Timestamp, Trade, TradeEvent, TradeId,
    UserId,
};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{
    AccountRows, DeliveryRows, ImportLink, JournalCopy, JournalSize, KeptReceipt, ReceiptHold, TradeCursor, TradeRows,
    TradeStore, TrailRows, Written,
};
use uuid::Uuid;

use crate::error::query;
use crate::imports::ImportRow;
use crate::rows::{ApiKeyRow, EventRow, StrategyRow, TradeRow, UserRow, corrupt, read};
use crate::schema::{
    api_keys, imports, receipt_keys, receipt_targets, signal_log, strategies, trade_events, trade_imports, trades,
    users, webhook_deliveries, webhooks,
};
use crate::signal_log::SignalRow;
use crate::webhook_rows::{DeliveryRow, WebhookRow};
use crate::webhooks::snapshots;
use crate::{PgStore, copy_writes};

/// A receipt's row: strategy, what it is held under, body hash, trade, event, time.
type ReceiptRow = (Uuid, String, Vec<u8>, Uuid, Uuid, DateTime<Utc>);

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn account(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<AccountRaw>> {
    let Some(user) = users::table.find(id).select(UserRow::as_select()).first(conn).await.optional()? else {
        return Ok(None);
    };
    Ok(Some(AccountRaw {
        user,
        strategies: strategies::table
            .filter(strategies::user_id.eq(id))
            .order(strategies::id)
            .select(StrategyRow::as_select())
            .load(conn)
            .await?,
        api_keys: api_keys::table
            .filter(api_keys::user_id.eq(id))
            .order(api_keys::id)
            .select(ApiKeyRow::as_select())
            .load(conn)
            .await?,
        webhooks: webhooks::table
            .filter(webhooks::user_id.eq(id))
            .order(webhooks::id)
            .select(WebhookRow::as_select())
            .load(conn)
            .await?,
        imports: imports::table
            .filter(imports::user_id.eq(id))
            .order(imports::id)
            .select(ImportRow::as_select())
            .load(conn)
            .await?,
    }))
}

/// An account's rows as read, before the domain reads them.
struct AccountRaw {
    user: UserRow,
    strategies: Vec<StrategyRow>,
    api_keys: Vec<ApiKeyRow>,
    webhooks: Vec<WebhookRow>,
    imports: Vec<ImportRow>,
}

impl TryFrom<AccountRaw> for AccountRows {
    type Error = StoreError;
    fn try_from(raw: AccountRaw) -> Result<Self, StoreError> {
        AccountRows::from_rows(raw.user, raw.strategies, raw.api_keys, raw.webhooks, raw.imports)
    }
}

/// The histories and import links of a page of trades, as read.
type Extras = (Vec<EventRow>, Vec<(Uuid, Uuid, String)>);

async fn extras(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Extras> {
    let events = trade_events::table
        .filter(trade_events::trade_id.eq_any(ids))
        .order((trade_events::trade_id, trade_events::version))
        .select(EventRow::as_select())
        .load(conn)
        .await?;
    let links = trade_imports::table
        .filter(trade_imports::trade_id.eq_any(ids))
        .select((trade_imports::trade_id, trade_imports::import_id, trade_imports::import_key))
        .load(conn)
        .await?;
    Ok((events, links))
}

fn trades_of(trades: Vec<Trade>, (events, links): Extras) -> Result<Vec<TradeRows>, StoreError> {
    let mut histories: HashMap<Uuid, Vec<TradeEvent>> = HashMap::new();
    for event in events {
        histories.entry(event.trade_id).or_default().push(TradeEvent::try_from(event)?);
    }
    let mut links: HashMap<Uuid, ImportLink> = links
        .into_iter()
        .map(|(trade, import, key)| {
            let key = ImportKey::parse(&key).ok_or_else(|| corrupt("trade_imports.import_key is empty"))?;
            Ok((trade, ImportLink { import_id: ImportId::from_uuid(import), key }))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(trades
        .into_iter()
        .map(|trade| {
            let id = trade.id.as_uuid();
            let (events, import) = (histories.remove(&id).unwrap_or_default(), links.remove(&id));
            TradeRows { trade, events, import }
        })
        .collect())
}

/// What refers to an owner's trades, as read.
struct TrailRaw {
    targets: Vec<ReceiptRow>,
    keys: Vec<ReceiptRow>,
    signals: Vec<SignalRow>,
    deliveries: Vec<DeliveryRow>,
    snapshots: HashMap<Uuid, TradeRow>,
}

async fn trail(conn: &mut AsyncPgConnection, owner: &str) -> QueryResult<TrailRaw> {
    let targets = receipt_targets::table
        .filter(receipt_targets::user_id.eq(owner))
        .order((receipt_targets::strategy_id, receipt_targets::target))
        .select((
            receipt_targets::strategy_id,
            receipt_targets::target,
            receipt_targets::body_hash,
            receipt_targets::trade_id,
            receipt_targets::event_id,
            receipt_targets::at,
        ))
        .load(conn)
        .await?;
    let keys = receipt_keys::table
        .filter(receipt_keys::user_id.eq(owner))
        .order((receipt_keys::strategy_id, receipt_keys::idempotency_key))
        .select((
            receipt_keys::strategy_id,
            receipt_keys::idempotency_key,
            receipt_keys::body_hash,
            receipt_keys::trade_id,
            receipt_keys::event_id,
            receipt_keys::at,
        ))
        .load(conn)
        .await?;
    let owned = strategies::table.filter(strategies::user_id.eq(owner)).select(strategies::id);
    let signals = signal_log::table
        .filter(signal_log::strategy_id.eq_any(owned))
        .order((signal_log::strategy_id, signal_log::id))
        .select(SignalRow::as_select())
        .load(conn)
        .await?;
    let hooks = webhooks::table.filter(webhooks::user_id.eq(owner)).select(webhooks::id);
    let deliveries: Vec<DeliveryRow> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq_any(hooks))
        .order((webhook_deliveries::webhook_id, webhook_deliveries::event_id))
        .select(DeliveryRow::as_select())
        .load(conn)
        .await?;
    let mut events: Vec<Uuid> = deliveries.iter().map(|d| d.event_id).collect();
    events.sort_unstable();
    events.dedup();
    let snapshots = snapshots(conn, &events).await?.into_iter().map(|s| (s.event_id, s.trade)).collect();
    Ok(TrailRaw { targets, keys, signals, deliveries, snapshots })
}

/// A receipt of the targets' table (`keyed` false) or the keys' table, read back.
fn kept(row: &ReceiptRow, keyed: bool) -> Result<KeptReceipt, StoreError> {
    let (strategy, held, hash, trade, event, at) = row;
    let hash: [u8; 32] = hash.as_slice().try_into().map_err(|_| corrupt("a receipt's body_hash is not 32 bytes"))?;
    let receipt = Receipt {
        body_hash: BodyHash::from_bytes(hash),
        trade_id: TradeId::from_uuid(*trade),
        event_id: EventId::from_uuid(*event),
        at: Timestamp::from_datetime(*at),
    };
    Ok(KeptReceipt {
        strategy_id: StrategyId::from_uuid(*strategy),
        hold: ReceiptHold::from_stored(held, keyed)?,
        receipt,
    })
}

impl TryFrom<TrailRaw> for TrailRows {
    type Error = StoreError;
    fn try_from(raw: TrailRaw) -> Result<Self, StoreError> {
        let receipts = raw.targets.iter().map(|row| kept(row, false)).chain(raw.keys.iter().map(|row| kept(row, true)));
        let snapshots = raw.snapshots;
        let deliveries = raw.deliveries.into_iter().map(|delivery| {
            let trade = snapshots
                .get(&delivery.event_id)
                .cloned()
                .ok_or_else(|| corrupt("a webhook delivery without its trade"))?;
            Ok(DeliveryRows { delivery: Delivery::try_from(delivery)?, trade: Trade::try_from(trade)? })
        });
        TrailRows::from_rows(receipts, raw.signals, deliveries)
    }
}

/// Runs `read` in one repeatable-read, read-only transaction: every statement sees the same snapshot.
macro_rules! snapshot_read {
    ($store:expr, |$conn:ident| $read:expr) => {{
        let mut conn = $store.conn().await?;
        conn.build_transaction()
            .repeatable_read()
            .read_only()
            .run::<_, diesel::result::Error, _>(async move |$conn| $read)
            .await
            .map_err(query)
    }};
}

#[async_trait]
impl JournalCopy for PgStore {
    async fn journal_size(&self) -> Result<JournalSize, StoreError> {
        snapshot_read!(self, |conn| {
            let accounts: i64 = users::table.count().get_result(conn).await?;
            let trades: i64 = trades::table.count().get_result(conn).await?;
            Ok(JournalSize { accounts: count(accounts), trades: count(trades) })
        })
    }

    async fn account_ids(&self, after: Option<&UserId>, n: usize) -> Result<Vec<UserId>, StoreError> {
        let mut conn = self.conn().await?;
        let mut listed = users::table.select(users::id).order(users::id).limit(limit(n)).into_boxed();
        if let Some(after) = after {
            listed = listed.filter(users::id.gt(after.as_str().to_owned()));
        }
        let ids: Vec<String> = listed.load(&mut conn).await.map_err(query)?;
        ids.iter().map(|id| read("users.id", UserId::parse(id))).collect()
    }

    async fn read_account(&self, id: &UserId) -> Result<Option<AccountRows>, StoreError> {
        let raw = snapshot_read!(self, |conn| account(conn, id.as_str()).await)?;
        raw.map(AccountRows::try_from).transpose()
    }

    async fn read_trades(
        &self,
        owner: &UserId,
        strategy: StrategyId,
        after: Option<TradeCursor>,
        n: usize,
    ) -> Result<Vec<TradeRows>, StoreError> {
        let trades = self.trades_oldest_first(owner, strategy, after, n).await?.unwrap_or_default();
        let ids: Vec<Uuid> = trades.iter().map(|t| t.id.as_uuid()).collect();
        let mut conn = self.conn().await?;
        let extras = extras(&mut conn, &ids).await.map_err(query)?;
        trades_of(trades, extras)
    }

    async fn read_trail(&self, owner: &UserId) -> Result<TrailRows, StoreError> {
        let raw = snapshot_read!(self, |conn| trail(conn, owner.as_str()).await)?;
        TrailRows::try_from(raw)
    }

    async fn write_account(&self, account: &AccountRows) -> Result<Written, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| copy_writes::account(conn, account).await)
            .await
            .map_err(query)
    }

    async fn write_trades(&self, trades: &[TradeRows]) -> Result<Written, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| copy_writes::trades(conn, trades).await)
            .await
            .map_err(query)
    }

    async fn write_trail(&self, owner: &UserId, trail: &TrailRows) -> Result<Written, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| copy_writes::trail(conn, owner, trail).await)
            .await
            .map_err(query)
    }
}

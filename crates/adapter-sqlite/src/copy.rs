//! The copy port on SQLite: a journal read row for row (each read one blocking call on a reading connection) and
//! written verbatim (`copy_writes.rs`).

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use quantarya_domain::{
    BodyHash, Delivery, EventId, ImportId, ImportKey, Receipt, StrategyId, Trade, TradeEvent, TradeId, UserId,
};
use quantarya_ports::StoreError;
use quantarya_ports::outbound::{
    AccountRows, DeliveryRows, ImportLink, JournalCopy, JournalSize, KeptReceipt, ReceiptHold, TradeCursor, TradeRows,
    TradeStore, TrailRows, Written,
};

use crate::error::query;
use crate::imports::ImportRow;
use crate::rows::{ApiKeyRow, StrategyRow, UserRow, corrupt, id_text, read, stamp, uuid};
use crate::schema::{
    api_keys, imports, receipt_keys, receipt_targets, signal_log, strategies, trade_events, trade_imports, trades,
    users, webhook_deliveries, webhook_trades, webhooks,
};
use crate::signal_log::SignalRow;
use crate::trade_rows::{EventRow, TradeRow};
use crate::webhook_rows::{DeliveryRow, WebhookRow};
use crate::{SqliteStore, copy_writes};

/// A receipt's row: strategy, what it is held under, body hash, trade, event, time.
type ReceiptRow = (String, String, Vec<u8>, String, String, i64);

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn account(connection: &mut SqliteConnection, id: &str) -> QueryResult<Option<AccountRowsRaw>> {
    let Some(user) = users::table.find(id).select(UserRow::as_select()).first(connection).optional()? else {
        return Ok(None);
    };
    Ok(Some(AccountRowsRaw {
        user,
        strategies: strategies::table
            .filter(strategies::user_id.eq(id))
            .order(strategies::id)
            .select(StrategyRow::as_select())
            .load(connection)?,
        api_keys: api_keys::table
            .filter(api_keys::user_id.eq(id))
            .order(api_keys::id)
            .select(ApiKeyRow::as_select())
            .load(connection)?,
        webhooks: webhooks::table
            .filter(webhooks::user_id.eq(id))
            .order(webhooks::id)
            .select(WebhookRow::as_select())
            .load(connection)?,
        imports: imports::table
            .filter(imports::user_id.eq(id))
            .order(imports::id)
            .select(ImportRow::as_select())
            .load(connection)?,
    }))
}

/// An account's rows as read, before the domain reads them.
struct AccountRowsRaw {
    user: UserRow,
    strategies: Vec<StrategyRow>,
    api_keys: Vec<ApiKeyRow>,
    webhooks: Vec<WebhookRow>,
    imports: Vec<ImportRow>,
}

impl TryFrom<AccountRowsRaw> for AccountRows {
    type Error = StoreError;
    fn try_from(raw: AccountRowsRaw) -> Result<Self, StoreError> {
        AccountRows::from_rows(raw.user, raw.strategies, raw.api_keys, raw.webhooks, raw.imports)
    }
}

/// The histories and import links of a page of trades, as read.
type Extras = (Vec<EventRow>, Vec<(String, String, String)>);

fn extras(connection: &mut SqliteConnection, ids: &[String]) -> QueryResult<Extras> {
    let events = trade_events::table
        .filter(trade_events::trade_id.eq_any(ids))
        .order((trade_events::trade_id, trade_events::version))
        .select(EventRow::as_select())
        .load(connection)?;
    let links = trade_imports::table
        .filter(trade_imports::trade_id.eq_any(ids))
        .select((trade_imports::trade_id, trade_imports::import_id, trade_imports::import_key))
        .load(connection)?;
    Ok((events, links))
}

fn trades_of(trades: Vec<Trade>, (events, links): Extras) -> Result<Vec<TradeRows>, StoreError> {
    let mut histories: HashMap<TradeId, Vec<TradeEvent>> = HashMap::new();
    for event in events {
        let event = TradeEvent::try_from(event)?;
        histories.entry(event.trade_id).or_default().push(event);
    }
    let mut links: HashMap<TradeId, ImportLink> = links
        .into_iter()
        .map(|(trade, import, key)| {
            let trade = TradeId::from_uuid(uuid("trade_imports.trade_id", &trade)?);
            let import_id = ImportId::from_uuid(uuid("trade_imports.import_id", &import)?);
            let key = ImportKey::parse(&key).ok_or_else(|| corrupt("trade_imports.import_key is empty"))?;
            Ok((trade, ImportLink { import_id, key }))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(trades
        .into_iter()
        .map(|trade| {
            let (events, import) = (histories.remove(&trade.id).unwrap_or_default(), links.remove(&trade.id));
            TradeRows { trade, events, import }
        })
        .collect())
}

/// What refers to an owner's trades, as read.
struct TrailRaw {
    targets: Vec<ReceiptRow>,
    keys: Vec<ReceiptRow>,
    signals: Vec<SignalRow>,
    deliveries: Vec<(DeliveryRow, String)>,
}

fn trail(connection: &mut SqliteConnection, owner: &str) -> QueryResult<TrailRaw> {
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
        .load(connection)?;
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
        .load(connection)?;
    let owned = strategies::table.filter(strategies::user_id.eq(owner)).select(strategies::id);
    let signals = signal_log::table
        .filter(signal_log::strategy_id.eq_any(owned))
        .order((signal_log::strategy_id, signal_log::id))
        .select(SignalRow::as_select())
        .load(connection)?;
    let hooks = webhooks::table.filter(webhooks::user_id.eq(owner)).select(webhooks::id);
    let deliveries = webhook_deliveries::table
        .inner_join(webhook_trades::table.on(webhook_trades::event_id.eq(webhook_deliveries::event_id)))
        .filter(webhook_deliveries::webhook_id.eq_any(hooks))
        .order((webhook_deliveries::webhook_id, webhook_deliveries::event_id))
        .select((DeliveryRow::as_select(), webhook_trades::trade))
        .load(connection)?;
    Ok(TrailRaw { targets, keys, signals, deliveries })
}

/// A receipt of the targets' table (`keyed` false) or the keys' table, read back.
fn kept(row: &ReceiptRow, keyed: bool) -> Result<KeptReceipt, StoreError> {
    let column = if keyed { "receipt_keys" } else { "receipt_targets" };
    let (strategy, held, hash, trade, event, at) = row;
    let hash: [u8; 32] = hash.as_slice().try_into().map_err(|_| corrupt(format!("{column}.body_hash")))?;
    let receipt = Receipt {
        body_hash: BodyHash::from_bytes(hash),
        trade_id: TradeId::from_uuid(uuid(column, trade)?),
        event_id: EventId::from_uuid(uuid(column, event)?),
        at: stamp(column, *at)?,
    };
    let strategy_id = StrategyId::from_uuid(uuid(column, strategy)?);
    Ok(KeptReceipt { strategy_id, hold: ReceiptHold::from_stored(held, keyed)?, receipt })
}

impl TryFrom<TrailRaw> for TrailRows {
    type Error = StoreError;
    fn try_from(raw: TrailRaw) -> Result<Self, StoreError> {
        let receipts = raw.targets.iter().map(|row| kept(row, false)).chain(raw.keys.iter().map(|row| kept(row, true)));
        let deliveries = raw.deliveries.into_iter().map(|(delivery, trade)| {
            let trade: TradeRow = read("webhook_trades.trade", serde_json::from_str(&trade))?;
            Ok(DeliveryRows { delivery: Delivery::try_from(delivery)?, trade: Trade::try_from(trade)? })
        });
        TrailRows::from_rows(receipts, raw.signals, deliveries)
    }
}

#[async_trait]
impl JournalCopy for SqliteStore {
    async fn journal_size(&self) -> Result<JournalSize, StoreError> {
        let mut conn = self.read().await;
        conn.spawn_blocking(|connection| {
            let accounts: i64 = users::table.count().get_result(connection)?;
            let trades: i64 = trades::table.count().get_result(connection)?;
            Ok(JournalSize { accounts: count(accounts), trades: count(trades) })
        })
        .await
        .map_err(query)
    }

    async fn account_ids(&self, after: Option<&UserId>, n: usize) -> Result<Vec<UserId>, StoreError> {
        let after = after.map(|id| id.as_str().to_owned());
        let mut conn = self.read().await;
        let ids: Vec<String> = conn
            .spawn_blocking(move |connection| {
                let mut listed = users::table.select(users::id).order(users::id).limit(limit(n)).into_boxed();
                if let Some(after) = after {
                    listed = listed.filter(users::id.gt(after));
                }
                listed.load(connection)
            })
            .await
            .map_err(query)?;
        ids.iter().map(|id| read("users.id", UserId::parse(id))).collect()
    }

    async fn read_account(&self, id: &UserId) -> Result<Option<AccountRows>, StoreError> {
        let id = id.as_str().to_owned();
        let mut conn = self.read().await;
        let raw = conn.spawn_blocking(move |connection| account(connection, &id)).await.map_err(query)?;
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
        let ids: Vec<String> = trades.iter().map(|t| id_text(t.id.as_uuid())).collect();
        let mut conn = self.read().await;
        let extras = conn.spawn_blocking(move |connection| extras(connection, &ids)).await.map_err(query)?;
        trades_of(trades, extras)
    }

    async fn read_trail(&self, owner: &UserId) -> Result<TrailRows, StoreError> {
        let owner = owner.as_str().to_owned();
        let mut conn = self.read().await;
        let raw = conn.spawn_blocking(move |connection| trail(connection, &owner)).await.map_err(query)?;
        TrailRows::try_from(raw)
    }

    async fn write_account(&self, account: &AccountRows) -> Result<Written, StoreError> {
        let rows = copy_writes::AccountWrite::from(account);
        self.write(move |connection| copy_writes::account(connection, &rows)).await
    }

    async fn write_trades(&self, trades: &[TradeRows]) -> Result<Written, StoreError> {
        let rows: Vec<copy_writes::TradeWrite> = trades.iter().map(copy_writes::TradeWrite::from).collect();
        self.write(move |connection| copy_writes::trades(connection, &rows)).await
    }

    async fn write_trail(&self, owner: &UserId, trail: &TrailRows) -> Result<Written, StoreError> {
        let rows = copy_writes::TrailWrite::new(owner, trail)?;
        self.write(move |connection| copy_writes::trail(connection, &rows)).await
    }
}

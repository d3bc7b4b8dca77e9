//! The text of the one-statement trade write: the trade's row, its history event and, for a signal, its receipt,
//! bound once each in a leading CTE `p`, then the checks, the insert or versioned update, the event's insert, the
//! receipt's insert or replacement and the purge of receipts that no longer count; and either the webhook outbox's
//! deliveries (the announcing statement) or a guard that writes nothing for an owner who subscribes (the lean one,
//! see [`Shape`]). One statement is one round trip
//! and atomic without a transaction around it. The text is built from one list of the table's columns.
//!
//! How a receipted write stays right under races, all inside the statement (READ COMMITTED):
//! - the rows it was judged on are locked in the order deletions take them (the strategy, then the trade an update
//!   changes, then the receipt rows), and a locked row is read at its newest version;
//! - it writes only if the target's latest receipt is still the one the request was judged on and no receipt that
//!   counts holds its key (`judged`); otherwise it writes nothing and reports it (the request is judged again);
//! - a receipt that was not there is inserted, not upserted, so of two racing requests the primary key lets one
//!   through and fails the other's whole statement (`ReceiptRaced`);
//! - a deadlock with a deletion fails the statement whole, and is a lost race too.

/// The columns of the `trades` table, in table order: the one list every write statement is built from.
pub(crate) const TRADE_COLUMNS: [&str; 30] = [
    "id",
    "strategy_id",
    "user_id",
    "symbol",
    "side",
    "status",
    "event",
    "entry",
    "stop_loss",
    "take_profit",
    "close_price",
    "opened_at",
    "closed_at",
    "signal_time",
    "timeframe",
    "source",
    "external_reference",
    "signal",
    "market",
    "risk",
    "context",
    "meta",
    "origin",
    "created_at",
    "updated_at",
    "version",
    "tags",
    "initial_stop_loss",
    "position",
    "live",
];

/// How many leading columns of [`TRADE_COLUMNS`] are the trade's identity, which an update never sets.
const IDENTITY_COLUMNS: usize = 3;

/// The parameters of the history event written with the trade.
/// `event_announces` is the webhook event the change is (`WebhookEvent::of`), which the outbox records.
pub(crate) const EVENT_PARAMS: [&str; 6] =
    ["event_id", "event_kind", "event_at", "event_by", "event_changes", "event_announces"];

/// The parameters of a signal's receipt: its target and key, the receipt itself, the target's latest receipt the
/// request was judged on, and the times before which receipts no longer count (unkeyed, keyed).
pub(crate) const RECEIPT_PARAMS: [&str; 9] = [
    "receipt_target",
    "receipt_key",
    "receipt_hash",
    "receipt_trade",
    "receipt_event",
    "receipt_at",
    "receipt_after",
    "target_cutoff",
    "key_cutoff",
];

/// Every parameter, in bind order: the trade's columns, its event's, then (receipted writes only) the receipt's.
pub(crate) const PARAMS: [&str; TRADE_COLUMNS.len() + EVENT_PARAMS.len() + RECEIPT_PARAMS.len()] = {
    let mut all = [""; TRADE_COLUMNS.len() + EVENT_PARAMS.len() + RECEIPT_PARAMS.len()];
    let mut i = 0;
    while i < all.len() {
        all[i] = if i < TRADE_COLUMNS.len() {
            TRADE_COLUMNS[i]
        } else if i < TRADE_COLUMNS.len() + EVENT_PARAMS.len() {
            EVENT_PARAMS[i - TRADE_COLUMNS.len()]
        } else {
            RECEIPT_PARAMS[i - TRADE_COLUMNS.len() - EVENT_PARAMS.len()]
        };
        i += 1;
    }
    all
};

/// Which of the eight statements: an insert or an update, with a receipt or without, announcing the change to
/// the owner's webhook subscriptions or lean.
///
/// The lean statement is for an owner who (as far as this instance knows) has no subscription: it leaves out the
/// outbox's writes, which cost a signal about 8 % of the statement's rate even when they write nothing
/// (`bench/outbox/run`), and writes nothing at all if the owner does have one, saying so in its report; the store
/// then runs the announcing statement. So a change is announced whenever a subscription exists, and a signal is one
/// round trip unless this instance has not yet seen its owner subscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// It changes a stored trade (a versioned update) rather than adding one.
    pub(crate) update: bool,
    /// It writes a signal's receipt with the change.
    pub(crate) receipted: bool,
    /// It records the change in the outbox for the subscriptions that want it.
    pub(crate) announcing: bool,
}

impl Shape {
    /// The eight shapes, each at its [`Shape::index`].
    pub(crate) const ALL: [Self; 8] = {
        let mut all = [Self { update: false, receipted: false, announcing: false }; 8];
        let mut i = 0;
        while i < 8 {
            all[i] = Self { update: i & 4 != 0, receipted: i & 2 != 0, announcing: i & 1 != 0 };
            i += 1;
        }
        all
    };

    /// Where this shape stands in [`Shape::ALL`].
    pub(crate) const fn index(self) -> usize {
        (self.update as usize) * 4 + (self.receipted as usize) * 2 + self.announcing as usize
    }
}

/// The owner's strategy, locked against its deletion (which takes it before cascading to trades and receipts).
const OWNED: &str = "
, owned AS (
    SELECT s.id, s.max_signal_age_seconds FROM strategies s, p
    WHERE s.id = p.strategy_id AND s.user_id = p.user_id FOR KEY SHARE OF s
)";

/// The owner's strategy, if it takes the new trade: not an open trade whose signal is older than the strategy's
/// `max_signal_age_seconds` before the trade was received (`SignalAge::refuses`, in SQL).
const FRESH: &str = "
, fresh AS (
    SELECT 1 FROM owned o, p
    WHERE o.max_signal_age_seconds IS NULL OR p.signal_time IS NULL OR p.status <> 'OPEN'
       OR p.signal_time >= p.created_at - make_interval(secs => o.max_signal_age_seconds)
)";

/// The trade an update changes, under its owner's strategy, locked after the strategy (joined to it, so read after).
const STORED: &str = "
, stored AS (
    SELECT t.id FROM trades t, p, owned o
    WHERE t.id = p.id AND t.strategy_id = o.id AND t.user_id = p.user_id
    FOR NO KEY UPDATE OF t
)";

/// A receipt table, as the statement reads and writes it: the target's latest receipts or the keyed ones.
struct ReceiptTable {
    /// The table.
    table: &'static str,
    /// The column that names a receipt's slot in it.
    slot: &'static str,
    /// The parameter that holds this write's slot (NULL: the write has none in this table).
    param: &'static str,
    /// Before when a receipt of the table no longer counts.
    cutoff: &'static str,
    /// The CTE of the slot's row, locked.
    held: &'static str,
}

/// The two receipt tables, the target's first (the order of the locks).
const RECEIPT_TABLES: [ReceiptTable; 2] = [
    ReceiptTable {
        table: "receipt_targets",
        slot: "target",
        param: "receipt_target",
        cutoff: "target_cutoff",
        held: "latest",
    },
    ReceiptTable {
        table: "receipt_keys",
        slot: "idempotency_key",
        param: "receipt_key",
        cutoff: "key_cutoff",
        held: "held",
    },
];

/// The slot's row the signal was judged on, locked after its strategy (and trade).
const RECEIPT_HELD: &str = "
, HELD AS (
    SELECT r.event_id, r.at FROM TABLE r, p, PARENT_CTE o
    WHERE r.user_id = p.user_id AND r.strategy_id = p.strategy_id AND r.SLOT = p.PARAM
    FOR UPDATE OF r
)";

/// The receipt of what was written: the slot's row replaced if it had one (locked above), else inserted. Then at
/// most 256 of the strategy's oldest receipts of the table that no longer count are purged, found through the
/// `(strategy_id, at)` index, skipping rows another request holds (it replaces them itself) and the slot this
/// statement writes.
const RECEIPT_WRITTEN: &str = "
, HELD_added AS (
    INSERT INTO TABLE (user_id, strategy_id, SLOT, body_hash, trade_id, event_id, at)
    SELECT p.user_id, p.strategy_id, p.PARAM, p.receipt_hash, p.receipt_trade, p.receipt_event, p.receipt_at
    FROM p, written w WHERE p.PARAM IS NOT NULL AND NOT EXISTS (SELECT 1 FROM HELD)
)
, HELD_replaced AS (
    UPDATE TABLE r
    SET body_hash = p.receipt_hash, trade_id = p.receipt_trade, event_id = p.receipt_event, at = p.receipt_at
    FROM p, written w
    WHERE r.user_id = p.user_id AND r.strategy_id = p.strategy_id AND r.SLOT = p.PARAM AND EXISTS (SELECT 1 FROM HELD)
)
, HELD_purged AS (
    DELETE FROM TABLE WHERE ctid IN (
        SELECT r.ctid FROM TABLE r, p
        WHERE r.strategy_id = p.strategy_id AND r.at <= p.CUTOFF AND r.SLOT IS DISTINCT FROM p.PARAM
          AND EXISTS (SELECT 1 FROM written)
        ORDER BY r.at LIMIT 256 FOR UPDATE OF r SKIP LOCKED
    )
)";

impl ReceiptTable {
    /// `template` for this table.
    fn fill(&self, template: &str) -> String {
        template
            .replace("TABLE", self.table)
            .replace("SLOT", self.slot)
            .replace("PARAM", self.param)
            .replace("CUTOFF", self.cutoff)
            .replace("HELD", self.held)
    }
}

/// Whether the write may go ahead: what it was judged on still holds.
const JUDGED_WITH_RECEIPT: &str = "
, judged AS (
    SELECT 1 FROM p
    WHERE EXISTS (SELECT 1 FROM PARENT_CTE)
      AND (SELECT l.event_id FROM latest l) IS NOT DISTINCT FROM p.receipt_after
      AND NOT EXISTS (SELECT 1 FROM held h WHERE h.at > p.key_cutoff)
)";

/// Without a receipt, an insert goes ahead under its owner's strategy if it is fresh, an update under its owner's
/// strategy (locked first, as a deletion takes it, since the write may move its revision) on its version.
const JUDGED_INSERT: &str = "
, judged AS (SELECT 1 FROM fresh)";
const JUDGED_UPDATE: &str = "
, judged AS (SELECT 1 FROM owned)";

/// The lean statement's guard: whether the owner has an enabled subscription (then it writes nothing).
const UNANNOUNCED: &str = "
, subscriber AS (SELECT 1 FROM webhooks h, p WHERE h.user_id = p.user_id AND h.disabled_at IS NULL LIMIT 1)";

/// The insert of the trade: nothing on a taken id or a taken open-trade slot.
const INSERT: &str = "
, written AS (
    INSERT INTO trades (COLUMNS)
    SELECT P_COLUMNS FROM p WHERE EXISTS (SELECT 1 FROM judged)LEAN
    ON CONFLICT DO NOTHING
    RETURNING id
)";

/// The update of the trade, if its stored version is the one before.
const UPDATE: &str = "
, written AS (
    UPDATE trades t SET (SET_COLUMNS) = (SELECT SET_P_COLUMNS)
    FROM p
    WHERE t.id = p.id AND t.strategy_id = p.strategy_id AND t.user_id = p.user_id AND t.version = p.version - 1
      AND EXISTS (SELECT 1 FROM judged)LEAN
    RETURNING t.id
)";

/// The revision of the strategy's closed trades, moved on when a closed or cancelled trade was written.
const REVISED: &str = "
, revised AS (
    UPDATE strategies s SET closed_revision = s.closed_revision + 1
    FROM p WHERE s.id = p.strategy_id AND p.status <> 'OPEN' AND EXISTS (SELECT 1 FROM written)
)";

/// The history event of what was written.
const LOGGED: &str = "
, logged AS (
    INSERT INTO trade_events (id, trade_id, version, kind, at, by_credential, changes)
    SELECT p.event_id, w.id, p.version, p.event_kind, p.event_at, p.event_by, p.event_changes FROM p, written w
)";

/// The outbox: the owner's enabled subscriptions that want this kind of change of this strategy, once the change is
/// written, share-locked (a subscription deleted or disabled meanwhile is skipped, not an error, and one being
/// disabled waits for this write, then fails what it recorded); a pending
/// delivery for each, due at once; and, when there is one, the trade as the change left it. With no subscription
/// this costs one index probe and writes nothing.
const ANNOUNCED: &str = "
, subscribed AS (
    SELECT h.id FROM webhooks h, p
    WHERE h.user_id = p.user_id AND h.disabled_at IS NULL AND p.event_announces = ANY (h.events)
      AND (h.strategy_ids IS NULL OR p.strategy_id = ANY (h.strategy_ids))
      AND EXISTS (SELECT 1 FROM written)
    FOR SHARE OF h
)
, announced AS (
    INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, trade_id, created_at, next_attempt_at)
    SELECT s.id, p.event_id, p.event_announces, p.id, p.event_at, p.event_at FROM subscribed s, p
)
, snapshot AS (
    INSERT INTO webhook_trades (event_id, COLUMNS)
    SELECT p.event_id, P_COLUMNS FROM p WHERE EXISTS (SELECT 1 FROM subscribed)
)";

/// The report: rows written; whether the parent exists (the owner's strategy for an insert, the trade under it for
/// an update); whether an insert's id was taken; whether what the write was judged on still held; whether the
/// strategy refused an insert's signal as too old.
const REPORT_INSERT: &str = "
SELECT (SELECT count(*) FROM written), EXISTS (SELECT 1 FROM owned), EXISTS (SELECT 1 FROM trades t, p WHERE t.id = p.id),
       EXISTS (SELECT 1 FROM judged), EXISTS (SELECT 1 FROM owned) AND NOT EXISTS (SELECT 1 FROM fresh)";
const REPORT_UPDATE: &str = "
SELECT (SELECT count(*) FROM written),
       EXISTS (SELECT 1 FROM trades t, p WHERE t.id = p.id AND t.strategy_id = p.strategy_id AND t.user_id = p.user_id),
       FALSE, EXISTS (SELECT 1 FROM judged), FALSE";
/// A receipted update reports the trade it locked (read at its newest version): one deleted meanwhile is missing.
const REPORT_RECEIPTED_UPDATE: &str = "
SELECT (SELECT count(*) FROM written), EXISTS (SELECT 1 FROM stored), FALSE, EXISTS (SELECT 1 FROM judged), FALSE";

/// `columns` as a list, each prefixed with `prefix`.
fn listed(columns: &[&str], prefix: &str) -> String {
    columns.iter().map(|c| format!("{prefix}{c}")).collect::<Vec<_>>().join(", ")
}

/// The text of a write statement after the parameter CTE.
pub(crate) fn statement_tail(shape: Shape) -> String {
    let parent = if shape.update { "stored" } else { "owned" };
    let mut sql = String::new();
    sql.push_str(OWNED);
    if !shape.update {
        sql.push_str(FRESH);
    }
    if shape.receipted {
        if shape.update {
            sql.push_str(STORED);
        }
        for table in &RECEIPT_TABLES {
            sql.push_str(&table.fill(RECEIPT_HELD).replace("PARENT_CTE", parent));
        }
        // An insert goes ahead only under a strategy that takes it; an update under the trade it locked.
        sql.push_str(&JUDGED_WITH_RECEIPT.replace("PARENT_CTE", if shape.update { parent } else { "fresh" }));
    } else {
        sql.push_str(if shape.update { JUDGED_UPDATE } else { JUDGED_INSERT });
    }
    let lean = if shape.announcing {
        ""
    } else {
        sql.push_str(UNANNOUNCED);
        " AND NOT EXISTS (SELECT 1 FROM subscriber)"
    };
    if shape.update {
        let set = &TRADE_COLUMNS[IDENTITY_COLUMNS..];
        let update = UPDATE.replace("SET_P_COLUMNS", &listed(set, "p.")).replace("SET_COLUMNS", &listed(set, ""));
        sql.push_str(&update.replace("LEAN", lean));
    } else {
        let insert =
            INSERT.replace("P_COLUMNS", &listed(&TRADE_COLUMNS, "p.")).replace("COLUMNS", &listed(&TRADE_COLUMNS, ""));
        sql.push_str(&insert.replace("LEAN", lean));
    }
    sql.push_str(LOGGED);
    sql.push_str(REVISED);
    if shape.announcing {
        let announced = ANNOUNCED
            .replace("P_COLUMNS", &listed(&TRADE_COLUMNS, "p."))
            .replace("COLUMNS", &listed(&TRADE_COLUMNS, ""));
        sql.push_str(&announced);
    }
    if shape.receipted {
        for table in &RECEIPT_TABLES {
            sql.push_str(&table.fill(RECEIPT_WRITTEN));
        }
    }
    sql.push_str(match (shape.update, shape.receipted) {
        (false, _) => REPORT_INSERT,
        (true, false) => REPORT_UPDATE,
        (true, true) => REPORT_RECEIPTED_UPDATE,
    });
    // The last column: whether a lean statement met a subscriber (and so wrote nothing).
    sql.push_str(if shape.announcing { ", FALSE" } else { ", EXISTS (SELECT 1 FROM subscriber)" });
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shape_stands_at_its_index() {
        for (i, shape) in Shape::ALL.into_iter().enumerate() {
            assert_eq!(shape.index(), i, "{shape:?}");
        }
    }

    #[test]
    fn the_statements_name_every_column_of_the_table_once() {
        for shape in Shape::ALL {
            let sql = statement_tail(shape);
            if shape.update {
                let set = sql.split_once("SET (").and_then(|(_, rest)| rest.split_once(')')).map(|(set, _)| set);
                let set: Vec<&str> = set.expect("an update sets columns").split(", ").collect();
                assert_eq!(set, TRADE_COLUMNS[IDENTITY_COLUMNS..], "an update sets all but the identity, in order");
            } else {
                for column in TRADE_COLUMNS {
                    assert!(sql.contains(&format!("p.{column}")), "the insert binds {column}");
                }
            }
        }
    }

    #[test]
    fn only_announcing_statements_write_the_outbox_and_only_lean_ones_look_for_a_subscriber() {
        for shape in Shape::ALL {
            let sql = statement_tail(shape);
            assert_eq!(sql.contains("INSERT INTO webhook_deliveries"), shape.announcing, "{shape:?}");
            assert_eq!(sql.contains("INSERT INTO webhook_trades"), shape.announcing, "{shape:?}");
            assert_eq!(sql.contains("NOT EXISTS (SELECT 1 FROM subscriber)"), !shape.announcing, "{shape:?}");
        }
    }

    #[test]
    fn only_receipted_statements_read_the_receipt_parameters() {
        for shape in Shape::ALL {
            let sql = statement_tail(shape);
            for name in RECEIPT_PARAMS {
                assert_eq!(sql.contains(&format!("p.{name}")), shape.receipted, "{shape:?} and {name}");
            }
            for placeholder in ["PARENT_CTE", "TABLE", "SLOT", "PARAM", "CUTOFF", "HELD", "LEAN"] {
                assert!(!sql.contains(placeholder), "{placeholder} is filled in: {sql}");
            }
        }
    }
}

-- Trades with their history, and the signal receipts that recognise repeats. Written in one transaction per
-- change (the trade, its event, its receipt, the strategy's closed revision).
CREATE TABLE trades (
    id                 TEXT PRIMARY KEY,
    strategy_id        TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    symbol             TEXT NOT NULL,
    side               TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    status             TEXT NOT NULL CHECK (status IN ('OPEN', 'CLOSED', 'CANCELLED')),
    event              TEXT NOT NULL CHECK (event IN ('entry', 'update', 'exit')),
    entry              REAL CHECK (entry > 0 AND entry <= 1e12),
    stop_loss          REAL CHECK (stop_loss > 0 AND stop_loss <= 1e12),
    take_profit        REAL CHECK (take_profit > 0 AND take_profit <= 1e12),
    close_price        REAL CHECK (close_price > 0 AND close_price <= 1e12),
    opened_at          INTEGER NOT NULL,
    closed_at          INTEGER,
    signal_time        INTEGER,
    timeframe          TEXT,
    source             TEXT,
    external_reference TEXT,
    signal             TEXT CHECK (signal IS NULL OR json_type(signal) = 'object'),
    market             TEXT CHECK (market IS NULL OR json_type(market) = 'object'),
    risk               TEXT CHECK (risk IS NULL OR json_type(risk) = 'object'),
    context            TEXT CHECK (context IS NULL OR json_type(context) = 'object'),
    meta               TEXT CHECK (meta IS NULL OR json_type(meta) = 'object'),
    origin             TEXT NOT NULL CHECK (origin IN ('manual', 'api_key', 'import')),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 1),
    tags               TEXT NOT NULL DEFAULT '[]' CHECK (json_type(tags) = 'array'),
    initial_stop_loss  REAL CHECK (initial_stop_loss > 0 AND initial_stop_loss <= 1e12),
    position           TEXT NOT NULL CHECK (json_type(position, '$.fills') = 'array'),
    live               INTEGER NOT NULL CHECK (live IN (0, 1)),
    FOREIGN KEY (strategy_id, user_id) REFERENCES strategies (id, user_id) ON DELETE CASCADE,
    CHECK ((status = 'OPEN') = (closed_at IS NULL)),
    CHECK (closed_at IS NULL OR closed_at >= opened_at),
    CHECK (close_price IS NULL OR status = 'CLOSED'),
    CHECK (stop_loss IS NULL OR initial_stop_loss IS NOT NULL),
    CHECK (NOT live OR origin = 'api_key')
) STRICT;
-- One open trade per reference of a strategy: of racing entries on one reference, one is stored.
CREATE UNIQUE INDEX trades_open_reference_key ON trades (strategy_id, external_reference)
    WHERE status = 'OPEN' AND external_reference IS NOT NULL;
CREATE INDEX trades_by_opening ON trades (strategy_id, opened_at DESC, id DESC);
CREATE INDEX trades_open_by_symbol ON trades (strategy_id, symbol) WHERE status = 'OPEN';
CREATE INDEX trades_by_reference ON trades (strategy_id, external_reference, id DESC)
    WHERE external_reference IS NOT NULL;
CREATE INDEX trades_closed_in_order ON trades (strategy_id, status, closed_at, id);

CREATE TABLE trade_events (
    id            TEXT PRIMARY KEY,
    trade_id      TEXT NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL CHECK (version >= 1),
    kind          TEXT NOT NULL,
    at            INTEGER NOT NULL,
    by_credential TEXT NOT NULL CHECK (by_credential IN ('user', 'api_key')),
    -- The fields the change set, in order: [{"field": …, "value": …}, …], kept as given.
    changes       TEXT NOT NULL CHECK (json_type(changes) = 'array'),
    UNIQUE (trade_id, version)
) STRICT;

CREATE TABLE receipt_targets (
    user_id     TEXT NOT NULL,
    strategy_id TEXT NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    -- `ref:<external_reference>` or `sym:<SYMBOL>`.
    target      TEXT NOT NULL CHECK (length(target) BETWEEN 5 AND 132),
    body_hash   BLOB NOT NULL CHECK (length(body_hash) = 32),
    trade_id    TEXT NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
    event_id    TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (user_id, strategy_id, target)
) STRICT;

CREATE TABLE receipt_keys (
    user_id         TEXT NOT NULL,
    strategy_id     TEXT NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    body_hash       BLOB NOT NULL CHECK (length(body_hash) = 32),
    trade_id        TEXT NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (user_id, strategy_id, idempotency_key)
) STRICT;
CREATE INDEX receipt_targets_age ON receipt_targets (strategy_id, at);
CREATE INDEX receipt_keys_age ON receipt_keys (strategy_id, at);
CREATE INDEX receipt_targets_trade ON receipt_targets (trade_id);
CREATE INDEX receipt_keys_trade ON receipt_keys (trade_id);

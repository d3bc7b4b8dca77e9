-- Quantarya's journal. The constraints carry the rules that must hold under concurrency and across instances;
-- the domain decides everything else before a row is written.

CREATE TABLE users (
    id                     TEXT PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 255),
    email                  TEXT NOT NULL,
    user_name              TEXT NOT NULL CHECK (user_name = lower(user_name)),
    display_name           TEXT,
    bio                    TEXT,
    public_profile_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);
-- Unique regardless of case (names are stored lowercase; the index makes that a guarantee, not a habit).
CREATE UNIQUE INDEX users_user_name_key ON users (lower(user_name));

CREATE TABLE strategies (
    id          UUID PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT,
    tags        TEXT[] NOT NULL DEFAULT '{}',
    is_public   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    -- Lets trades name their owner and have the database check it.
    UNIQUE (id, user_id)
);
CREATE INDEX strategies_by_owner ON strategies (user_id, id DESC);

CREATE TABLE trades (
    id                 UUID PRIMARY KEY,
    strategy_id        UUID NOT NULL,
    -- The strategy's owner, kept on the trade so that every owner-scoped read is one indexed statement.
    user_id            TEXT NOT NULL,
    symbol             TEXT NOT NULL,
    side               TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    status             TEXT NOT NULL CHECK (status IN ('OPEN', 'CLOSED', 'CANCELLED')),
    event              TEXT NOT NULL CHECK (event IN ('entry', 'update', 'exit')),
    entry              DOUBLE PRECISION CHECK (entry > 0 AND entry <= 1e12),
    stop_loss          DOUBLE PRECISION CHECK (stop_loss > 0 AND stop_loss <= 1e12),
    take_profit        DOUBLE PRECISION CHECK (take_profit > 0 AND take_profit <= 1e12),
    close_price        DOUBLE PRECISION CHECK (close_price > 0 AND close_price <= 1e12),
    opened_at          TIMESTAMPTZ NOT NULL,
    closed_at          TIMESTAMPTZ,
    signal_time        TIMESTAMPTZ,
    timeframe          TEXT,
    source             TEXT,
    external_reference TEXT,
    -- The free-form objects are JSON, not JSONB, so that they come back exactly as given (JSONB rewrites numbers).
    signal             JSON  CHECK (json_typeof(signal) = 'object'),
    market             JSON  CHECK (json_typeof(market) = 'object'),
    risk               JSON  CHECK (json_typeof(risk) = 'object'),
    context            JSON  CHECK (json_typeof(context) = 'object'),
    meta               JSON  CHECK (json_typeof(meta) = 'object'),
    origin             TEXT NOT NULL CHECK (origin IN ('manual', 'api_key')),
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            BIGINT NOT NULL CHECK (version >= 1),
    FOREIGN KEY (strategy_id, user_id) REFERENCES strategies (id, user_id) ON DELETE CASCADE,
    CONSTRAINT trades_terminal_iff_closed_at CHECK ((status = 'OPEN') = (closed_at IS NULL)),
    CONSTRAINT trades_closed_after_opened CHECK (closed_at IS NULL OR closed_at >= opened_at),
    CONSTRAINT trades_close_price_only_when_closed CHECK (close_price IS NULL OR status = 'CLOSED')
);
-- At most one open trade per strategy and reference: two racing identical entries make one trade.
CREATE UNIQUE INDEX trades_open_reference_key ON trades (strategy_id, external_reference)
    WHERE status = 'OPEN' AND external_reference IS NOT NULL;
-- At most one open trade without a reference per strategy and symbol (such signals match by symbol).
CREATE UNIQUE INDEX trades_open_unreferenced_symbol_key ON trades (strategy_id, symbol)
    WHERE status = 'OPEN' AND external_reference IS NULL;
-- Lists: newest first with a keyset cursor.
CREATE INDEX trades_by_opening ON trades (strategy_id, opened_at DESC, id DESC);
-- Open trades by symbol (signals without a reference).
CREATE INDEX trades_open_by_symbol ON trades (strategy_id, symbol) WHERE status = 'OPEN';
-- The latest trade of a reference (repeated exits).
CREATE INDEX trades_by_reference ON trades (strategy_id, external_reference, id DESC)
    WHERE external_reference IS NOT NULL;

CREATE TABLE trade_events (
    id            UUID PRIMARY KEY,
    trade_id      UUID NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL CHECK (version >= 1),
    kind          TEXT NOT NULL CHECK (kind IN ('entry', 'update', 'exit', 'close', 'cancel', 'correct')),
    at            TIMESTAMPTZ NOT NULL,
    by_credential TEXT NOT NULL CHECK (by_credential IN ('user', 'api_key')),
    -- The fields the change set, in order: [{"field": …, "value": …}, …]. JSON, not JSONB: kept as given.
    changes       JSON NOT NULL CHECK (json_typeof(changes) = 'array'),
    UNIQUE (trade_id, version)
);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL CHECK (char_length(prefix) = 7),
    hash         BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX api_keys_by_owner ON api_keys (user_id, id);

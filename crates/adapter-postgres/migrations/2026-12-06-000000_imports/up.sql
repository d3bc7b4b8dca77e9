-- Imports: a file of trades brought into a strategy whole. Each trade it made is remembered with its key (a
-- strategy holds one trade per key, so importing a file again makes nothing twice, even racing) and leaves with it.
CREATE TABLE imports (
    id          UUID PRIMARY KEY,
    strategy_id UUID NOT NULL,
    user_id     TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('tradingview', 'quantarya')),
    created     BIGINT NOT NULL CHECK (created >= 0),
    duplicates  BIGINT NOT NULL CHECK (duplicates >= 0),
    created_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (strategy_id, user_id) REFERENCES strategies (id, user_id) ON DELETE CASCADE,
    -- Lets an imported trade name its import and strategy together.
    UNIQUE (id, strategy_id)
);
CREATE INDEX imports_by_strategy ON imports (strategy_id, created_at DESC, id DESC);

-- The trades an import made, by key. The key is claimed before its trade is written in the same transaction, so
-- the trade's foreign key is checked at commit.
CREATE TABLE trade_imports (
    trade_id    UUID PRIMARY KEY REFERENCES trades (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    import_id   UUID NOT NULL,
    strategy_id UUID NOT NULL,
    import_key  TEXT NOT NULL,
    FOREIGN KEY (import_id, strategy_id) REFERENCES imports (id, strategy_id) ON DELETE CASCADE,
    CONSTRAINT trade_imports_key UNIQUE (strategy_id, import_key)
);
CREATE INDEX trade_imports_by_import ON trade_imports (import_id);

ALTER TABLE trades DROP CONSTRAINT trades_origin_check;
ALTER TABLE trades ADD CONSTRAINT trades_origin_check CHECK (origin IN ('manual', 'api_key', 'import'));
-- A trade's best and worst prices (max_favorable_price, max_adverse_price) are kept in its position document.

-- Imports: a file of trades brought into a strategy whole. Each trade it made is remembered with its key (a
-- strategy holds one trade per key, so importing a file again makes nothing twice) and leaves with it.
CREATE TABLE imports (
    id          TEXT PRIMARY KEY,
    strategy_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('tradingview', 'quantarya')),
    created     INTEGER NOT NULL CHECK (created >= 0),
    duplicates  INTEGER NOT NULL CHECK (duplicates >= 0),
    created_at  INTEGER NOT NULL,
    FOREIGN KEY (strategy_id, user_id) REFERENCES strategies (id, user_id) ON DELETE CASCADE,
    UNIQUE (id, strategy_id)
) STRICT;
CREATE INDEX imports_by_strategy ON imports (strategy_id, created_at DESC, id DESC);

-- The trades an import made, by key. The key is claimed before its trade is written in the same transaction, so
-- the trade's foreign key is checked at commit.
CREATE TABLE trade_imports (
    trade_id    TEXT PRIMARY KEY REFERENCES trades (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    import_id   TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    import_key  TEXT NOT NULL,
    FOREIGN KEY (import_id, strategy_id) REFERENCES imports (id, strategy_id) ON DELETE CASCADE,
    CONSTRAINT trade_imports_key UNIQUE (strategy_id, import_key)
) STRICT;
CREATE INDEX trade_imports_by_import ON trade_imports (import_id);

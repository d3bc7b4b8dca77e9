-- Signal receipts (repeats are recognised by them): the latest receipt of each signal target of a strategy, and
-- the receipts held under idempotency keys. Written in the transaction of the trade change they belong to; the
-- primary keys decide between racing requests. A receipt goes with its trade and its strategy.
CREATE TABLE receipt_targets (
    user_id     TEXT NOT NULL,
    strategy_id UUID NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    -- `ref:<external_reference>` or `sym:<SYMBOL>`.
    target      TEXT NOT NULL CHECK (char_length(target) BETWEEN 5 AND 132),
    body_hash   BYTEA NOT NULL CHECK (length(body_hash) = 32),
    trade_id    UUID NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
    event_id    UUID NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, strategy_id, target)
);

CREATE TABLE receipt_keys (
    user_id         TEXT NOT NULL,
    strategy_id     UUID NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
    body_hash       BYTEA NOT NULL CHECK (length(body_hash) = 32),
    trade_id        UUID NOT NULL REFERENCES trades (id) ON DELETE CASCADE,
    event_id        UUID NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, strategy_id, idempotency_key)
);

-- The purge of receipts that no longer count reads them by age within a strategy.
CREATE INDEX receipt_targets_age ON receipt_targets (strategy_id, at);
CREATE INDEX receipt_keys_age ON receipt_keys (strategy_id, at);
-- Deleting a trade finds its receipts.
CREATE INDEX receipt_targets_trade ON receipt_targets (trade_id);
CREATE INDEX receipt_keys_trade ON receipt_keys (trade_id);

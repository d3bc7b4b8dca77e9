-- Outbound webhooks: subscriptions, the trade as each announced change left it, and one delivery per change and
-- subscription. A trade write records its deliveries in the same transaction as the change (the outbox), so a
-- crash cannot lose one; the delivery worker claims due rows under a claim that ends.
CREATE TABLE webhooks (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    events       TEXT NOT NULL CHECK (json_type(events) = 'array'),
    strategy_ids TEXT CHECK (strategy_ids IS NULL OR json_type(strategy_ids) = 'array'),
    secret       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    disabled_at  INTEGER
) STRICT;
CREATE INDEX webhooks_by_user ON webhooks (user_id, created_at, id);

-- The trade as a change left it, once per change that some subscription wanted: the trade's row as JSON.
CREATE TABLE webhook_trades (
    event_id TEXT PRIMARY KEY,
    trade    TEXT NOT NULL CHECK (json_type(trade) = 'object')
) STRICT;

CREATE TABLE webhook_deliveries (
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES webhook_trades (event_id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    trade_id        TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status     INTEGER,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    next_attempt_at INTEGER,
    finished_at     INTEGER,
    claim           TEXT,
    claimed_until   INTEGER,
    PRIMARY KEY (webhook_id, event_id),
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL AND finished_at IS NULL))
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_listed ON webhook_deliveries (webhook_id, created_at DESC, event_id DESC);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

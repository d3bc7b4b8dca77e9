-- Outbound webhooks: subscriptions, the trade as each announced change left it, and one delivery per change and
-- subscription. A trade write records its deliveries in the same statement as the change (the outbox), so a crash
-- cannot lose one; the delivery worker claims due rows with FOR UPDATE SKIP LOCKED and a claim that ends.
CREATE TABLE webhooks (
    id           UUID PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    events       TEXT[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY[
                     'trade.opened', 'trade.updated', 'trade.closed', 'trade.cancelled']::TEXT[]),
    strategy_ids UUID[] CHECK (strategy_ids IS NULL OR cardinality(strategy_ids) > 0),
    secret       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    disabled_at  TIMESTAMPTZ
);
CREATE INDEX webhooks_by_user ON webhooks (user_id, created_at, id);

-- The trade as a change left it, once per change that some subscription wanted: the columns of `trades` (a
-- migration that adds one there adds it here too; the trade write names every column of TRADE_COLUMNS in both).
CREATE TABLE webhook_trades (
    event_id UUID PRIMARY KEY,
    LIKE trades
);

CREATE TABLE webhook_deliveries (
    webhook_id      UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        UUID NOT NULL REFERENCES webhook_trades (event_id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    trade_id        UUID NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status     INTEGER,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    next_attempt_at TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    claim           UUID,
    claimed_until   TIMESTAMPTZ,
    PRIMARY KEY (webhook_id, event_id),
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL AND finished_at IS NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_listed ON webhook_deliveries (webhook_id, created_at DESC, event_id DESC);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending';
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

-- The signal log: what reached each strategy's signal route and what became of it, for a week, the 1000 newest per
-- strategy (reads show no more; the writer purges the excess and what is past the week as it goes). Rows are
-- written in batches off the request path. `trade_id` and `api_key_id` are what the answer named: no foreign key,
-- so the log still says what happened after a trade is deleted or a key revoked.
CREATE TABLE signal_log (
    id             UUID PRIMARY KEY,
    strategy_id    UUID NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    received_at    TIMESTAMPTZ NOT NULL,
    event          TEXT CHECK (char_length(event) <= 32),
    status         SMALLINT NOT NULL CHECK (status BETWEEN 100 AND 599),
    message        TEXT NOT NULL,
    code           TEXT,
    details        JSONB NOT NULL DEFAULT '[]',
    trade_id       UUID,
    repeat         BOOLEAN NOT NULL,
    api_key_id     UUID,
    body           TEXT NOT NULL CHECK (octet_length(body) <= 4096),
    body_truncated BOOLEAN NOT NULL
);

CREATE INDEX signal_log_by_strategy ON signal_log (strategy_id, received_at DESC, id DESC);
CREATE INDEX signal_log_by_arrival ON signal_log (received_at);

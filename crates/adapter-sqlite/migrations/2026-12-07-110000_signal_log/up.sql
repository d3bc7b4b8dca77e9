-- Each strategy's signal log: what reached it and what became of it, the newest thousand of the last week (the
-- writer purges the rest in the transaction that adds to it). Goes with its strategy.
CREATE TABLE signal_log (
    id             TEXT PRIMARY KEY,
    strategy_id    TEXT NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
    received_at    INTEGER NOT NULL,
    event          TEXT,
    status         INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),
    message        TEXT NOT NULL,
    code           TEXT,
    details        TEXT NOT NULL DEFAULT '[]' CHECK (json_type(details) = 'array'),
    trade_id       TEXT,
    repeat         INTEGER NOT NULL CHECK (repeat IN (0, 1)),
    api_key_id     TEXT,
    body           TEXT NOT NULL,
    body_truncated INTEGER NOT NULL CHECK (body_truncated IN (0, 1))
) STRICT;
CREATE INDEX signal_log_by_arrival ON signal_log (strategy_id, received_at DESC, id DESC);

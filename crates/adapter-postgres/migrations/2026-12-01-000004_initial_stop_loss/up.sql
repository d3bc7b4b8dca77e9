-- The first stop loss a trade had: the risk its R is measured in, which moving the stop later does not change.
ALTER TABLE trades ADD COLUMN initial_stop_loss DOUBLE PRECISION
    CHECK (initial_stop_loss > 0 AND initial_stop_loss <= 1e12);
-- Existing trades: the first stop loss their history set.
UPDATE trades t SET initial_stop_loss = (
    SELECT (c ->> 'value')::double precision
    FROM trade_events e, json_array_elements(e.changes) c
    WHERE e.trade_id = t.id AND c ->> 'field' = 'stop_loss' AND json_typeof(c -> 'value') = 'number'
    ORDER BY e.version
    LIMIT 1
);
-- A trade with a stop has had a first one.
ALTER TABLE trades ADD CONSTRAINT trades_stop_has_initial CHECK (stop_loss IS NULL OR initial_stop_loss IS NOT NULL);

ALTER TABLE trade_events DROP CONSTRAINT trade_events_kind_check;
-- Scale-ins and partial exits read as updates of the trades, which keep their entry and close.
UPDATE trade_events SET kind = 'update' WHERE kind IN ('add', 'reduce');
ALTER TABLE trade_events ADD CONSTRAINT trade_events_kind_check
    CHECK (kind IN ('entry', 'update', 'exit', 'close', 'cancel', 'correct'));
ALTER TABLE trades DROP COLUMN position;

ALTER TABLE trade_events DROP CONSTRAINT trade_events_kind_check;
ALTER TABLE trade_events ADD CONSTRAINT trade_events_kind_check
    CHECK (kind IN ('entry', 'update', 'exit', 'close', 'cancel', 'correct'));
ALTER TABLE trades DROP COLUMN position;

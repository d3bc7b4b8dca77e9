-- Whether a trade counts in the live record (contract section 7): its entry came through an API key, OPEN, within
-- 5 minutes of its signal time (or without one), and no number of it was corrected since. The domain keeps the
-- flag on every write; this fills it in for the trades written before, from their history, by the same rules
-- (quantarya_domain::live_from_history).
ALTER TABLE trades ADD COLUMN live boolean NOT NULL DEFAULT false;

UPDATE trades t
SET live = true
WHERE t.origin = 'api_key'
  AND (t.signal_time IS NULL OR t.created_at - t.signal_time <= interval '5 minutes')
  AND EXISTS (
    SELECT 1
    FROM trade_events e, json_array_elements(e.changes) c
    WHERE e.trade_id = t.id AND e.version = 1 AND e.kind = 'entry' AND e.by_credential = 'api_key'
      AND c ->> 'field' = 'status' AND c ->> 'value' = 'OPEN'
  )
  AND NOT EXISTS (
    SELECT 1
    FROM trade_events e, json_array_elements(e.changes) c
    WHERE e.trade_id = t.id AND e.version > 1
      AND (
        (e.kind = 'correct' AND c ->> 'field' IN (
          'status', 'symbol', 'side', 'entry', 'stop_loss', 'close_price', 'max_favorable_price',
          'max_adverse_price', 'opened_at', 'closed_at', 'signal_time', 'quantity', 'point_value', 'fees', 'fills'))
        OR (e.kind = 'update' AND c ->> 'field' = 'fees')
        OR (e.kind = 'update' AND c ->> 'field' = 'entry' AND EXISTS (
          SELECT 1
          FROM trade_events before, json_array_elements(before.changes) b
          WHERE before.trade_id = t.id AND before.version < e.version
            AND b ->> 'field' = 'entry' AND json_typeof(b -> 'value') = 'number'))
      )
  );

ALTER TABLE trades ADD CONSTRAINT trades_live_only_by_api_key CHECK (NOT live OR origin = 'api_key');

-- Whether a trade counts in the live record (contract section 7): its entry came through an API key, OPEN, within
-- 5 minutes of its signal time (or without one), and nothing in its history since is a correction. The domain keeps
-- the flag on every write; this fills it in for the trades written before, from their history, by the same rules
-- (quantarya_domain::live_from_history and is_correction).
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
  -- A position taken on or off by a user's hand.
  AND NOT EXISTS (
    SELECT 1 FROM trade_events e
    WHERE e.trade_id = t.id AND e.version > 1 AND e.by_credential = 'user'
      AND e.kind IN ('add', 'reduce', 'exit', 'close')
  )
  AND NOT EXISTS (
    SELECT 1
    FROM trade_events e, json_array_elements(e.changes) c
    WHERE e.trade_id = t.id AND e.version > 1
      AND (
        -- A correction of a closed or cancelled trade's numbers.
        (e.kind = 'correct' AND c ->> 'field' IN (
          'status', 'symbol', 'side', 'entry', 'stop_loss', 'close_price', 'max_favorable_price',
          'max_adverse_price', 'opened_at', 'closed_at', 'signal_time', 'quantity', 'point_value', 'fees', 'fills'))
        -- A fees total set on an open trade.
        OR (e.kind = 'update' AND c ->> 'field' = 'fees')
        -- An excursion set or cleared by a user's hand.
        OR (e.by_credential = 'user' AND c ->> 'field' IN ('max_favorable_price', 'max_adverse_price'))
        -- A close or a fill dated more than 5 minutes before it arrived.
        OR (c ->> 'field' = 'closed_at' AND json_typeof(c -> 'value') = 'string'
            AND e.at - (c ->> 'value')::timestamptz > interval '5 minutes')
        OR (c ->> 'field' = 'fills' AND EXISTS (
              SELECT 1 FROM json_array_elements(c -> 'value') f
              WHERE e.at - (f ->> 'at')::timestamptz > interval '5 minutes'))
        -- An entry price rewritten by an update or set by hand; a first entry price or stop set by hand or more
        -- than 5 minutes after the opening.
        OR (c ->> 'field' IN ('entry', 'stop_loss') AND json_typeof(c -> 'value') = 'number' AND (
              CASE WHEN EXISTS (
                     SELECT 1
                     FROM trade_events b, json_array_elements(b.changes) bc
                     WHERE b.trade_id = t.id AND b.version < e.version
                       AND bc ->> 'field' = c ->> 'field' AND json_typeof(bc -> 'value') = 'number')
                   THEN c ->> 'field' = 'entry' AND (e.kind = 'update' OR e.by_credential = 'user')
                   ELSE e.by_credential = 'user' OR e.at - t.opened_at > interval '5 minutes'
              END))
      )
  );

ALTER TABLE trades ADD CONSTRAINT trades_live_only_by_api_key CHECK (NOT live OR origin = 'api_key');

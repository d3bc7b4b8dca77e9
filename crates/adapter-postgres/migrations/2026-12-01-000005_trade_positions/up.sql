-- A trade as a position (contract section 5a): its point value, its total fees and its fills, one document the
-- domain reads back whole and checks: {"point_value": 1, "fees": "0", "fills": [{"kind", "price", "quantity",
-- "fees", "at"}, ...]}, sizes and fees as decimal strings so that they stay exact.
ALTER TABLE trades ADD COLUMN position JSONB;
-- Existing trades have no size: their entry and, once closed, their exit are their fills.
UPDATE trades SET position = jsonb_build_object(
    'point_value', 1,
    'fees', '0',
    'fills', jsonb_build_array(jsonb_build_object(
        'kind', 'entry', 'price', entry, 'quantity', NULL, 'fees', '0',
        'at', to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    )) || CASE WHEN status = 'CLOSED' THEN jsonb_build_array(jsonb_build_object(
        'kind', 'exit', 'price', close_price, 'quantity', NULL, 'fees', '0',
        'at', to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    )) ELSE '[]'::jsonb END
);
ALTER TABLE trades ALTER COLUMN position SET NOT NULL;
ALTER TABLE trades ADD CONSTRAINT trades_position_has_fills
    CHECK (jsonb_typeof(position -> 'fills') = 'array' AND jsonb_array_length(position -> 'fills') >= 1);
-- A position's history has two more kinds of change: a scale-in and a partial exit.
ALTER TABLE trade_events DROP CONSTRAINT trade_events_kind_check;
ALTER TABLE trade_events ADD CONSTRAINT trade_events_kind_check
    CHECK (kind IN ('entry', 'add', 'update', 'reduce', 'exit', 'close', 'cancel', 'correct'));

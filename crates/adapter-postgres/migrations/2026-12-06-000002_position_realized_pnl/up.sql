-- Statistics read a closed trade's realized P&L on its own, not its whole position document (the fills, with their
-- times, are most of a row): every write now keeps it in the document as "realized_pnl", worked out by the domain
-- (TradeRecord::realized_pnl). This works it out for the trades written before, by the same rule and in the
-- same order of operations: for a sized trade with an entry price, the sum over its exit fills, oldest first, of
-- direction * (price - entry) * quantity * point_value, less its fees; null without a size, without an entry price,
-- or with an exit whose price is unknown.
UPDATE trades t
SET position = t.position || jsonb_build_object('realized_pnl', p.pnl)
FROM (
  SELECT t2.id,
         CASE
           WHEN t2.entry IS NULL OR t2.position -> 'fills' -> 0 ->> 'quantity' IS NULL THEN NULL
           WHEN bool_or(e.fill IS NOT NULL AND e.fill ->> 'price' IS NULL) THEN NULL
           ELSE COALESCE(
                  sum((CASE WHEN t2.side = 'SELL' THEN -1.0::float8 ELSE 1.0::float8 END)
                        * ((e.fill ->> 'price')::float8 - t2.entry)
                        * (e.fill ->> 'quantity')::float8
                        * (t2.position ->> 'point_value')::float8
                      ORDER BY e.n),
                  0.0::float8)
                - (t2.position ->> 'fees')::float8
         END AS pnl
  FROM trades t2
  LEFT JOIN LATERAL jsonb_array_elements(t2.position -> 'fills') WITH ORDINALITY AS e(fill, n)
    ON e.fill ->> 'kind' = 'exit'
  GROUP BY t2.id
) p
WHERE p.id = t.id AND NOT (t.position ? 'realized_pnl');

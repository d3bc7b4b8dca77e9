-- Statistics read a strategy's closed trades in close order. The status is a key column rather than a partial
-- index predicate: the query binds it as a parameter, and a cached (generic) plan could not prove a predicate
-- `status = 'CLOSED'` from `status = $n`, so it would fall back to a scan and a sort.
CREATE INDEX trades_closed_in_order ON trades (strategy_id, status, closed_at, id);

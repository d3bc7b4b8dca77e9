-- Statistics read a strategy's closed trades in close order.
CREATE INDEX trades_closed_in_order ON trades (strategy_id, closed_at, id) WHERE status = 'CLOSED';

DELETE FROM trades WHERE origin = 'import';
ALTER TABLE trades DROP CONSTRAINT trades_origin_check;
ALTER TABLE trades ADD CONSTRAINT trades_origin_check CHECK (origin IN ('manual', 'api_key'));
DROP TABLE trade_imports;
DROP TABLE imports;

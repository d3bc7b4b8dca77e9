ALTER TABLE trades DROP CONSTRAINT trades_live_only_by_api_key;
ALTER TABLE trades DROP COLUMN live;

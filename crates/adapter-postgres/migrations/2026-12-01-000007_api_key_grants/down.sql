ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN strategy_ids, DROP COLUMN scopes;

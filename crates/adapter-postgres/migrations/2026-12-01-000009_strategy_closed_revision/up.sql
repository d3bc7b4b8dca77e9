-- The revision of a strategy's closed trades: every write that adds, changes or removes a closed or cancelled trade
-- of the strategy moves it on, in the same statement (or transaction), so a public profile keeps each strategy's
-- statistics until it moves. Writes of open trades (most signals) leave it alone.
ALTER TABLE strategies ADD COLUMN closed_revision BIGINT NOT NULL DEFAULT 0;

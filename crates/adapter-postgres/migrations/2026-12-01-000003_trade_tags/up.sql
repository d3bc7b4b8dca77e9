-- A trade's tags: the setups and mistakes a trader reviews by (the strategy tag rules, checked by the domain).
ALTER TABLE trades ADD COLUMN tags TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10);

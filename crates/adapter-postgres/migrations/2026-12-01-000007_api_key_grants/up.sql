-- What a key may do, fixed when it is made: its scopes (a key made before scopes existed keeps all three, as the
-- reference's keys did), the strategies it is confined to (NULL: all of its owner's) and when it stops working.
ALTER TABLE api_keys
    ADD COLUMN scopes TEXT[] NOT NULL DEFAULT ARRAY['signals', 'read', 'manage']
        CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['signals', 'read', 'manage']),
    ADD COLUMN strategy_ids UUID[]
        CHECK (strategy_ids IS NULL OR cardinality(strategy_ids) BETWEEN 1 AND 100),
    ADD COLUMN expires_at TIMESTAMPTZ;

-- Profiles, strategies and API keys. Ids are UUIDs as text, times are microseconds since the Unix epoch (exact, and
-- ordered as numbers), lists are JSON arrays as text.
CREATE TABLE users (
    id                     TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
    email                  TEXT NOT NULL,
    user_name              TEXT NOT NULL CHECK (user_name = lower(user_name)),
    display_name           TEXT,
    bio                    TEXT,
    public_profile_enabled INTEGER NOT NULL CHECK (public_profile_enabled IN (0, 1)),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_user_name_key ON users (lower(user_name));

CREATE TABLE strategies (
    id                     TEXT PRIMARY KEY,
    user_id                TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title                  TEXT NOT NULL,
    description            TEXT,
    tags                   TEXT NOT NULL DEFAULT '[]' CHECK (json_type(tags) = 'array'),
    is_public              INTEGER NOT NULL CHECK (is_public IN (0, 1)),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    currency               TEXT,
    max_signal_age_seconds INTEGER CHECK (max_signal_age_seconds BETWEEN 1 AND 86400),
    -- Bumped by every write of a closed trade of the strategy, in the same statement (cached statistics' key).
    closed_revision        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (id, user_id)
) STRICT;
CREATE INDEX strategies_by_owner ON strategies (user_id, id DESC);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    scopes       TEXT NOT NULL CHECK (json_type(scopes) = 'array'),
    strategy_ids TEXT CHECK (strategy_ids IS NULL OR json_type(strategy_ids) = 'array'),
    expires_at   INTEGER
) STRICT;
CREATE INDEX api_keys_by_owner ON api_keys (user_id, id);

-- Every instance keeps verified API keys in memory and listens on `quantarya_api_keys`: a key row deleted (revoked,
-- or cascaded from its account) or given another owner or hash notifies its id, on commit, and every instance
-- forgets it. `last_used_at` changes notify nothing.
CREATE FUNCTION quantarya_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('quantarya_api_keys', OLD.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_change
    AFTER DELETE OR UPDATE OF hash, user_id ON api_keys
    FOR EACH ROW EXECUTE FUNCTION quantarya_api_key_changed();

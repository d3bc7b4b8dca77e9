DROP TRIGGER api_keys_notify_change ON api_keys;
DROP FUNCTION quantarya_api_key_changed();

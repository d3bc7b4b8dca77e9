ALTER TABLE strategies DROP COLUMN max_signal_age_seconds;

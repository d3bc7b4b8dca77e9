-- How old, in seconds, an entry's signal_time may be when it arrives (NULL: any age). The trade write refuses an
-- older entry in the same statement that checks the strategy's owner, so the check costs no round trip.
ALTER TABLE strategies
    ADD COLUMN max_signal_age_seconds INTEGER CHECK (max_signal_age_seconds BETWEEN 1 AND 86400);

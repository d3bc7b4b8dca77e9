ALTER TABLE trades DROP COLUMN initial_stop_loss;

ALTER TABLE strategies DROP COLUMN currency;

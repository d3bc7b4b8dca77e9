ALTER TABLE strategies DROP COLUMN closed_revision;

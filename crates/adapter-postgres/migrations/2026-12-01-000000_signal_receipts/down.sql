DROP TABLE receipt_keys;
DROP TABLE receipt_targets;

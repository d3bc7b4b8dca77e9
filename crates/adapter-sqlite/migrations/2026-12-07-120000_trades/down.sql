DROP TABLE receipt_keys;
DROP TABLE receipt_targets;
DROP TABLE trade_events;
DROP TABLE trades;

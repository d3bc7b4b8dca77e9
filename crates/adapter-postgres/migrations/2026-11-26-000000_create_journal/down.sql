DROP TABLE api_keys;
DROP TABLE trade_events;
DROP TABLE trades;
DROP TABLE strategies;
DROP TABLE users;

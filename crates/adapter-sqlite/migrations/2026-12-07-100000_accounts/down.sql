DROP TABLE api_keys;
DROP TABLE strategies;
DROP TABLE users;

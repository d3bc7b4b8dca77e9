DROP TABLE signal_log;

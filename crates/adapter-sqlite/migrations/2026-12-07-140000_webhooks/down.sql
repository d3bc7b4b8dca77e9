DROP TABLE webhook_deliveries;
DROP TABLE webhook_trades;
DROP TABLE webhooks;

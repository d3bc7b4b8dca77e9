DROP INDEX trades_closed_in_order;

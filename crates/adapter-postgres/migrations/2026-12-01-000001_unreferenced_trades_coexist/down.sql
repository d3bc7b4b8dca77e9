-- Puts back the rule of one open trade without a reference per strategy and symbol (fails while two exist).
CREATE UNIQUE INDEX trades_open_unreferenced_symbol_key ON trades (strategy_id, symbol)
    WHERE status = 'OPEN' AND external_reference IS NULL;

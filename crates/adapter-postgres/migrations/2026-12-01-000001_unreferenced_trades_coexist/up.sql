-- An entry without a reference always makes a trade (repeats are recognised by receipts now): several open trades
-- of one symbol without a reference may coexist, for pyramiding and hedges.
DROP INDEX trades_open_unreferenced_symbol_key;

-- The unit of a strategy's fees and P&L (a label: nothing is converted).
ALTER TABLE strategies ADD COLUMN currency TEXT CHECK (currency ~ '^[A-Z0-9]{3,10}$');

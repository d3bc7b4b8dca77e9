UPDATE trades SET position = position - 'realized_pnl';

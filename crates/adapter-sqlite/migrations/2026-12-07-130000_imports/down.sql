DROP TABLE trade_imports;
DROP TABLE imports;

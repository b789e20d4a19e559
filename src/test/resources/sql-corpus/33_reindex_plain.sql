-- expect 5: REINDEX/notx, REINDEX/notx, REINDEX/notx, REINDEX, REINDEX
-- index 5: orders_pkey ON -
-- targets 4: orders
REINDEX DATABASE app;
REINDEX SYSTEM;
REINDEX SCHEMA public;
REINDEX TABLE orders;
REINDEX (CONCURRENTLY false) INDEX orders_pkey;

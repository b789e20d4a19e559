-- expect 4: ALTER_TABLE, OTHER_DDL, OTHER_DDL, OTHER_DDL
-- targets 1: events, events_2025_02
-- targets 2: events_staging
-- targets 3: orders, order_items
ALTER TABLE events ATTACH PARTITION events_2025_02 FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');
TRUNCATE TABLE events_staging;
LOCK TABLE orders, order_items IN SHARE ROW EXCLUSIVE MODE;
ANALYZE;

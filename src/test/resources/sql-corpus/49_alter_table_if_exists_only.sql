-- expect 2: ALTER_TABLE, ALTER_TABLE
-- targets 1: public.orders
-- targets 2: orders_2024
ALTER TABLE IF EXISTS ONLY public.orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders_2024 SET (autovacuum_vacuum_scale_factor = 0.01);

-- expect 4: VACUUM/notx, VACUUM/notx, OTHER_DDL, VACUUM/notx
-- targets 1: public.orders
-- targets 2: orders, order_items
-- targets 3: orders
VACUUM (VERBOSE, ANALYZE) public.orders;
vacuum analyze orders (status), order_items;
ANALYZE orders;
VACUUM;

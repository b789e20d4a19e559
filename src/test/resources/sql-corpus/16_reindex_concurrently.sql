-- expect 3: REINDEX_CONCURRENTLY/notx, REINDEX_CONCURRENTLY/notx, REINDEX_CONCURRENTLY/notx
-- index 1: orders_status_idx ON -
-- index 2: - ON public.orders
-- targets 3: orders_created_at_idx
REINDEX INDEX CONCURRENTLY orders_status_idx;
REINDEX (VERBOSE) TABLE CONCURRENTLY public.orders;
REINDEX (CONCURRENTLY, VERBOSE) INDEX orders_created_at_idx;

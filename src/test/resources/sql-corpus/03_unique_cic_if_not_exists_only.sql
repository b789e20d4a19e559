-- expect 1: CREATE_INDEX_CONCURRENTLY/notx
-- index 1: orders_external_ref_key ON public.orders
-- targets 1: public.orders
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_external_ref_key
    ON ONLY public.orders USING btree (external_ref) INCLUDE (status)
    WITH (fillfactor = 90);

-- expect 3: DROP_INDEX_CONCURRENTLY/notx, DROP_INDEX, DROP_INDEX
-- index 1: public.index_users_on_email ON -
-- index 2: old_idx ON -
-- targets 3: a_idx, b_idx
DROP INDEX CONCURRENTLY IF EXISTS public.index_users_on_email;
DROP INDEX IF EXISTS old_idx CASCADE;
DROP INDEX a_idx, b_idx;

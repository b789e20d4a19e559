-- expect 2: OTHER_DDL, CREATE_INDEX_CONCURRENTLY/notx
-- index 2: products_name_trgm_idx ON products
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX CONCURRENTLY products_name_trgm_idx ON products USING gin (name gin_trgm_ops);

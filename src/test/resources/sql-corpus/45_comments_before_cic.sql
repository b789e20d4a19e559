-- expect 2: CREATE_INDEX_CONCURRENTLY/notx, CREATE_INDEX
-- index 2: tiny_lookup_code_idx ON tiny_lookup
/* Why: checkout queries filter on customer_id; see INC-1234; */
-- owner: payments team
CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
/* plain CREATE INDEX holds SHARE on the table: fine for this 20-row table */ CREATE INDEX tiny_lookup_code_idx ON tiny_lookup (code);

-- expect 3: OTHER_DDL, OTHER_DDL, OTHER_DDL
-- targets 1: customers, public.products
-- targets 2: events
-- targets 3: -
CREATE TABLE order_lines (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  product_id bigint REFERENCES public.products ON DELETE SET NULL
);
CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');
CREATE TABLE events_archive (LIKE events INCLUDING ALL) PARTITION BY RANGE (created_at);

-- expect 2: ALTER_TABLE, ALTER_TABLE
-- targets 1: orders, customers
-- targets 2: orders
ALTER TABLE orders
  ADD CONSTRAINT orders_customer_id_fk FOREIGN KEY (customer_id)
  REFERENCES customers (id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fk;

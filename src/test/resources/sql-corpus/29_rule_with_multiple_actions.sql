-- expect 2: OTHER_DDL, OTHER_DDL
CREATE RULE orders_log AS ON UPDATE TO orders DO ALSO (
  INSERT INTO orders_log VALUES (old.id, 'update');
  UPDATE orders_stats SET updates = updates + 1
);
CREATE OR REPLACE VIEW open_orders AS SELECT * FROM orders WHERE status <> 'closed';

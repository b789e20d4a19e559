-- expect 2: OTHER_DDL, DML
CREATE OR REPLACE PROCEDURE close_order(p_id bigint)
LANGUAGE sql
BEGIN ATOMIC
  UPDATE orders SET status = 'closed', closed_at = now() WHERE id = p_id;
  INSERT INTO order_events (order_id, kind) VALUES (p_id, 'closed');
  UPDATE order_stats SET open = open - CASE WHEN p_id > 0 THEN 1 ELSE 0 END;
END;
CALL close_order(42);

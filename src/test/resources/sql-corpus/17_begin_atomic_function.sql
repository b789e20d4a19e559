-- expect 3: OTHER_DDL, OTHER_DDL, DML
CREATE FUNCTION order_total(p_order bigint) RETURNS numeric
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT COALESCE(SUM(CASE WHEN li.refunded THEN 0 ELSE li.amount END), 0)
    FROM line_items li WHERE li.order_id = p_order;
END;
CREATE OR REPLACE FUNCTION order_label(p_order bigint) RETURNS text
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT 'order; #' || p_order;
END;
SELECT order_total(1), order_label(1);

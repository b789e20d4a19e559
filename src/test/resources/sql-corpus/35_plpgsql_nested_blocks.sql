-- expect 2: OTHER_DDL, OTHER_DDL
CREATE OR REPLACE PROCEDURE archive_orders(p_before date)
LANGUAGE plpgsql AS $proc$
BEGIN
  BEGIN
    INSERT INTO orders_archive SELECT * FROM orders WHERE created_at < p_before;
  EXCEPTION WHEN unique_violation THEN
    RAISE WARNING 'already archived; skipping';
  END;
  DELETE FROM orders WHERE created_at < p_before;
END;
$proc$;
GRANT EXECUTE ON PROCEDURE archive_orders(date) TO app_admin;

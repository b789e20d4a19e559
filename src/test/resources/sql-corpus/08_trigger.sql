-- expect 4: OTHER_DDL, OTHER_DDL, OTHER_DDL, OTHER_DDL
CREATE OR REPLACE FUNCTION orders_audit() RETURNS trigger AS $fn$
BEGIN
  INSERT INTO orders_audit(order_id, op, at) VALUES (NEW.id, TG_OP, now());
  RETURN NEW;
END;
$fn$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS orders_audit_trg ON orders;
CREATE TRIGGER orders_audit_trg
  AFTER INSERT OR UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_audit();
ALTER TRIGGER orders_audit_trg ON orders RENAME TO orders_audit_trigger;

-- expect 4: DML, DML, DML, DML
WITH batch AS (
  SELECT id FROM orders WHERE id > 1000 AND id <= 2000 AND status_v2 IS NULL
)
UPDATE orders o SET status_v2 = o.status::text FROM batch WHERE o.id = batch.id;
INSERT INTO feature_flags (name, enabled) VALUES ('new_checkout', false)
  ON CONFLICT (name) DO NOTHING;
DELETE FROM sessions WHERE expires_at < now() - interval '30 days';
MERGE INTO stock s USING deliveries d ON s.item_id = d.item_id
  WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty
  WHEN NOT MATCHED THEN INSERT (item_id, qty) VALUES (d.item_id, d.qty);

-- expect 2: DO_BLOCK/notx, DO_BLOCK
-- batched backfill that commits between batches (PG11+): must run outside a transaction block
DO LANGUAGE plpgsql $$
DECLARE
  last_id bigint := 0;
BEGIN
  LOOP
    UPDATE orders SET status_v2 = status::text
     WHERE id > last_id AND id <= last_id + 1000;
    EXIT WHEN NOT FOUND;
    last_id := last_id + 1000;
    COMMIT;
  END LOOP;
END
$$;
DO $$ BEGIN CREATE TEMP TABLE scratch (id int) ON COMMIT DROP; END $$;

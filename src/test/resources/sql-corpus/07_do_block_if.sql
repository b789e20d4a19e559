-- expect 2: DO_BLOCK, ALTER_TABLE
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'order_status') THEN
    CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
  END IF;
END
$$;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS status order_status;

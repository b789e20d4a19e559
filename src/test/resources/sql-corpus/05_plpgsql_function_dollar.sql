-- expect 2: OTHER_DDL, OTHER_DDL
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();   -- a comment; inside the body
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION set_updated_at() IS 'keeps updated_at current';

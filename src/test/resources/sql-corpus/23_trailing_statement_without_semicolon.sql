-- expect 2: ALTER_TABLE, ALTER_TABLE
ALTER TABLE orders ADD COLUMN note text;
ALTER TABLE orders ALTER COLUMN note SET DEFAULT ''
-- the last statement has no semicolon

-- expect 3: ALTER_TABLE, ALTER_TABLE, ALTER_TABLE
ALTER TABLE people ADD COLUMN full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED;
ALTER TABLE people ADD CONSTRAINT people_email_check CHECK (email LIKE '%_@_%;%' OR email IS NULL) NOT VALID;
ALTER TABLE people VALIDATE CONSTRAINT people_email_check;

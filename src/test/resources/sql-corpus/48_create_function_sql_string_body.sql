-- expect 4: OTHER_DDL, OTHER_DDL, OTHER_DDL, DML
CREATE FUNCTION add_one(int) RETURNS int AS 'SELECT $1 + 1; -- still the body' LANGUAGE sql IMMUTABLE;
CREATE FUNCTION is_begin(text) RETURNS boolean LANGUAGE sql RETURN $1 = 'begin';
-- psql would read this BEGIN as opening a body and swallow the next statement; BEGIN counts only before ATOMIC
CREATE FUNCTION begin() RETURNS int LANGUAGE sql RETURN 1;
SELECT begin();

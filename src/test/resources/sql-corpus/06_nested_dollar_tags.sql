-- expect 2: OTHER_DDL, DML
CREATE FUNCTION make_partition(p_day date) RETURNS void
LANGUAGE plpgsql AS $body$
DECLARE
  ddl text := $ddl$CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L);$ddl$;
BEGIN
  EXECUTE format(ddl, 'events_' || to_char(p_day, 'YYYYMMDD'), p_day, p_day + 1);
  RAISE NOTICE 'created; $$ is just text here';
END
$body$;
SELECT make_partition(current_date);

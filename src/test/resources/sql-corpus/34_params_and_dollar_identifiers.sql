-- expect 4: OTHER_DDL, DML, DML, OTHER_DDL
PREPARE add_flag(text, boolean) AS INSERT INTO feature_flags (name, enabled) VALUES ($1, $2);
EXECUTE add_flag('x$$y', true);
SELECT price$usd, a$$b, $1 FROM legacy;
DEALLOCATE add_flag;

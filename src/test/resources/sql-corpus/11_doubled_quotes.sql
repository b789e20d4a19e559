-- expect 2: DML, ALTER_TABLE
UPDATE settings SET value = 'O''Reilly; ''quoted''' WHERE key = 'publisher';
ALTER TABLE settings ADD CONSTRAINT settings_value_check CHECK (value <> '''');

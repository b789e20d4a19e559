-- expect 4: OTHER_DDL, OTHER_DDL, OTHER_DDL, OTHER_DDL
GRANT SELECT, INSERT ON orders TO app_rw;
REVOKE ALL ON orders FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app_ro;
COMMENT ON TABLE orders IS $c$Orders; see docs/orders.md ("the 'source of truth'")$c$;

-- expect 6: OTHER_DDL/notx, OTHER_DDL/notx, OTHER_DDL, OTHER_DDL/notx, OTHER_DDL, OTHER_DDL/notx
-- logical replication commands create/drop slots and copy data unless told otherwise: run outside a block
CREATE SUBSCRIPTION orders_sub CONNECTION 'host=primary dbname=shop' PUBLICATION orders_pub;
ALTER SUBSCRIPTION orders_sub REFRESH PUBLICATION;
ALTER SUBSCRIPTION orders_sub DISABLE;
ALTER DATABASE shop SET TABLESPACE fastspace;
ALTER DATABASE shop SET default_tablespace = 'fastspace';
DROP SUBSCRIPTION IF EXISTS orders_sub;

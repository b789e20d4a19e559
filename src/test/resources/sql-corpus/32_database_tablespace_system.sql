-- expect 7: CREATE_DATABASE/notx, DROP_DATABASE/notx, TABLESPACE/notx, TABLESPACE, TABLESPACE/notx, ALTER_SYSTEM/notx, ALTER_SYSTEM/notx
CREATE DATABASE reporting WITH TEMPLATE template0 ENCODING 'UTF8';
DROP DATABASE IF EXISTS reporting_old;
CREATE TABLESPACE fastspace LOCATION '/ssd1/postgresql/data';
ALTER TABLESPACE fastspace SET (random_page_cost = 1.1);
DROP TABLESPACE IF EXISTS slowspace;
ALTER SYSTEM SET idle_in_transaction_session_timeout = '60s';
ALTER SYSTEM RESET ALL;

-- expect 5: SESSION_SETTING, CLUSTER, CLUSTER/notx, SESSION_SETTING, SESSION_SETTING
-- targets 2: orders
SET lock_timeout = '2s';
CLUSTER orders USING orders_pkey;
CLUSTER VERBOSE;
RESET lock_timeout;
SET LOCAL statement_timeout = '5min';

-- expect 3: OTHER_DDL, OTHER_DDL, OTHER_DDL
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded' AFTER 'paid';
ALTER TYPE order_status ADD VALUE 'on;hold' BEFORE 'shipped';
ALTER TYPE order_status RENAME VALUE 'new' TO 'created';

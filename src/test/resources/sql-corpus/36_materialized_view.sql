-- expect 3: OTHER_DDL, CREATE_INDEX_CONCURRENTLY/notx, OTHER_DDL
-- index 2: daily_sales_day_key ON daily_sales
CREATE MATERIALIZED VIEW IF NOT EXISTS daily_sales AS
  SELECT date_trunc('day', created_at) AS day, sum(total) AS total FROM orders GROUP BY 1
WITH NO DATA;
CREATE UNIQUE INDEX CONCURRENTLY daily_sales_day_key ON daily_sales (day);
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;

-- The demo's starting schema for examples/quickstart.yaml: 10,000 orders with an integer status.
CREATE TABLE IF NOT EXISTS orders (
  id      bigserial PRIMARY KEY,
  status  int NOT NULL DEFAULT 0,
  total   numeric(10,2) NOT NULL DEFAULT 0
);
INSERT INTO orders (status, total) SELECT g % 4, g * 1.5 FROM generate_series(1, 10000) g;
ANALYZE orders;

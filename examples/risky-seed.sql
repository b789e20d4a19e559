-- The demo's starting schema for examples/risky.yaml: 200,000 orders, big enough that the lint calls it big.
CREATE TABLE IF NOT EXISTS orders (
  id      bigserial PRIMARY KEY,
  status  int NOT NULL DEFAULT 0,
  total   numeric(10,2) NOT NULL DEFAULT 0
);
INSERT INTO orders (status, total) SELECT g % 4, g * 1.5 FROM generate_series(1, 200000) g;
ANALYZE orders;

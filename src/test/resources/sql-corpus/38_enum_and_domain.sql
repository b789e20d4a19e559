-- expect 3: OTHER_DDL, OTHER_DDL, ALTER_TABLE
CREATE TYPE shipment_state AS ENUM ('label;printed', 'in transit', 'delivered');
CREATE DOMAIN us_postal_code AS text CHECK (VALUE ~ '^\d{5}$' OR VALUE ~ '^\d{5}-\d{4}$');
ALTER TABLE shipments ADD COLUMN state shipment_state NOT NULL DEFAULT 'label;printed';

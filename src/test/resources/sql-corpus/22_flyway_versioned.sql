-- expect 4: OTHER_DDL, OTHER_DDL, DML, SESSION_SETTING
-- V42__create_invoices.sql
CREATE SEQUENCE IF NOT EXISTS invoice_number_seq START 1000;
CREATE TABLE invoices (
    id bigserial PRIMARY KEY,
    number bigint NOT NULL DEFAULT nextval('invoice_number_seq'),
    total numeric(12,2) NOT NULL CHECK (total >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO invoices (total) VALUES (0.00), (19.99);
SET search_path TO public;

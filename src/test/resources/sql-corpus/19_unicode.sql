-- expect 3: OTHER_DDL, ALTER_TABLE, CREATE_INDEX_CONCURRENTLY/notx
-- index 3: produits_prix_€_idx ON produits
COMMENT ON TABLE produits IS 'Café — naïve; 日本語 ✓; emoji 🚀';
ALTER TABLE produits ADD COLUMN prix_€ numeric DEFAULT 0; -- « prix ; en euros »
CREATE INDEX CONCURRENTLY produits_prix_€_idx ON produits (prix_€);

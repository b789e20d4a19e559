-- expect 3: ALTER_TABLE, OTHER_DDL, OTHER_DDL
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY documents_owner ON documents
  USING (owner = current_setting('app.user; id', true)::bigint);
CREATE POLICY documents_insert ON documents FOR INSERT WITH CHECK (owner IS NOT NULL);

-- expect 3: OTHER_DDL, ALTER_TABLE, CREATE_INDEX_CONCURRENTLY/notx
--liquibase formatted sql
--changeset alice:42 runInTransaction:false
CREATE TABLE IF NOT EXISTS audit_log (id bigserial PRIMARY KEY, payload jsonb);
--rollback DROP TABLE audit_log;
--changeset alice:43
ALTER TABLE audit_log ADD COLUMN actor text;
--changeset alice:44 runInTransaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_actor_idx ON audit_log (actor);
--rollback DROP INDEX CONCURRENTLY audit_log_actor_idx;

-- expect 2: CREATE_INDEX_CONCURRENTLY/notx, DROP_INDEX_CONCURRENTLY/notx
-- index 1: index_ci_builds_on_project_id_and_status_active ON ci_builds
-- index 2: index_ci_builds_on_project_id ON -
CREATE INDEX CONCURRENTLY index_ci_builds_on_project_id_and_status_active ON ci_builds USING btree (project_id, status) WHERE ((status)::text = ANY ((ARRAY['running'::character varying, 'pending'::character varying])::text[]));
DROP INDEX CONCURRENTLY IF EXISTS index_ci_builds_on_project_id;

-- expect 2: CREATE_INDEX_CONCURRENTLY/notx, OTHER_DDL
-- index 1: idx_events_pending ON events
CREATE INDEX CONCURRENTLY idx_events_pending
    ON events (created_at)
    WHERE status = 'pending;retry' AND note <> 'it''s; fine';
COMMENT ON INDEX idx_events_pending IS 'partial; used by the retry worker';

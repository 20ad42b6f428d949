-- Bulk import: delete the stored copies that lost to a better one (`import_bulk_decisions`).
-- Runs in the batch's transaction, before import_bulk_insert.sql. Returns how many rows
-- went and their hours, whose rollups the transaction rebuilds.
WITH deleted AS (
    DELETE FROM events
    WHERE source = 'transcript'
      AND event_key IN (SELECT event_key FROM import_bulk_decisions
                        WHERE stored AND fate <> 'keep')
    RETURNING ts
)
SELECT count(*), list(DISTINCT date_trunc('hour', ts)) FILTER (WHERE ts IS NOT NULL)
FROM deleted

-- Bulk import: delete the stored copies that lost to a better one (`import_bulk_decisions`).
-- Runs in the batch's transaction, before import_bulk_keep.sql.
DELETE FROM events
WHERE source = 'transcript'
  AND event_key IN (SELECT event_key FROM import_bulk_decisions
                    WHERE stored AND fate <> 'keep')

-- Bulk import: surviving requests the store already has from telemetry (kept as copies
-- by import_bulk_keep.sql).
SELECT count(*) FROM import_bulk_keep WHERE event_name = 'transcript_copy'

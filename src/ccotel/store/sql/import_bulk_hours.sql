-- Bulk import: the hours of the candidates kept (those import_bulk_insert.sql inserts, and
-- the few tool calls it leaves to telemetry), whose rollups the batch's transaction rebuilds.
SELECT DISTINCT date_trunc('hour', make_timestamp(r.time_unix_nano // 1000))
FROM import_bulk_decisions d
JOIN import_bulk_rows r ON r.rowid = d.row_id
WHERE d.fate = 'keep' AND NOT d.stored

-- Bulk import: the lines DuckDB's reader refused, by file and byte position (read again
-- by the Python parser).
SELECT DISTINCT s.file_path, e.line_byte_position
FROM import_bulk_rejects e
JOIN import_bulk_scans s USING (scan_id, file_id)
ORDER BY ALL

-- Bulk import: rows read, by kind (requests, tool calls, and why lines were skipped).
SELECT skip, event_name, count(*) AS n
FROM import_bulk_rows
GROUP BY ALL

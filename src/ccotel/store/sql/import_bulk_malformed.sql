-- Bulk import: the lines that are not JSON objects, with their file and first characters.
SELECT file_index, excerpt
FROM import_bulk_rows
WHERE skip = 'malformed'
ORDER BY file_index, rowid

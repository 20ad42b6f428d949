-- Bulk import: insert the rows import_bulk_keep.sql chose. Returns the rows inserted.
INSERT INTO events BY NAME SELECT * FROM import_bulk_keep

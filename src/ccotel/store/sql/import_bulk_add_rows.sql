-- Bulk import: add the rows the Python parser made of refused lines (`import_bulk_extra`).
INSERT INTO import_bulk_rows BY NAME SELECT * FROM import_bulk_extra

-- Bulk import: drop a batch's working tables.
DROP TABLE IF EXISTS import_bulk_rows;
DROP TABLE IF EXISTS import_bulk_decisions;
DROP TABLE IF EXISTS import_bulk_keep;
DROP TABLE IF EXISTS import_bulk_rejects;
DROP TABLE IF EXISTS import_bulk_scans;

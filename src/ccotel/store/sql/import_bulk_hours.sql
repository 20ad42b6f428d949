-- Bulk import: the hours of the rows inserted (`import_bulk_keep`), whose rollups the
-- batch's transaction rebuilds.
SELECT DISTINCT date_trunc('hour', ts) FROM import_bulk_keep

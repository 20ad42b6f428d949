-- Bulk import: costs computed in Python (`import_bulk_costs`: rowid of the row, cost).
UPDATE import_bulk_rows r
SET cost_usd = c.cost
FROM import_bulk_costs c
WHERE c.row_id = r.rowid

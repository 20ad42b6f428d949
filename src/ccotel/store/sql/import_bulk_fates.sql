-- Bulk import: how many copies met each fate (keep, duplicate, replay), candidates and
-- stored copies apart, for the import's summary.
SELECT fate || CASE WHEN stored THEN '+stored' ELSE '' END AS fate, count(*) AS n
FROM import_bulk_decisions
GROUP BY ALL

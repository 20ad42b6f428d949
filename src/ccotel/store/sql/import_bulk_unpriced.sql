-- Bulk import: the (model, fast, UTC day) combinations that need a price.
SELECT DISTINCT model, coalesce(speed, '') = 'fast' AS fast,
       CAST(make_timestamp(time_unix_nano // 1000) AS DATE) AS day
FROM import_bulk_rows
WHERE event_name = 'api_request' AND skip IS NULL AND recorded_cost IS NULL
  AND model IS NOT NULL

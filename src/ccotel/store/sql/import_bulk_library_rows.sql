-- Bulk import: the requests of one model, speed and day whose price table is not linear
-- (priced one by one in Python).
SELECT rowid AS row_id, time_unix_nano, input_tokens, output_tokens, cache_read_tokens,
       cache_creation_5m_tokens, cache_creation_1h_tokens
FROM import_bulk_rows
WHERE event_name = 'api_request' AND skip IS NULL AND recorded_cost IS NULL
  AND model = $model
  AND (coalesce(speed, '') = 'fast') = $fast
  AND CAST(make_timestamp(time_unix_nano // 1000) AS DATE) = $day

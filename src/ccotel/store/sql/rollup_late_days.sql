-- The days before $before (the day of rolled_until) of the requests and failed requests
-- (attrib_hourly's rows) a commit just inserted, the table or view named $src as in
-- rollup_add_events.sql: the days of the daily rollups that rollups.add rebuilds.
SELECT DISTINCT date_trunc('day', ts) AS day FROM query_table($src)
WHERE ts < $before
  AND event_name IN ('api_request', 'api_error', 'api_refusal', 'api_retries_exhausted')

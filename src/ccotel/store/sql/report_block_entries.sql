-- Every counted request in time order, for `ccotel report blocks` (5-hour windows are
-- built in Python: a window's start depends on the previous one). Counting rules as in
-- report_periods.sql.
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE source = 'telemetry' AND event_name = 'api_request' AND request_id IS NOT NULL
)
SELECT
    e.ts,
    CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model,
    coalesce(e.input_tokens, 0) AS input_tokens,
    coalesce(e.output_tokens, 0) AS output_tokens,
    coalesce(e.cache_creation_tokens, 0) AS cache_creation_tokens,
    coalesce(e.cache_read_tokens, 0) AS cache_read_tokens,
    e.cost_usd::DOUBLE AS cost_usd
FROM events e
WHERE e.event_name = 'api_request'
  AND ($from IS NULL OR e.ts >= $from)
  AND ($to IS NULL OR e.ts < $to)
  AND ($source = 'all' OR e.source = $source)
  AND (e.source = 'telemetry'
       OR e.request_id IS NULL
       OR e.request_id NOT IN (SELECT request_id FROM telemetry_requests))
ORDER BY e.ts

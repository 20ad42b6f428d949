-- Per model: requests, tokens, cost, latency (telemetry only) and where the numbers come
-- from, for `ccotel report models`. Counting rules as in report_periods.sql.
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE source = 'telemetry' AND event_name = 'api_request' AND request_id IS NOT NULL
),
req AS (
    SELECT e.*,
        CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model_name
    FROM events e
    WHERE e.event_name = 'api_request'
      AND ($from IS NULL OR e.ts >= $from)
      AND ($to IS NULL OR e.ts < $to)
      AND ($source = 'all' OR e.source = $source)
      AND (e.source = 'telemetry'
           OR e.request_id IS NULL
           OR e.request_id NOT IN (SELECT request_id FROM telemetry_requests))
)
SELECT
    coalesce(model_name, '(unknown)') AS model,
    count(*) AS requests,
    count(DISTINCT session_id) AS sessions,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost_usd), 0)::DOUBLE AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
    avg(duration_ms) AS avg_duration_ms,
    count(*) FILTER (WHERE source = 'telemetry') AS telemetry_requests,
    count(*) FILTER (WHERE source = 'transcript') AS transcript_requests,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM req
GROUP BY ALL
ORDER BY cost_usd DESC, model

-- Tokens and cost per period ($grain: day, week or month, in time zone $tz) and model,
-- for `ccotel report daily|weekly|monthly`.
-- A request known from telemetry and from a transcript counts once, as telemetry
-- ($source 'transcript' means: requests known only from transcripts).
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE source = 'telemetry' AND event_name = 'api_request' AND request_id IS NOT NULL
),
req AS (
    SELECT
        (e.ts AT TIME ZONE 'UTC') AT TIME ZONE $tz AS local_ts,
        CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model,
        e.input_tokens, e.output_tokens, e.cache_creation_tokens, e.cache_read_tokens,
        e.cost_usd
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
    CASE $grain
        WHEN 'day' THEN strftime(local_ts, '%Y-%m-%d')
        WHEN 'week' THEN strftime(date_trunc('week', local_ts), '%Y-%m-%d')
        ELSE strftime(local_ts, '%Y-%m')
    END AS period,
    model,
    count(*) AS requests,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost_usd), 0)::DOUBLE AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced
FROM req
GROUP BY ALL
ORDER BY period, cost_usd DESC, model

-- Tokens and cost per session and model, with the session's span and project, for
-- `ccotel report session`. Counting rules as in report_periods.sql. A telemetry
-- session gets its project (cwd) from the transcript of the same session, if imported.
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE source = 'telemetry' AND event_name = 'api_request' AND request_id IS NOT NULL
),
session_projects AS (
    SELECT session_id, arg_max(project, ts) AS project
    FROM events
    WHERE source = 'transcript' AND project IS NOT NULL AND session_id IS NOT NULL
    GROUP BY session_id
),
req AS (
    SELECT
        e.session_id, e.ts, e.project,
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
    coalesce(r.session_id, '(none)') AS session_id,
    r.model,
    count(*) AS requests,
    coalesce(sum(r.input_tokens), 0) AS input_tokens,
    coalesce(sum(r.output_tokens), 0) AS output_tokens,
    coalesce(sum(r.cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(r.cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(r.cost_usd), 0)::DOUBLE AS cost_usd,
    count(*) FILTER (WHERE r.cost_usd IS NULL) AS unpriced,
    min(r.ts) AS first_ts,
    max(r.ts) AS last_ts,
    coalesce(arg_max(r.project, r.ts), any_value(p.project)) AS project
FROM req r
LEFT JOIN session_projects p USING (session_id)
GROUP BY ALL
ORDER BY last_ts, session_id, cost_usd DESC

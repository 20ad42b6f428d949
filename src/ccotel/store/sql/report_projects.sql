-- Per project (the cwd Claude Code ran in), and per project and model, for
-- `ccotel report projects`.
-- Telemetry carries no cwd: a telemetry session takes the project of its transcript
-- when that was imported. Counting rules as in report_periods.sql.
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
        coalesce(e.project, p.project, '(unknown)') AS project,
        e.session_id, e.ts,
        CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model,
        e.input_tokens, e.output_tokens, e.cache_creation_tokens, e.cache_read_tokens,
        e.cost_usd
    FROM events e
    LEFT JOIN session_projects p ON p.session_id = e.session_id
    WHERE e.event_name = 'api_request'
      AND ($from IS NULL OR e.ts >= $from)
      AND ($to IS NULL OR e.ts < $to)
      AND ($source = 'all' OR e.source = $source)
      AND (e.source = 'telemetry'
           OR e.request_id IS NULL
           OR e.request_id NOT IN (SELECT request_id FROM telemetry_requests))
)
SELECT
    project,
    model,
    GROUPING(model) = 1 AS is_total,
    count(*) AS requests,
    count(DISTINCT session_id) AS sessions,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost_usd), 0)::DOUBLE AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
    max(ts) AS last_ts
FROM req
GROUP BY GROUPING SETS ((project, model), (project))
ORDER BY project, is_total DESC, cost_usd DESC, model

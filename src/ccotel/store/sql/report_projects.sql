-- Per project (the cwd Claude Code ran in), and per project and model, for
-- `ccotel report projects`. A telemetry session takes the project of its transcript
-- (transcript_projects). Counting rules: report_requests.
WITH req AS (
    SELECT coalesce(e.project, p.project, '(unknown)') AS project, e.session_id, e.ts,
           e.model_name AS model, e.input_tokens, e.output_tokens, e.cache_creation_tokens,
           e.cache_read_tokens, e.cost_usd
    FROM report_requests($from, $to, $source) e
    LEFT JOIN transcript_projects() p ON p.session_id = e.session_id
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

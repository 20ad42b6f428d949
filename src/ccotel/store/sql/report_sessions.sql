-- Tokens and cost per session and model, with the session's span and project, for
-- `ccotel report session`. Counting rules: report_requests. A telemetry session gets its
-- project (cwd) from the transcript of the same session, if imported.
SELECT
    coalesce(r.session_id, '(none)') AS session_id,
    r.model_name AS model,
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
FROM report_requests($from, $to, $source) r
LEFT JOIN transcript_projects() p USING (session_id)
GROUP BY ALL
ORDER BY last_ts, session_id, cost_usd DESC

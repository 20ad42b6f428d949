-- Per model: requests, tokens, cost, latency (telemetry only) and where the numbers come
-- from, for `ccotel report models`. Counting rules: report_requests.
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
FROM report_requests($from, $to, $source)
GROUP BY ALL
ORDER BY cost_usd DESC, model

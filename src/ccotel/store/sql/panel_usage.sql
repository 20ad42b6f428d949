-- Tokens and cost of API requests (usage_rows: the cost/token metrics of sessions that
-- sent no api_request, as the summary counts them, so the dashboard and /api/v1/summary
-- agree), grouped by $by ('' | 'model' | 'user' | 'session') and, when $step_ms > 0, by
-- time bucket. Feeds every token and cost panel.
SELECT
    usage_key($by, model, user_email, user_id, session_id) AS key,
    CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
    coalesce(sum(input_tokens), 0)::DOUBLE AS input,
    coalesce(sum(output_tokens), 0)::DOUBLE AS output,
    coalesce(sum(cache_read_tokens), 0)::DOUBLE AS cache_read,
    coalesce(sum(cache_creation_tokens), 0)::DOUBLE AS cache_creation,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    sum(requests) AS requests
FROM usage_rows($from, $to, $rollup_from, $rollup_to, $filters, $model)
GROUP BY ALL
ORDER BY cost_usd DESC, key
LIMIT $limit

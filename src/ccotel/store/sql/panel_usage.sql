-- Tokens and cost of API requests, grouped by $by ('' | 'model' | 'user' | 'session')
-- and, when $step_ms > 0, by time bucket. Feeds every token and cost panel.
-- Exact per-request numbers come from api_request events; a session that sent no
-- api_request event in the range falls back to the cost/token metrics, as the summary
-- does, so the dashboard and /api/v1/summary agree.
-- Like every panel query: the whole hours [$rollup_from, $rollup_to) come from the hourly
-- rollups, the rest of [$from, $to) from raw rows (rollups.window() picks the hours).
WITH requests AS NOT MATERIALIZED (
    SELECT hour AS ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, requests, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND requests > 0
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, 1, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name = 'api_request'
),
ev AS (
    SELECT * FROM requests
    WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
req AS (
    SELECT
        CASE $by
            WHEN 'model' THEN model
            WHEN 'user' THEN coalesce(user_email, user_id)
            WHEN 'session' THEN session_id
        END AS key,
        CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
        sum(input_tokens)::DOUBLE AS input,
        sum(output_tokens)::DOUBLE AS output,
        sum(cache_read_tokens)::DOUBLE AS cache_read,
        sum(cache_creation_tokens)::DOUBLE AS cache_creation,
        sum(cost_usd) AS cost_usd,
        sum(requests) AS requests
    FROM ev
    GROUP BY ALL
),
candidates AS (
    -- Cost and token metrics that may be a fallback: all but the rollup rows known to sit
    -- beside api_requests of the same hour, session, user and model (with_requests).
    SELECT hour AS ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND usage_points > 0
      AND NOT with_requests
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'input' THEN value END,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'output' THEN value END,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'cacheRead'
                THEN value END,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'cacheCreation'
                THEN value END,
           CASE WHEN metric_name = 'claude_code.cost.usage' THEN metric_decimal(value) END
    FROM points
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND metric_name IN ('claude_code.token.usage', 'claude_code.cost.usage')
),
metrics AS (
    SELECT * FROM candidates
    WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
fallback AS (
    SELECT
        CASE $by
            WHEN 'model' THEN model
            WHEN 'user' THEN coalesce(user_email, user_id)
            WHEN 'session' THEN m.session_id
        END AS key,
        CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
        sum(input_tokens) AS input,
        sum(output_tokens) AS output,
        sum(cache_read_tokens) AS cache_read,
        sum(cache_creation_tokens) AS cache_creation,
        sum(cost_usd) AS cost_usd,
        0 AS requests
    FROM metrics m
    -- A NULL session matches nothing here, so metrics without a session are kept, unless
    -- (below) the range has request events at all.
    ANTI JOIN (SELECT DISTINCT session_id FROM ev
               WHERE session_id IN (SELECT session_id FROM metrics)) r
        ON r.session_id = m.session_id
    WHERE m.session_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM req)
    GROUP BY ALL
),
usage AS (
    SELECT * FROM req
    UNION ALL
    SELECT * FROM fallback
)
SELECT
    key,
    bucket,
    coalesce(sum(input), 0) AS input,
    coalesce(sum(output), 0) AS output,
    coalesce(sum(cache_read), 0) AS cache_read,
    coalesce(sum(cache_creation), 0) AS cache_creation,
    coalesce(sum(cost_usd), 0) AS cost_usd,
    sum(requests) AS requests
FROM usage
GROUP BY ALL
ORDER BY cost_usd DESC, key
LIMIT $limit

-- Tokens and cost of API requests, grouped by $by ('' | 'model' | 'user' | 'session')
-- and, when $step_ms > 0, by time bucket. Feeds every token and cost panel.
-- Exact per-request numbers come from api_request events; a session that sent no
-- api_request event in the range falls back to the cost/token metrics, as the summary
-- does, so the dashboard and /api/v1/summary agree.
-- Like every panel query, it reads the hourly rollups for the hours [$rollup_from, $rollup_to) and raw rows
-- for the rest of the range (*_hourly_in in schema.sql; rollups.window() picks the hours).
WITH ev AS (
    SELECT * FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE requests > 0
      AND ($user IS NULL OR user_id = $user OR user_email = $user)
      AND ($session IS NULL OR session_id = $session)
      AND ($model IS NULL OR model = $model)
      AND ($terminal IS NULL OR terminal_type = $terminal)
      AND ($version IS NULL OR service_version = $version OR app_version = $version)
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
req_sessions AS (
    SELECT DISTINCT session_id FROM ev
),
fallback AS (
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
        0 AS requests
    FROM points_hourly_in($from, $to, $rollup_from, $rollup_to) p
    -- A NULL session matches nothing here, so points without a session are kept, unless
    -- (below) the range has request events at all.
    ANTI JOIN req_sessions r ON r.session_id = p.session_id
    WHERE usage_points > 0
      AND ($user IS NULL OR user_id = $user OR user_email = $user)
      AND ($session IS NULL OR p.session_id = $session)
      AND ($model IS NULL OR model = $model)
      AND ($terminal IS NULL OR terminal_type = $terminal)
      AND ($version IS NULL OR service_version = $version OR app_version = $version)
      AND (p.session_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM req_sessions))
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

-- Tokens and cost of API requests in the range: panel_usage.sql without groups, for the
-- stat panels (a simpler plan is a quicker one). The same rules: api_request events, and
-- the cost/token metrics of sessions that sent no api_request event in the range.
-- Whole hours [$rollup_from, $rollup_to) come from the rollups, the rest from raw rows.
WITH requests AS NOT MATERIALIZED (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, requests, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND requests > 0
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, 1, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
           cost_usd
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name = 'api_request'
),
candidates AS (
    -- Cost and token metrics that may be a fallback (see panel_usage.sql).
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
           cost_usd
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND usage_points > 0
      AND NOT with_requests
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model,
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
ev AS (
    SELECT * FROM requests
    WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
metrics AS (
    SELECT * FROM candidates
    WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
req AS (
    SELECT
        coalesce(sum(input_tokens), 0) AS input,
        coalesce(sum(output_tokens), 0) AS output,
        coalesce(sum(cache_read_tokens), 0) AS cache_read,
        coalesce(sum(cache_creation_tokens), 0) AS cache_creation,
        coalesce(sum(cost_usd), 0) AS cost_usd,
        count(*) > 0 AS has_requests,
        coalesce(sum(requests), 0) AS requests
    FROM ev
),
fallback AS (
    SELECT
        coalesce(sum(input_tokens), 0) AS input,
        coalesce(sum(output_tokens), 0) AS output,
        coalesce(sum(cache_read_tokens), 0) AS cache_read,
        coalesce(sum(cache_creation_tokens), 0) AS cache_creation,
        coalesce(sum(cost_usd), 0) AS cost_usd
    FROM metrics m
    -- A NULL session matches nothing here, so metrics without a session are kept, unless
    -- the range has request events at all.
    ANTI JOIN (SELECT DISTINCT session_id FROM ev
               WHERE session_id IN (SELECT session_id FROM metrics)) r
        ON r.session_id = m.session_id
    WHERE m.session_id IS NOT NULL OR NOT (SELECT has_requests FROM req)
)
SELECT
    (req.input + fallback.input)::DOUBLE AS input,
    (req.output + fallback.output)::DOUBLE AS output,
    (req.cache_read + fallback.cache_read)::DOUBLE AS cache_read,
    (req.cache_creation + fallback.cache_creation)::DOUBLE AS cache_creation,
    req.cost_usd + fallback.cost_usd AS cost_usd,
    req.requests
FROM req, fallback

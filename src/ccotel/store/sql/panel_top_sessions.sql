-- The most expensive sessions in the range ($limit of them, by cost as panel_usage.sql
-- counts it: api_requests, else the cost/token metrics), with who ran them, when, which
-- models, and their prompts, errors and tool calls in the range.
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
top AS (
    -- A session is on one side only: the metrics of sessions with requests are left out.
    SELECT session_id, tokens, cost_usd, requests FROM (
        SELECT session_id,
               coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0)
                 + coalesce(sum(cache_read_tokens), 0)
                 + coalesce(sum(cache_creation_tokens), 0) AS tokens,
               coalesce(sum(cost_usd), 0) AS cost_usd,
               sum(requests) AS requests
        FROM ev
        GROUP BY session_id
        UNION ALL
        SELECT m.session_id,
               coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0)
                 + coalesce(sum(cache_read_tokens), 0)
                 + coalesce(sum(cache_creation_tokens), 0),
               coalesce(sum(cost_usd), 0),
               0
        FROM metrics m
        -- Metrics without a session count only when the range has no request events.
        ANTI JOIN (SELECT DISTINCT session_id FROM ev
                   WHERE session_id IN (SELECT session_id FROM metrics)) r
            ON r.session_id = m.session_id
        WHERE m.session_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM ev)
        GROUP BY m.session_id
    )
    ORDER BY cost_usd DESC, session_id
    LIMIT $limit
),
rows AS (
    SELECT session_id, user_id, user_email, model, first_ts, last_ts, prompts, errors,
           tool_calls
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, model, ts, ts,
           CASE WHEN event_name = 'user_prompt' THEN 1 ELSE 0 END,
           CASE WHEN event_name = 'api_error' THEN 1 ELSE 0 END,
           CASE WHEN event_name = 'tool_result' THEN 1 ELSE 0 END
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
),
info AS (
    -- Who, when and what, whatever the filters.
    SELECT
        session_id,
        any_value(coalesce(user_email, user_id)) AS user,
        min(first_ts) AS first_ts,
        max(last_ts) AS last_ts,
        string_agg(DISTINCT model, ', ' ORDER BY model) AS models,
        sum(prompts) AS prompts,
        sum(errors) AS errors,
        sum(tool_calls) AS tool_calls
    FROM rows
    WHERE session_id IN (SELECT session_id FROM top)
    GROUP BY session_id
)
SELECT top.*, info.* EXCLUDE (session_id)
FROM top LEFT JOIN info USING (session_id)
ORDER BY top.cost_usd DESC, top.session_id

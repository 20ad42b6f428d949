-- The most expensive sessions in the range ($limit of them, by cost as panel_usage.sql
-- counts it: api_requests, else the cost/token metrics), with who ran them, when, which
-- models, and their prompts, errors and tool calls in the range.
-- Whole hours [$rollup_from, $rollup_to) come from the rollups, the rest from raw rows.
WITH top AS (
    -- A session is on one side only (usage_rows): requests, or else its metrics.
    SELECT session_id,
           -- one sum, not one per kind of token: a session's grouping costs per sum
           sum(all_tokens(input_tokens, output_tokens,
                          cache_creation_tokens, cache_read_tokens))
             AS tokens,
           coalesce(sum(cost_usd), 0) AS cost_usd,
           sum(requests) AS requests
    FROM usage_rows($from, $to, $rollup_from, $rollup_to, $filters, $model)
    GROUP BY session_id
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
        -- not string_agg(DISTINCT ...): a distinct aggregate makes DuckDB read the rows
        -- twice (once per kind of aggregate)
        CASE WHEN count(model) > 0
             THEN array_to_string(list_sort(list_distinct(list(model))), ', ') END AS models,
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

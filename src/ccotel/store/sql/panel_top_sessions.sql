-- Who ran each of the sessions $sessions, when, which models, and their prompts, errors
-- and tool calls in the range: Top Sessions by Cost (store/panels.py: top_sessions), whose
-- sessions and their cost are usage's (panel_usage.sql).
-- Whole hours [$rollup_from, $rollup_to) come from the rollups, the rest from raw rows.
WITH rows AS (
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
    WHERE session_id IN (SELECT unnest($sessions))
    GROUP BY session_id
)
SELECT * FROM info

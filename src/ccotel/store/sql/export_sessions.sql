-- `ccotel export sessions`: one row per Claude Code session with events in [$from, $to),
-- with the summary's counting rules (requests, errors, tools, tokens, cost from events).
-- A telemetry session takes its project (cwd) from its imported transcript, if any.
WITH ev AS (
    SELECT * FROM events
    WHERE ts >= $from AND ts < $to AND session_id IS NOT NULL
      AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
)
SELECT
    session_id,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    arg_max(user_id, ts) FILTER (WHERE user_id IS NOT NULL) AS user_id,
    arg_max(user_email, ts) FILTER (WHERE user_email IS NOT NULL) AS user_email,
    arg_max(terminal_type, ts) FILTER (WHERE terminal_type IS NOT NULL) AS terminal_type,
    arg_max(project, ts) FILTER (WHERE project IS NOT NULL) AS project,
    string_agg(DISTINCT model, ',' ORDER BY model) FILTER (
        WHERE event_name = 'api_request') AS models,
    count(*) FILTER (WHERE event_name = 'user_prompt') AS prompts,
    count(*) FILTER (WHERE event_name = 'api_request') AS requests,
    count(*) FILTER (WHERE event_name = 'api_error') AS errors,
    count(*) FILTER (WHERE event_name = 'tool_result') AS tool_calls,
    count(*) FILTER (WHERE event_name = 'tool_result' AND success = false) AS tool_failures,
    coalesce(sum(input_tokens) FILTER (WHERE event_name = 'api_request'), 0) AS input_tokens,
    coalesce(sum(output_tokens) FILTER (WHERE event_name = 'api_request'), 0)
        AS output_tokens,
    coalesce(sum(cache_read_tokens) FILTER (WHERE event_name = 'api_request'), 0)
        AS cache_read_tokens,
    coalesce(sum(cache_creation_tokens) FILTER (WHERE event_name = 'api_request'), 0)
        AS cache_creation_tokens,
    coalesce(sum(cost_usd) FILTER (WHERE event_name = 'api_request'), 0)::DECIMAL(38, 12)
        AS cost_usd
FROM ev
GROUP BY session_id
ORDER BY first_ts, session_id

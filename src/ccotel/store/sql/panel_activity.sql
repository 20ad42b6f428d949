-- Distinct sessions or users ($count) active in the range: a prompt or an API request
-- (events), or active time or token usage (metrics, for those who export no events).
-- With a model filter: the sessions and users that used that model.
-- Whole hours [$rollup_from, $rollup_to) come from the rollups, the rest from raw rows.
WITH ev AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, prompts, requests
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND prompts + requests > 0
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, CASE WHEN event_name = 'user_prompt' THEN 1 ELSE 0 END,
           CASE WHEN event_name = 'api_request' THEN 1 ELSE 0 END
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name IN ('user_prompt', 'api_request')
),
pt AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model
    FROM points_hourly
    -- A row beside api_requests of the same hour, session, user and model adds no one.
    WHERE hour >= $rollup_from AND hour < $rollup_to AND activity_points > 0
      AND NOT with_requests
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model
    FROM points
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND metric_name IN ('claude_code.active_time.total', 'claude_code.token.usage')
),
ids AS (
    SELECT session_id, user_id FROM ev
    WHERE ($model IS NULL OR (requests > 0 AND model = $model))
      AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
    UNION ALL
    SELECT session_id, user_id FROM pt
    WHERE ($model IS NULL OR model = $model)
      AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
)
SELECT count(DISTINCT CASE $count WHEN 'sessions' THEN session_id ELSE user_id END) AS n
FROM ids

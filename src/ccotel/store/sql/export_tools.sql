-- `ccotel export tools`: one row per tool that telemetry reported in [$from, $to): calls
-- and failures (tool_result, as the summary counts them), rejections (tool_decision).
WITH ev AS (
    SELECT * FROM events
    WHERE event_name IN ('tool_result', 'tool_decision') AND tool_name IS NOT NULL
      AND ts >= $from AND ts < $to
      AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
)
SELECT
    tool_name AS tool,
    count(*) FILTER (WHERE event_name = 'tool_result') AS calls,
    count(*) FILTER (WHERE event_name = 'tool_result' AND success = false) AS failures,
    count(*) FILTER (WHERE event_name = 'tool_decision' AND decision = 'reject') AS rejected,
    avg(duration_ms) FILTER (WHERE event_name = 'tool_result') AS avg_duration_ms,
    count(DISTINCT session_id) AS sessions,
    count(DISTINCT user_id) AS users,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM ev
GROUP BY tool_name
ORDER BY calls DESC, tool

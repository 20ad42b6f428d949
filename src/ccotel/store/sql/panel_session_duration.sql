-- The longest sessions in the range: first to last event (seconds), with who ran them.
-- Whole hours [$rollup_from, $rollup_to) come from events_hourly, the rest from raw rows.
WITH spans AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           first_ts, last_ts
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND session_id IS NOT NULL
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           ts, ts
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND session_id IS NOT NULL
      AND event_name IS DISTINCT FROM 'ccotel.git'  -- a git record, not an event
)
SELECT
    session_id,
    any_value(coalesce(user_email, user_id)) AS user,
    min(first_ts) AS first_ts,
    max(last_ts) AS last_ts,
    epoch(max(last_ts) - min(first_ts)) AS seconds
FROM spans
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND {model_match}($model, NULL, session_id, $from, $to, $rollup_from, $rollup_to)
GROUP BY session_id
ORDER BY seconds DESC, session_id
LIMIT $limit

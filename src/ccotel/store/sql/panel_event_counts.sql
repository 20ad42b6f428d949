-- Events named $event ('api_request', 'api_error' or 'tool_result'), counted in the range
-- and, when $step_ms > 0, by time bucket: the request, error and tool-call panels.
-- With a model filter, events that carry no model (tool calls) count when their session
-- used that model in the range, rather than never.
-- Whole hours [$rollup_from, $rollup_to) come from events_hourly, the rest from raw rows.
WITH counted AS (
    SELECT hour AS ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model,
           CASE $event
               WHEN 'api_request' THEN requests
               WHEN 'api_error' THEN errors
               WHEN 'tool_result' THEN tool_calls
           END AS n
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, 1
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name = $event
)
SELECT
    CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
    sum(n) AS n
FROM counted
WHERE n > 0
  AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND {model_match}($model, model, session_id, $from, $to, $rollup_from, $rollup_to)
GROUP BY ALL

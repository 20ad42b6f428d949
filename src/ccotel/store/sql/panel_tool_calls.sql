-- Tool calls (tool_result events) by tool and, when $step_ms > 0, by time bucket.
-- With a model filter, calls (which carry no model) count when their session used that
-- model in the range.
-- Whole hours [$rollup_from, $rollup_to) come from tool_calls_hourly, the rest from raw rows.
WITH calls AS (
    SELECT hour AS ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, tool_name, calls
    FROM tool_calls_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, tool_name, 1
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND event_name = 'tool_result'
)
SELECT
    tool_name AS key,
    CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
    sum(calls) AS n
FROM calls
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND {model_match}($model, model, session_id, $from, $to, $rollup_from, $rollup_to)
GROUP BY ALL
ORDER BY n DESC, key

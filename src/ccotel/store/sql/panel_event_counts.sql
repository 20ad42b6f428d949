-- Events named $event ('api_request', 'api_error' or 'tool_result'), counted in the range
-- and, when $step_ms > 0, by time bucket: the request, error and tool-call panels.
-- With a model filter, events that carry no model (tool calls) count when their session
-- used that model in the range, rather than never.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE $model IS NOT NULL AND requests > 0 AND model = $model
)
SELECT
    CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
    sum(CASE $event
            WHEN 'api_request' THEN requests
            WHEN 'api_error' THEN errors
            WHEN 'tool_result' THEN tool_calls
        END) AS n
FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL
HAVING n > 0

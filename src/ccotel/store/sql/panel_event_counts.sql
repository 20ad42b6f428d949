-- Events named $event, counted by $by ('' | 'tool') and, when $step_ms > 0, by time
-- bucket: the request, error and tool-call panels.
-- With a model filter, events that carry no model (tool calls) count when their session
-- used that model in the range, rather than never.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events
    WHERE $model IS NOT NULL AND event_name = 'api_request' AND model = $model
      AND ts >= $from AND ts < $to
)
SELECT
    CASE WHEN $by = 'tool' THEN tool_name END AS key,
    CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
    count(*) AS n
FROM events
WHERE event_name = $event
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL
ORDER BY n DESC, key

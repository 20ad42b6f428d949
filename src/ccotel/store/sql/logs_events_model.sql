-- logs_events.sql with a model filter: the model's own events (requests, errors,
-- responses) and the events without a model (prompts, tool calls) of the sessions that
-- used it in the range.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events
    WHERE $model IS NOT NULL AND event_name = 'api_request' AND model = $model
      AND ts >= $from AND ts < $to
)
SELECT cursor
FROM log_rows($from, $to, $after, $event, $text, $filters)
WHERE model = $model
   OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions))
ORDER BY ts DESC, cursor DESC
LIMIT $limit

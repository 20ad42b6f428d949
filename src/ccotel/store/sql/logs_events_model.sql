-- logs_events.sql with a model filter: the model's own events (requests, errors,
-- responses) and the events without a model (prompts, tool calls) of the sessions that
-- used it in the range.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events
    WHERE $model IS NOT NULL AND event_name = 'api_request' AND model = $model
      AND ts >= $from AND ts < $to
)
SELECT rowid AS cursor
FROM events
WHERE ts >= $from AND ts < $to
  AND ($after IS NULL OR rowid > $after)
  AND event_name IS DISTINCT FROM 'transcript_copy'  -- counted once, as telemetry
  AND ($event IS NULL OR event_name = $event)
  AND ($text IS NULL OR contains(lower(concat_ws(' ', event_name, session_id, user_id,
        user_email, model, tool_name, request_id, prompt_id, error, error_type, body,
        attributes::VARCHAR)), lower($text)))
  AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
ORDER BY ts DESC, rowid DESC
LIMIT $limit

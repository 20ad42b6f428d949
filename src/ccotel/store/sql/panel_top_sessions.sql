-- Who, when and which models for the given sessions (the top sessions by cost).
SELECT
    session_id,
    any_value(coalesce(user_email, user_id)) AS user,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    string_agg(DISTINCT model, ', ' ORDER BY model) AS models,
    count(*) FILTER (WHERE event_name = 'user_prompt') AS prompts,
    count(*) FILTER (WHERE event_name = 'api_error') AS errors,
    count(*) FILTER (WHERE event_name = 'tool_result') AS tool_calls
FROM events
WHERE session_id IN (SELECT unnest($sessions::VARCHAR[]))
  AND ts >= $from AND ts < $to
GROUP BY session_id

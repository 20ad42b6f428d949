-- Who, when and which models for the given sessions (the top sessions by cost).
SELECT
    session_id,
    any_value(coalesce(user_email, user_id)) AS user,
    min(first_ts) AS first_ts,
    max(last_ts) AS last_ts,
    string_agg(DISTINCT model, ', ' ORDER BY model) AS models,
    sum(prompts) AS prompts,
    sum(errors) AS errors,
    sum(tool_calls) AS tool_calls
FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE session_id IN (SELECT unnest($sessions::VARCHAR[]))
GROUP BY session_id

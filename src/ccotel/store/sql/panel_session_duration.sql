-- The longest sessions in the range: first to last event (seconds), with who ran them.
SELECT
    session_id,
    any_value(coalesce(user_email, user_id)) AS user,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    epoch(max(ts) - min(ts)) AS seconds
FROM events
WHERE session_id IS NOT NULL
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR session_id IN (
        SELECT session_id FROM events
        WHERE event_name = 'api_request' AND model = $model AND ts >= $from AND ts < $to))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY session_id
ORDER BY seconds DESC, session_id
LIMIT $limit

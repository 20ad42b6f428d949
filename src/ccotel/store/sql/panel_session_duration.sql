-- The longest sessions in the range: first to last event (seconds), with who ran them.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE $model IS NOT NULL AND requests > 0 AND model = $model
)
SELECT
    session_id,
    any_value(coalesce(user_email, user_id)) AS user,
    min(first_ts) AS first_ts,
    max(last_ts) AS last_ts,
    epoch(max(last_ts) - min(first_ts)) AS seconds
FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE session_id IS NOT NULL
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR session_id IN (SELECT session_id FROM model_sessions))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY session_id
ORDER BY seconds DESC, session_id
LIMIT $limit

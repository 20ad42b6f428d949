-- Distinct sessions and users active in the range: a prompt or an API request (events),
-- or active time or token usage (metrics, for those who export no events).
-- With a model filter: the sessions and users that used that model.
WITH ev AS (
    SELECT session_id, user_id FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE CASE WHEN $model IS NULL THEN prompts + requests > 0
               ELSE requests > 0 AND model = $model END
      AND ($user IS NULL OR user_id = $user OR user_email = $user)
      AND ($session IS NULL OR session_id = $session)
      AND ($terminal IS NULL OR terminal_type = $terminal)
      AND ($version IS NULL OR service_version = $version OR app_version = $version)
),
pt AS (
    SELECT session_id, user_id FROM points_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE activity_points > 0
      AND ($user IS NULL OR user_id = $user OR user_email = $user)
      AND ($session IS NULL OR session_id = $session)
      AND ($model IS NULL OR model = $model)
      AND ($terminal IS NULL OR terminal_type = $terminal)
      AND ($version IS NULL OR service_version = $version OR app_version = $version)
),
ids AS (
    SELECT * FROM ev UNION ALL SELECT * FROM pt
)
SELECT count(DISTINCT session_id) AS sessions, count(DISTINCT user_id) AS users FROM ids

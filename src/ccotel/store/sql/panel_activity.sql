-- Distinct sessions and users active in the range: a prompt or an API request (events),
-- or active time (metrics, for those who export no events). Reading only those rows
-- finds the same sessions as reading every row, at a fraction of the cost.
-- With a model filter: the sessions and users that used that model.
WITH ev AS (
    SELECT session_id, user_id FROM events
    WHERE event_name IN ('user_prompt', 'api_request')
      AND ts >= $from AND ts < $to
      AND ($user IS NULL OR user_id = $user OR user_email = $user)
      AND ($session IS NULL OR session_id = $session)
      AND ($model IS NULL OR (event_name = 'api_request' AND model = $model))
      AND ($terminal IS NULL OR terminal_type = $terminal)
      AND ($version IS NULL OR service_version = $version OR app_version = $version)
),
pt AS (
    SELECT session_id, user_id FROM points
    WHERE metric_name IN ('claude_code.active_time.total', 'claude_code.token.usage')
      AND ts >= $from AND ts < $to
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

-- One metric's total in the range by its `type` attribute (commits, pull requests, lines
-- of code, active time). Points are stored as deltas, so a sum is the exact increase.
-- With a model filter, points without a model count when their session used that model.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events
    WHERE $model IS NOT NULL AND event_name = 'api_request' AND model = $model
      AND ts >= $from AND ts < $to
)
SELECT type, sum(value) AS value
FROM points
WHERE metric_name = $metric
  AND ts >= $from AND ts < $to
  AND ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL
ORDER BY value DESC

-- Tool calls (tool_result events) by tool and, when $step_ms > 0, by time bucket.
-- With a model filter, calls (which carry no model) count when their session used that
-- model in the range.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE $model IS NOT NULL AND requests > 0 AND model = $model
)
SELECT
    tool_name AS key,
    CASE WHEN $step_ms > 0 THEN epoch_ms(ts) // $step_ms END AS bucket,
    sum(calls) AS n
FROM tool_calls_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)
GROUP BY ALL
ORDER BY n DESC, key

-- Totals of the metrics behind the commits, pull requests, lines of code and active time
-- panels. Points are stored as deltas, so a sum is the exact increase.
-- With a model filter, points without a model count when their session used that model.
WITH model_sessions AS (
    SELECT DISTINCT session_id FROM events_hourly_in($from, $to, $rollup_from, $rollup_to)
    WHERE $model IS NOT NULL AND requests > 0 AND model = $model
)
SELECT
    coalesce(sum(commits), 0)::DOUBLE AS commits,
    coalesce(sum(pull_requests), 0)::DOUBLE AS pull_requests,
    coalesce(sum(lines_added), 0)::DOUBLE AS lines_added,
    coalesce(sum(lines_removed), 0)::DOUBLE AS lines_removed,
    coalesce(sum(active_user_s), 0)::DOUBLE AS active_user_s,
    coalesce(sum(active_cli_s), 0)::DOUBLE AS active_cli_s
FROM points_hourly_in($from, $to, $rollup_from, $rollup_to)
WHERE ($user IS NULL OR user_id = $user OR user_email = $user)
  AND ($session IS NULL OR session_id = $session)
  AND ($model IS NULL OR model = $model
       OR (model IS NULL AND session_id IN (SELECT session_id FROM model_sessions)))
  AND ($terminal IS NULL OR terminal_type = $terminal)
  AND ($version IS NULL OR service_version = $version OR app_version = $version)

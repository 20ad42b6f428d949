-- Totals of one metric family ($metric): commits, pull_requests (one value, in `a`),
-- lines_of_code (added in `a`, removed in `b`) or active_time (user in `a`, cli in `b`).
-- Points are stored as deltas, so a sum is the exact increase.
-- With a model filter, points without a model count when their session used that model.
-- Whole hours [$rollup_from, $rollup_to) come from points_hourly, the rest from raw rows.
WITH metrics AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model,
           CASE $metric
               WHEN 'commits' THEN commits
               WHEN 'pull_requests' THEN pull_requests
               WHEN 'lines_of_code' THEN lines_added
               WHEN 'active_time' THEN active_user_s
           END AS a,
           CASE $metric
               WHEN 'lines_of_code' THEN lines_removed
               WHEN 'active_time' THEN active_cli_s
           END AS b
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model,
           CASE WHEN $metric IN ('commits', 'pull_requests')
                  OR type = CASE $metric WHEN 'lines_of_code' THEN 'added' ELSE 'user' END
                THEN value END,
           CASE WHEN $metric IN ('lines_of_code', 'active_time')
                 AND type = CASE $metric WHEN 'lines_of_code' THEN 'removed' ELSE 'cli' END
                THEN value END
    FROM points
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND metric_name = CASE $metric
                            WHEN 'commits' THEN 'claude_code.commit.count'
                            WHEN 'pull_requests' THEN 'claude_code.pull_request.count'
                            WHEN 'lines_of_code' THEN 'claude_code.lines_of_code.count'
                            WHEN 'active_time' THEN 'claude_code.active_time.total'
                        END
)
SELECT coalesce(sum(a), 0) AS a, coalesce(sum(b), 0) AS b
FROM metrics
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND {model_match}($model, model, session_id, $from, $to, $rollup_from, $rollup_to)

-- The sums of the metric panels, all at once: commits, pull_requests, lines added and
-- removed (Lines of Code), the user's and the CLI's active time (Active Time).
-- Points are stored as deltas, so a sum is the exact increase.
-- With a model filter, points without a model count when their session used that model.
-- Whole hours [$rollup_from, $rollup_to) come from points_hourly, the rest from raw rows.
WITH metrics AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, commits, pull_requests, lines_added, lines_removed, active_user_s,
           active_cli_s
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model,
           CASE WHEN metric_name = 'claude_code.commit.count' THEN value END,
           CASE WHEN metric_name = 'claude_code.pull_request.count' THEN value END,
           CASE WHEN metric_name = 'claude_code.lines_of_code.count' AND type = 'added'
                THEN value END,
           CASE WHEN metric_name = 'claude_code.lines_of_code.count' AND type = 'removed'
                THEN value END,
           CASE WHEN metric_name = 'claude_code.active_time.total' AND type = 'user'
                THEN value END,
           CASE WHEN metric_name = 'claude_code.active_time.total' AND type = 'cli'
                THEN value END
    FROM points
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
      AND metric_name IN ('claude_code.commit.count', 'claude_code.pull_request.count',
                          'claude_code.lines_of_code.count', 'claude_code.active_time.total')
)
SELECT coalesce(sum(commits), 0) AS commits,
       coalesce(sum(pull_requests), 0) AS pull_requests,
       coalesce(sum(lines_added), 0) AS lines_added,
       coalesce(sum(lines_removed), 0) AS lines_removed,
       coalesce(sum(active_user_s), 0) AS active_user_s,
       coalesce(sum(active_cli_s), 0) AS active_cli_s
FROM metrics
WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                    service_version, app_version)
  AND {model_match}($model, model, session_id, $from, $to, $rollup_from, $rollup_to)

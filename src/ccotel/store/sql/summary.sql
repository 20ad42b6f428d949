-- The totals behind /api/v1/summary and `ccotel report summary`.
-- Requests, cost and tokens: usage_rows (api_request events, exact; a session that sent
-- no api_request event in the range falls back to the cost/token metrics).
-- The whole hours [$rollup_from, $rollup_to) are read from the hourly rollups, the rest of
-- [$from, $to) from raw rows: exact for any range.
WITH ev AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, errors, tool_calls, tool_failures
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, errors, tool_calls, tool_failures
    FROM events_facts('events')
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
),
pt AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, lines_added, lines_removed, commits, pull_requests
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, lines_added, lines_removed, commits, pull_requests
    FROM points_facts('points')
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
),
fev AS (
    SELECT * FROM ev
    WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
fpt AS (
    SELECT * FROM pt
    WHERE filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
usage AS (
    SELECT * FROM usage_rows($from, $to, $rollup_from, $rollup_to, $filters, $model)
),
ids AS (
    SELECT session_id, user_id FROM fev UNION ALL SELECT session_id, user_id FROM fpt
)
SELECT
    (SELECT count(DISTINCT session_id) FROM ids) AS sessions,
    (SELECT count(DISTINCT user_id) FROM ids) AS users,
    (SELECT coalesce(sum(requests), 0) FROM usage) AS requests,
    (SELECT coalesce(sum(errors), 0) FROM fev) AS errors,
    (SELECT coalesce(sum(tool_calls), 0) FROM fev) AS tool_calls,
    (SELECT coalesce(sum(tool_failures), 0) FROM fev) AS tool_failures,
    (SELECT coalesce(sum(cost_usd), 0) FROM usage)::DOUBLE AS cost_usd,
    (SELECT coalesce(sum(input_tokens), 0) FROM usage) AS input_tokens,
    (SELECT coalesce(sum(output_tokens), 0) FROM usage) AS output_tokens,
    (SELECT coalesce(sum(cache_read_tokens), 0) FROM usage) AS cache_read_tokens,
    (SELECT coalesce(sum(cache_creation_tokens), 0) FROM usage) AS cache_creation_tokens,
    (SELECT sum(duration_ms_sum) / nullif(sum(duration_ms_count), 0) FROM usage)
      AS avg_response_ms,
    (SELECT coalesce(sum(lines_added), 0) FROM fpt) AS lines_added,
    (SELECT coalesce(sum(lines_removed), 0) FROM fpt) AS lines_removed,
    (SELECT coalesce(sum(commits), 0) FROM fpt) AS commits,
    (SELECT coalesce(sum(pull_requests), 0) FROM fpt) AS pull_requests

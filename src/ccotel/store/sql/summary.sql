-- The totals behind /api/v1/summary and `ccotel report summary`.
-- Cost and tokens come from api_request events (exact); a session that sent no
-- api_request events in the range falls back to the cost/token metrics.
-- The whole hours [$rollup_from, $rollup_to) are read from the hourly rollups, the rest of
-- [$from, $to) from raw rows: exact for any range.
WITH ev AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, requests, errors, tool_calls, tool_failures, input_tokens, output_tokens,
           cache_read_tokens, cache_creation_tokens, cost_usd, duration_ms_sum,
           duration_ms_count
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, requests, errors, tool_calls, tool_failures, input_tokens, output_tokens,
           cache_read_tokens, cache_creation_tokens, cost_usd, duration_ms_sum,
           duration_ms_count
    FROM events_facts('events')
    WHERE (ts >= $from AND ts < $rollup_from OR ts >= $rollup_to AND ts < $to)
),
pt AS (
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, usage_points, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd, lines_added, lines_removed, commits,
           pull_requests, with_requests
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, usage_points, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd, lines_added, lines_removed, commits,
           pull_requests, false
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
req AS (
    SELECT * FROM fev WHERE requests > 0
),
req_sessions AS (
    SELECT DISTINCT session_id FROM req WHERE session_id IS NOT NULL
),
fallback AS (
    -- Rollup rows beside api_requests of the same hour, session, user and model
    -- (with_requests) are never a fallback: no need to look them up.
    SELECT * FROM fpt
    WHERE usage_points > 0 AND NOT with_requests
      AND CASE
            WHEN session_id IS NULL THEN NOT EXISTS (SELECT 1 FROM req)
            ELSE session_id NOT IN (SELECT session_id FROM req_sessions)
          END
),
ids AS (
    SELECT session_id, user_id FROM fev UNION ALL SELECT session_id, user_id FROM fpt
)
SELECT
    (SELECT count(DISTINCT session_id) FROM ids) AS sessions,
    (SELECT count(DISTINCT user_id) FROM ids) AS users,
    (SELECT coalesce(sum(requests), 0) FROM req) AS requests,
    (SELECT coalesce(sum(errors), 0) FROM fev) AS errors,
    (SELECT coalesce(sum(tool_calls), 0) FROM fev) AS tool_calls,
    (SELECT coalesce(sum(tool_failures), 0) FROM fev) AS tool_failures,
    ((SELECT coalesce(sum(cost_usd), 0) FROM req)
      + (SELECT coalesce(sum(cost_usd), 0) FROM fallback))::DOUBLE AS cost_usd,
    (SELECT coalesce(sum(input_tokens), 0) FROM req)
      + (SELECT coalesce(sum(input_tokens), 0) FROM fallback) AS input_tokens,
    (SELECT coalesce(sum(output_tokens), 0) FROM req)
      + (SELECT coalesce(sum(output_tokens), 0) FROM fallback) AS output_tokens,
    (SELECT coalesce(sum(cache_read_tokens), 0) FROM req)
      + (SELECT coalesce(sum(cache_read_tokens), 0) FROM fallback) AS cache_read_tokens,
    (SELECT coalesce(sum(cache_creation_tokens), 0) FROM req)
      + (SELECT coalesce(sum(cache_creation_tokens), 0) FROM fallback) AS cache_creation_tokens,
    (SELECT sum(duration_ms_sum) / nullif(sum(duration_ms_count), 0) FROM req)
      AS avg_response_ms,
    (SELECT coalesce(sum(lines_added), 0) FROM fpt) AS lines_added,
    (SELECT coalesce(sum(lines_removed), 0) FROM fpt) AS lines_removed,
    (SELECT coalesce(sum(commits), 0) FROM fpt) AS commits,
    (SELECT coalesce(sum(pull_requests), 0) FROM fpt) AS pull_requests

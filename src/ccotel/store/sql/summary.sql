-- The totals behind /api/v1/summary and `ccotel report summary`.
-- Cost and tokens come from api_request events (exact); a session that sent no
-- api_request events in the range falls back to the cost/token metrics.
WITH ev AS (
    SELECT * FROM events
    WHERE ts >= $from AND ts < $to
      AND ($user IS NULL OR user_id = $user OR user_email = $user)
      AND ($session IS NULL OR session_id = $session)
      AND ($model IS NULL OR model = $model)
      AND ($terminal IS NULL OR terminal_type = $terminal)
      AND ($version IS NULL OR service_version = $version OR app_version = $version)
),
pt AS (
    SELECT * FROM points
    WHERE ts >= $from AND ts < $to
      AND ($user IS NULL OR user_id = $user OR user_email = $user)
      AND ($session IS NULL OR session_id = $session)
      AND ($model IS NULL OR model = $model)
      AND ($terminal IS NULL OR terminal_type = $terminal)
      AND ($version IS NULL OR service_version = $version OR app_version = $version)
),
req AS (
    SELECT * FROM ev WHERE event_name = 'api_request'
),
req_sessions AS (
    SELECT DISTINCT session_id FROM req WHERE session_id IS NOT NULL
),
fallback AS (
    SELECT metric_name, type, value FROM pt
    WHERE metric_name IN ('claude_code.cost.usage', 'claude_code.token.usage')
      AND CASE
            WHEN session_id IS NULL THEN NOT EXISTS (SELECT 1 FROM req)
            ELSE session_id NOT IN (SELECT session_id FROM req_sessions)
          END
),
ids AS (
    SELECT session_id, user_id FROM ev UNION ALL SELECT session_id, user_id FROM pt
)
SELECT
    (SELECT count(DISTINCT session_id) FROM ids) AS sessions,
    (SELECT count(DISTINCT user_id) FROM ids) AS users,
    (SELECT count(*) FROM req) AS requests,
    (SELECT count(*) FROM ev WHERE event_name = 'api_error') AS errors,
    (SELECT count(*) FROM ev WHERE event_name = 'tool_result') AS tool_calls,
    (SELECT count(*) FROM ev WHERE event_name = 'tool_result' AND success = false) AS tool_failures,
    (SELECT coalesce(sum(cost_usd), 0) FROM req)::DOUBLE
      + (SELECT coalesce(sum(value), 0) FROM fallback
         WHERE metric_name = 'claude_code.cost.usage') AS cost_usd,
    (SELECT coalesce(sum(input_tokens), 0) FROM req)
      + (SELECT coalesce(sum(value), 0) FROM fallback
         WHERE metric_name = 'claude_code.token.usage' AND type = 'input') AS input_tokens,
    (SELECT coalesce(sum(output_tokens), 0) FROM req)
      + (SELECT coalesce(sum(value), 0) FROM fallback
         WHERE metric_name = 'claude_code.token.usage' AND type = 'output') AS output_tokens,
    (SELECT coalesce(sum(cache_read_tokens), 0) FROM req)
      + (SELECT coalesce(sum(value), 0) FROM fallback
         WHERE metric_name = 'claude_code.token.usage' AND type = 'cacheRead') AS cache_read_tokens,
    (SELECT coalesce(sum(cache_creation_tokens), 0) FROM req)
      + (SELECT coalesce(sum(value), 0) FROM fallback
         WHERE metric_name = 'claude_code.token.usage' AND type = 'cacheCreation')
      AS cache_creation_tokens,
    (SELECT avg(duration_ms) FROM req) AS avg_response_ms,
    (SELECT coalesce(sum(value), 0) FROM pt
     WHERE metric_name = 'claude_code.lines_of_code.count' AND type = 'added') AS lines_added,
    (SELECT coalesce(sum(value), 0) FROM pt
     WHERE metric_name = 'claude_code.lines_of_code.count' AND type = 'removed') AS lines_removed,
    (SELECT coalesce(sum(value), 0) FROM pt
     WHERE metric_name = 'claude_code.commit.count') AS commits,
    (SELECT coalesce(sum(value), 0) FROM pt
     WHERE metric_name = 'claude_code.pull_request.count') AS pull_requests

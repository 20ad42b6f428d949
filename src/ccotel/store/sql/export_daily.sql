-- `ccotel export daily`: one row per UTC day of [$from, $to): the summary's totals for
-- that day (requests, errors, tools, tokens and cost from events; lines, commits and pull
-- requests from metric points).
WITH ev AS (
    SELECT * FROM events_facts('events')
    WHERE ts >= $from AND ts < $to
      AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
pt AS (
    SELECT * FROM points_facts('points')
    WHERE ts >= $from AND ts < $to
      AND filters_match($filters, user_id, user_email, session_id, terminal_type,
                        service_version, app_version)
      AND ($model IS NULL OR model = $model)
),
e AS (
    SELECT
        ts::DATE AS day,
        count(DISTINCT session_id) AS sessions,
        count(DISTINCT user_id) AS users,
        sum(requests) AS requests,
        sum(errors) AS errors,
        sum(tool_calls) AS tool_calls,
        sum(tool_failures) AS tool_failures,
        coalesce(sum(input_tokens), 0) AS input_tokens,
        coalesce(sum(output_tokens), 0) AS output_tokens,
        coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
        coalesce(sum(cache_creation_tokens), 0)
            AS cache_creation_tokens,
        coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd
    FROM ev GROUP BY ALL
),
p AS (
    SELECT
        ts::DATE AS day,
        coalesce(sum(lines_added), 0)::BIGINT AS lines_added,
        coalesce(sum(lines_removed), 0)::BIGINT AS lines_removed,
        coalesce(sum(commits), 0)::BIGINT AS commits,
        coalesce(sum(pull_requests), 0)::BIGINT AS pull_requests
    FROM pt GROUP BY ALL
)
SELECT
    day,
    coalesce(e.sessions, 0) AS sessions,
    coalesce(e.users, 0) AS users,
    coalesce(e.requests, 0) AS requests,
    coalesce(e.errors, 0) AS errors,
    coalesce(e.tool_calls, 0) AS tool_calls,
    coalesce(e.tool_failures, 0) AS tool_failures,
    coalesce(e.input_tokens, 0) AS input_tokens,
    coalesce(e.output_tokens, 0) AS output_tokens,
    coalesce(e.cache_read_tokens, 0) AS cache_read_tokens,
    coalesce(e.cache_creation_tokens, 0) AS cache_creation_tokens,
    coalesce(e.cost_usd, 0)::DECIMAL(38, 12) AS cost_usd,
    coalesce(p.lines_added, 0) AS lines_added,
    coalesce(p.lines_removed, 0) AS lines_removed,
    coalesce(p.commits, 0) AS commits,
    coalesce(p.pull_requests, 0) AS pull_requests
FROM e FULL OUTER JOIN p USING (day)
ORDER BY day

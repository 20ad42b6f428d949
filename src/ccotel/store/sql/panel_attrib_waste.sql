-- Where the money went, the dashboard's panel (store/attribution.py: waste_panel): the sums
-- of report_waste.sql per user and repo and the grand total, without the day (the panel
-- shows the range), read without attrib_requests (the general shape costs more to plan,
-- and its local times and days to compute, than the panel to run) when no filter is set.
-- The same rows: api_request, api_error, api_refusal and api_retries_exhausted in
-- [$from, $to), the whole days [$day_from, $day_to) from waste_daily, the other whole
-- hours [$rollup_from, $rollup_to) from attrib_hourly, and the raw rows, all three as
-- waste_daily keeps them (each row's compactions and subagents in columns of their own,
-- not unnested into rows of each kind: a third of the rows to join and group), each
-- request's user and repo as attrib_rows gives them
-- (attrib_macros.sql). tests/attribution/test_rollup_paths.py checks it against
-- report_waste.sql, tests/store/test_rollups.py against the hourly and raw reads.
WITH rows AS NOT MATERIALIZED (
    SELECT session_id, source, event_name, user_id, user_email, project, requests,
           cost_usd, compactions, compaction_cost, subagent_requests, subagent_cost,
           cache_creation_tokens, first_ts, first_cache_creation_tokens
    FROM waste_daily
    WHERE day >= $day_from AND day < $day_to
    UNION ALL
    -- the other hours and the raw rows as waste_daily has them: each row's compactions and
    -- subagents by its kind
    SELECT session_id, source, event_name, user_id, user_email, project, requests, cost_usd,
           CASE WHEN kind = 'compact' THEN requests ELSE 0 END,
           CASE WHEN kind = 'compact' THEN cost_usd END,
           CASE WHEN kind = 'subagent' THEN requests ELSE 0 END,
           CASE WHEN kind = 'subagent' THEN cost_usd END,
           cache_creation_tokens, first_ts, first_cache_creation_tokens
    FROM (SELECT session_id, source, event_name, user_id, user_email, project, requests,
                 cost_usd, cache_creation_tokens, first_ts, first_cache_creation_tokens,
                 waste_kind(query_source, agent) AS kind
          FROM attrib_hourly
          WHERE hour >= $rollup_from AND hour < $rollup_to
            AND (hour < $day_from OR hour >= $day_to)
            AND event_name IN ('api_request', 'api_error', 'api_refusal',
                               'api_retries_exhausted')
          UNION ALL
          SELECT session_id, source, event_name, user_id, user_email, project, 1, cost_usd,
                 cache_creation_tokens, ts, cache_creation_tokens,
                 waste_kind(query_source, attributes->>'$."agent.name"')
          FROM events
          WHERE event_name IN ('api_request', 'api_error', 'api_refusal',
                               'api_retries_exhausted')
            AND ts >= $from AND ts < $to AND (ts < $rollup_from OR ts >= $rollup_to))
),
a AS (
    SELECT attrib_user(e.user_email, e.user_id, u.user_name, e.source) AS "user",
           attrib_repo(g.repo, e.project, g.project) AS repo,
           e.session_id, e.event_name, e.requests, e.cost_usd, e.compactions,
           e.compaction_cost, e.subagent_requests, e.subagent_cost,
           coalesce(e.cache_creation_tokens, 0) AS cache_creation_tokens, e.first_ts,
           coalesce(e.first_cache_creation_tokens, 0) AS first_cache_creation_tokens
    FROM rows e
    LEFT JOIN session_git g ON g.session_id = e.session_id
    LEFT JOIN attrib_session_users(
        ['api_request', 'api_error', 'api_refusal', 'api_retries_exhausted'], $from, $to,
        $rollup_from, $rollup_to) u ON u.session_id = e.session_id
),
-- each session's first request in the range (a join: cheaper than a window per session),
-- from the same tables again (a second scan: cheaper than holding `a` for a second reader)
firsts AS (
    SELECT session_id, min(first_ts) AS first_ts
    FROM (SELECT session_id, first_ts FROM waste_daily
          WHERE day >= $day_from AND day < $day_to AND event_name = 'api_request'
          UNION ALL
          SELECT session_id, first_ts FROM attrib_hourly
          WHERE hour >= $rollup_from AND hour < $rollup_to
            AND (hour < $day_from OR hour >= $day_to) AND event_name = 'api_request'
          UNION ALL
          SELECT session_id, ts FROM events
          WHERE event_name = 'api_request' AND ts >= $from AND ts < $to
            AND (ts < $rollup_from OR ts >= $rollup_to))
    GROUP BY session_id
),
r AS (
    SELECT a."user", a.repo, a.event_name,
           sum(a.requests) AS requests, sum(a.cost_usd) AS cost_usd,
           sum(a.compactions) AS compactions, sum(a.compaction_cost) AS compaction_cost,
           sum(a.subagent_requests) AS subagent_requests,
           sum(a.subagent_cost) AS subagent_cost,
           sum(waste_repaid(a.event_name, a.cache_creation_tokens, a.first_ts, f.first_ts,
                            a.first_cache_creation_tokens)) AS rewrite_tokens
    FROM a LEFT JOIN firsts f ON f.session_id IS NOT DISTINCT FROM a.session_id
    GROUP BY ALL
)
SELECT
    "user", repo,
    GROUPING("user", repo) = 3 AS is_grand,
    coalesce(sum(requests) FILTER (WHERE event_name = 'api_request'), 0)::BIGINT AS requests,
    coalesce(sum(cost_usd) FILTER (WHERE event_name = 'api_request'), 0)::DECIMAL(38, 12)
        AS cost_usd,
    coalesce(sum(compactions), 0)::BIGINT AS compactions,
    coalesce(sum(compaction_cost), 0)::DECIMAL(38, 12) AS compaction_cost,
    coalesce(sum(subagent_requests), 0)::BIGINT AS subagent_requests,
    coalesce(sum(subagent_cost), 0)::DECIMAL(38, 12) AS subagent_cost,
    coalesce(sum(rewrite_tokens), 0)::BIGINT AS cache_rewrite_tokens,
    coalesce(sum(requests) FILTER (WHERE event_name = 'api_error'), 0)::BIGINT AS api_errors,
    coalesce(sum(requests) FILTER (WHERE event_name = 'api_retries_exhausted'), 0)::BIGINT
        AS retries_exhausted,
    coalesce(sum(requests) FILTER (WHERE event_name = 'api_refusal'), 0)::BIGINT AS refusals,
    coalesce(sum(cost_usd) FILTER (WHERE event_name <> 'api_request'), 0)::DECIMAL(38, 12)
        AS failed_cost
FROM r
GROUP BY GROUPING SETS (("user", repo), ())
ORDER BY is_grand, "user", repo

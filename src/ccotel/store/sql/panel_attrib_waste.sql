-- Where the money went, the dashboard's panel (store/attribution.py: waste_panel): the sums
-- of report_waste.sql per user and repo and the grand total, without the day (the panel
-- shows the range), read without attrib_requests (the general shape costs more to plan,
-- and its local times and days to compute, than the panel to run) when no filter is set.
-- The same rows: api_request, api_error, api_refusal and api_retries_exhausted in
-- [$from, $to), the whole days [$day_from, $day_to) from waste_daily (each row's
-- compactions and subagents as rows of their own kind, its other requests as a third with
-- the tokens of the row), the other whole hours [$rollup_from, $rollup_to) from
-- attrib_hourly, each request's user and repo as attrib_rows gives them
-- (attrib_macros.sql). tests/attribution/test_rollup_paths.py checks it against
-- report_waste.sql, tests/store/test_rollups.py against the hourly and raw reads.
WITH rows AS NOT MATERIALIZED (
    SELECT session_id, source, event_name, user_id, user_email, k.query_source,
           NULL AS agent, project, k.requests, k.cost_usd, k.cache_creation_tokens,
           first_ts, k.first_cache_creation_tokens
    FROM (SELECT *, unnest([
              {'query_source': 'compact', 'requests': compactions,
               'cost_usd': compaction_cost, 'cache_creation_tokens': 0,
               'first_cache_creation_tokens': 0},
              {'query_source': 'subagent', 'requests': subagent_requests,
               'cost_usd': subagent_cost, 'cache_creation_tokens': 0,
               'first_cache_creation_tokens': 0},
              {'query_source': 'other', 'requests': requests - compactions - subagent_requests,
               'cost_usd': cost_usd - coalesce(compaction_cost, 0)
                   - coalesce(subagent_cost, 0),
               'cache_creation_tokens': cache_creation_tokens,
               'first_cache_creation_tokens': first_cache_creation_tokens}]) AS k
          FROM waste_daily
          WHERE day >= $day_from AND day < $day_to)
    WHERE k.query_source = 'other' OR k.requests <> 0  -- no compaction, no subagent: no row
    UNION ALL
    SELECT session_id, source, event_name, user_id, user_email, query_source, agent,
           project, requests, cost_usd, cache_creation_tokens, first_ts,
           first_cache_creation_tokens
    FROM attrib_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
      AND (hour < $day_from OR hour >= $day_to)
      AND event_name IN ('api_request', 'api_error', 'api_refusal', 'api_retries_exhausted')
    UNION ALL
    SELECT session_id, source, event_name, user_id, user_email, query_source,
           attributes->>'$."agent.name"', project, 1, cost_usd, cache_creation_tokens, ts,
           cache_creation_tokens
    FROM events
    WHERE event_name IN ('api_request', 'api_error', 'api_refusal', 'api_retries_exhausted')
      AND ts >= $from AND ts < $to AND (ts < $rollup_from OR ts >= $rollup_to)
),
a AS (
    SELECT attrib_user(e.user_email, e.user_id, u.user_name, e.source) AS "user",
           attrib_repo(g.repo, e.project, g.project) AS repo,
           e.session_id, e.event_name, waste_kind(e.query_source, e.agent) AS query_source,
           e.requests, e.cost_usd,
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
    SELECT a."user", a.repo, a.event_name, a.query_source,
           sum(a.requests) AS requests, sum(a.cost_usd) AS cost_usd,
           sum(waste_repaid(a.event_name, a.cache_creation_tokens, a.first_ts, f.first_ts,
                            a.first_cache_creation_tokens)) AS rewrite_tokens
    FROM a LEFT JOIN firsts f ON f.session_id IS NOT DISTINCT FROM a.session_id
    GROUP BY ALL
)
SELECT
    "user", repo,
    GROUPING("user", repo) = 3 AS is_grand,
    unnest(waste_sums(event_name, query_source, requests, cost_usd, rewrite_tokens))
FROM r
GROUP BY GROUPING SETS (("user", repo), ())
ORDER BY is_grand, "user", repo

-- Where the money went, per day, user and repo, for `ccotel report waste`: the cost of
-- context compactions and of subagents (waste_kind, attrib_macros.sql),
-- the cache-creation tokens paid again after a session's first request in the range (cache
-- misses), and the requests that produced nothing: api_error (retries exhausted),
-- api_retries_exhausted, api_refusal (their cost when the event carries one). The grouping
-- sets give each day's, user's and repo's rows and the grand total from the same DECIMAL
-- sums. Reports pass no rollup window ($rollup_from NULL: raw rows, any time zone, every
-- attribute kept); the dashboard's panel reads the whole hours [$rollup_from, $rollup_to)
-- from attrib_hourly, whose rows keep the time and cache-creation tokens of their first
-- request: the tokens re-paid are a row's cache-creation tokens less, when its first
-- request is its session's first in the range, that request's (a raw row's own).
WITH a AS (
    SELECT k AS day, s AS "user", session_id, event_name,
           waste_kind(query_source, agent) AS query_source, repo, requests, cost_usd,
           cache_creation_tokens, first_ts, first_cache_creation_tokens
    FROM attrib_requests(['api_request', 'api_error', 'api_refusal', 'api_retries_exhausted'],
                         $from, $to, $tz, $source, $fdims, $fvals, 'day',
                         'user', $rollup_from, $rollup_to)
),
-- each session's first request in the range (a join: cheaper than a window per session)
firsts AS (
    SELECT session_id, min(first_ts) AS first_ts FROM a
    WHERE event_name = 'api_request'
    GROUP BY session_id
),
r AS (
    -- summed per group and kind of request first: the filtered sums below then read a few
    -- rows per group
    SELECT a.day, a."user", a.repo, a.event_name, a.query_source,
           sum(a.requests) AS requests, sum(a.cost_usd) AS cost_usd,
           sum(waste_repaid(a.event_name, a.cache_creation_tokens, a.first_ts, f.first_ts,
                            a.first_cache_creation_tokens)) AS rewrite_tokens
    FROM a LEFT JOIN firsts f ON f.session_id IS NOT DISTINCT FROM a.session_id
    GROUP BY ALL
)
SELECT
    day, "user", repo,
    GROUPING(day, "user", repo) = 7 AS is_grand,
    unnest(waste_sums(event_name, query_source, requests, cost_usd, rewrite_tokens))
FROM r
GROUP BY GROUPING SETS ((day, "user", repo), ())
ORDER BY is_grand, day, "user", repo

-- Where the money went, per day, user and repo, for `ccotel report waste`: the cost of
-- context compactions (query_source = compact) and of subagents (query_source = subagent),
-- the cache-creation tokens paid again after a session's first request (cache misses), and
-- the requests that produced nothing: api_error (retries exhausted), api_retries_exhausted,
-- api_refusal (their cost when the event carries one). The grouping sets give each day's,
-- user's and repo's rows and the grand total from the same DECIMAL sums. Every row is a raw
-- one (the window needs each request): reports pass no rollup window ($rollup_from NULL,
-- every attribute kept), the dashboard's panel an empty one (only the attributes the
-- panels know, which keeps its memory within the server's limit).
WITH r AS (
    -- only the columns counted: the window below holds its rows in memory
    SELECT
        k AS day, s AS "user", r.ts, r.session_id, r.event_name, r.query_source, r.repo,
        r.cost_usd, r.cache_creation_tokens,
        r.event_name = 'api_request' AND r.ts > min(r.ts) FILTER (
            WHERE r.event_name = 'api_request') OVER (PARTITION BY r.session_id) AS later
    FROM attrib_requests(['api_request', 'api_error', 'api_refusal', 'api_retries_exhausted'],
                         $from, $to, $tz, $source, $fdims, $fvals, 'day',
                         'user', $rollup_from, $rollup_to) r  -- raw rows: one per request
)
SELECT
    day, "user", repo,
    GROUPING(day, "user", repo) = 7 AS is_grand,
    count(*) FILTER (WHERE event_name = 'api_request') AS requests,
    coalesce(sum(cost_usd) FILTER (WHERE event_name = 'api_request'), 0)::DECIMAL(38, 12)
        AS cost_usd,
    count(*) FILTER (WHERE query_source = 'compact') AS compactions,
    coalesce(sum(cost_usd) FILTER (WHERE query_source = 'compact'), 0)::DECIMAL(38, 12)
        AS compaction_cost,
    count(*) FILTER (WHERE query_source = 'subagent') AS subagent_requests,
    coalesce(sum(cost_usd) FILTER (WHERE query_source = 'subagent'), 0)::DECIMAL(38, 12)
        AS subagent_cost,
    coalesce(sum(cache_creation_tokens) FILTER (WHERE later), 0) AS cache_rewrite_tokens,
    count(*) FILTER (WHERE event_name = 'api_error') AS api_errors,
    count(*) FILTER (WHERE event_name = 'api_retries_exhausted') AS retries_exhausted,
    count(*) FILTER (WHERE event_name = 'api_refusal') AS refusals,
    coalesce(sum(cost_usd) FILTER (WHERE event_name <> 'api_request'), 0)::DECIMAL(38, 12)
        AS failed_cost
FROM r
GROUP BY GROUPING SETS ((day, "user", repo), ())
ORDER BY is_grand, day, "user", repo

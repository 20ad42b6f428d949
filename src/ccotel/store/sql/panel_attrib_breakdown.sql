-- Tokens and cost of API requests per value of attribution dimension $dim (repo, branch,
-- skill, agent, mcp, query_source, effort, team, ...: attrib_macros.sql), for the
-- dashboard's "Cost by <dimension>" panels, under the dashboard's filters ($fdims/$fvals).
-- The grouping sets give each value's row and the total from the same DECIMAL sums, so the
-- parts add up exactly to the total (and to `ccotel report ... --breakdown`, which reads
-- the same macro). The whole hours [$rollup_from, $rollup_to) come from attrib_hourly.
-- Summed per value and session first: the sessions are then counted over far fewer rows.
WITH per AS (
    SELECT k, session_id, sum(requests) AS requests,
           sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)
               AS tokens,
           sum(cost_usd) AS cost_usd
    FROM attrib_requests(['api_request'], $from, $to, 'UTC', 'all', $fdims, $fvals, $dim,
                         $dim, $rollup_from, $rollup_to)
    GROUP BY k, session_id
)
SELECT
    k AS "key",
    GROUPING(k) = 1 AS is_total,
    coalesce(sum(requests), 0)::BIGINT AS requests,
    count(DISTINCT session_id) AS sessions,
    coalesce(sum(tokens), 0)::BIGINT AS tokens,
    coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd
FROM per
GROUP BY GROUPING SETS ((k), ())
ORDER BY is_total DESC, cost_usd DESC, tokens DESC, "key"

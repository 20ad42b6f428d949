-- Tokens and cost per value of dimension $dim (repo, branch, skill, agent, mcp, team, ...;
-- attrib_macros.sql), and per value of $sub within it (model by default), for
-- `ccotel report repos|branches|skills|agents|mcp` and `--breakdown`. The grouping sets give
-- each group's total and the grand total from the same DECIMAL sums, so the parts add up
-- exactly to the total.
SELECT
    k AS "key",
    s AS sub,
    GROUPING(k) = 1 AS is_grand,
    GROUPING(s) = 1 AS is_total,
    coalesce(sum(requests), 0) AS requests,
    count(DISTINCT session_id) AS sessions,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd,
    count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
    list(DISTINCT model ORDER BY model) FILTER (WHERE cost_usd IS NULL AND model IS NOT NULL)
        AS unpriced_models,
    min(ts) AS first_ts,
    max(ts) AS last_ts
FROM attrib_requests(['api_request'], $from, $to, $tz, $source, $fdims, $fvals, $dim, $sub,
                     NULL, NULL)
GROUP BY GROUPING SETS ((k, s), (k), ())
ORDER BY is_grand, "key", is_total DESC, cost_usd DESC, sub

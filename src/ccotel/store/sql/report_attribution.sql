-- Tokens and cost per value of dimension $dim (repo, branch, skill, agent, mcp, team, ...;
-- attrib_macros.sql), and per value of $sub within it (model by default), for
-- `ccotel report repos|branches|skills|agents|mcp` and `--breakdown`. The grouping sets give
-- each group's total and the grand total from the same DECIMAL sums, so the parts add up
-- exactly to the total.
SELECT
    attrib_value($dim, r) AS "key",
    attrib_value($sub, r) AS sub,
    GROUPING(attrib_value($dim, r)) = 1 AS is_grand,
    GROUPING(attrib_value($sub, r)) = 1 AS is_total,
    count(*) AS requests,
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
FROM attrib_requests(['api_request'], $from, $to, $tz, $source, $fdims, $fvals) r
GROUP BY GROUPING SETS ((attrib_value($dim, r), attrib_value($sub, r)),
                        (attrib_value($dim, r)), ())
ORDER BY is_grand, "key", is_total DESC, cost_usd DESC, sub

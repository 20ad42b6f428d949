-- A repo page's parts in one pass (store/attribution.py: repo_page): tokens and cost of API
-- requests of repo $repo per person, model, branch, session and time bucket ($step: hour,
-- day or month), and the total, under the other filters $fdims/$fvals, as
-- panel_attrib_breakdown.sql gives each of them with the repo as a filter (the same rows,
-- the same sums; `part` names the breakdown, 'total' the total). The whole hours
-- [$rollup_from, $rollup_to) come from attrib_hourly.
WITH per AS (
    SELECT
        k AS people, s AS models,
        attrib_value('branch', repo, branch, project, user_name, model, session_id,
                     local_ts, source, query_source, effort, speed, terminal_type,
                     service_version, skill, agent, plugin, mcp, mcp_tool, attributes,
                     resource) AS branches,
        attrib_value('session', repo, branch, project, user_name, model, session_id,
                     local_ts, source, query_source, effort, speed, terminal_type,
                     service_version, skill, agent, plugin, mcp, mcp_tool, attributes,
                     resource) AS sessions,
        attrib_value($step, repo, branch, project, user_name, model, session_id,
                     local_ts, source, query_source, effort, speed, terminal_type,
                     service_version, skill, agent, plugin, mcp, mcp_tool, attributes,
                     resource) AS over_time,
        session_id, sum(requests) AS requests,
        sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)
            AS tokens,
        sum(cost_usd) AS cost_usd
    FROM attrib_requests(['api_request'], $from, $to, 'UTC', 'all', $fdims, $fvals, 'user',
                         'model', $rollup_from, $rollup_to)
    WHERE attrib_value('repo', repo, branch, project, user_name, model, session_id,
                       local_ts, source, query_source, effort, speed, terminal_type,
                       service_version, skill, agent, plugin, mcp, mcp_tool, attributes,
                       resource) = $repo
    GROUP BY ALL
)
SELECT
    CASE WHEN GROUPING(people) = 0 THEN 'people' WHEN GROUPING(models) = 0 THEN 'models'
         WHEN GROUPING(branches) = 0 THEN 'branches'
         WHEN GROUPING(sessions) = 0 THEN 'sessions'
         WHEN GROUPING(over_time) = 0 THEN 'over_time' ELSE 'total' END AS part,
    coalesce(people, models, branches, sessions, over_time) AS "key",
    GROUPING(people, models, branches, sessions, over_time) = 31 AS is_total,
    coalesce(sum(requests), 0)::BIGINT AS requests,
    count(DISTINCT session_id) AS sessions,
    coalesce(sum(tokens), 0)::BIGINT AS tokens,
    coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd
FROM per
GROUP BY GROUPING SETS ((people), (models), (branches), (sessions), (over_time), ())
ORDER BY part, cost_usd DESC, tokens DESC, "key"

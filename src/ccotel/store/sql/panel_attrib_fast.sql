-- A "Cost by <dimension>" panel without filters (store/attribution.py: breakdown_panel,
-- for the dimensions of FAST_DIMENSIONS): the rows and sums of panel_attrib_breakdown.sql,
-- read without attrib_requests, whose general shape (every dimension, the users of
-- transcript rows, the filters) costs DuckDB more to plan than the panel costs to run.
-- The dimensions are attrib_value's (attrib_macros.sql) for what a panel's rows hold: the
-- record's attributes are not read (panels look a key up in the resource only), the repo
-- and branch are the session's (session_git) unless the row names them. The whole hours
-- [$rollup_from, $rollup_to) come from attrib_hourly, the rest of [$from, $to) from raw
-- rows. tests/attribution/test_rollup_paths.py checks it against the general path.
WITH r AS (
    SELECT session_id, project, git_branch, query_source, effort, speed, terminal_type,
           service_version, skill, agent, plugin, mcp, mcp_tool, resource, requests,
           input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd
    FROM attrib_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to AND event_name = 'api_request'
    UNION ALL
    SELECT session_id, project, git_branch, query_source, effort, speed, terminal_type,
           service_version, attributes->>'$."skill.name"', attributes->>'$."agent.name"',
           attributes->>'$."plugin.name"', attributes->>'$."mcp_server.name"',
           attributes->>'$."mcp_tool.name"', resource::VARCHAR, 1, input_tokens,
           output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd
    FROM events
    WHERE event_name = 'api_request' AND ts >= $from AND ts < $to
      AND (ts < $rollup_from OR ts >= $rollup_to)
),
-- a resource key's value (team, department, ...: any other dimension) looked up once per
-- distinct resource, not once per row: a team has many rows and few resources
keys AS (
    SELECT resource, resource->>('$."' || $dim || '"') AS v
    FROM (SELECT DISTINCT resource FROM attrib_hourly
          WHERE hour >= $rollup_from AND hour < $rollup_to AND event_name = 'api_request'
          UNION
          SELECT DISTINCT resource::VARCHAR FROM events
          WHERE event_name = 'api_request' AND ts >= $from AND ts < $to
            AND (ts < $rollup_from OR ts >= $rollup_to))
    WHERE $dim NOT IN ('repo', 'branch', 'project', 'query_source', 'effort', 'speed',
                       'terminal', 'version', 'skill', 'agent', 'plugin', 'mcp', 'mcp_tool')
),
per AS (
    SELECT coalesce(CASE $dim
            WHEN 'repo' THEN attrib_repo(g.repo, r.project, g.project)
            WHEN 'branch' THEN coalesce(r.git_branch, g.branch)
            WHEN 'project' THEN coalesce(r.project, g.project)
            WHEN 'query_source' THEN query_source
            WHEN 'effort' THEN effort
            WHEN 'speed' THEN speed
            WHEN 'terminal' THEN terminal_type
            WHEN 'version' THEN service_version
            WHEN 'skill' THEN skill
            WHEN 'agent' THEN agent
            WHEN 'plugin' THEN plugin
            WHEN 'mcp' THEN mcp
            WHEN 'mcp_tool' THEN mcp_tool
            ELSE m.v
        END, '(unknown)') AS k,
        r.session_id, sum(requests) AS requests,
        sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
            + coalesce(cache_creation_tokens, 0) + coalesce(cache_read_tokens, 0)) AS tokens,
        sum(cost_usd) AS cost_usd
    FROM r LEFT JOIN session_git g ON g.session_id = r.session_id
           LEFT JOIN keys m ON m.resource = r.resource
    GROUP BY ALL
)
-- each value's row (its sessions: its rows, one per session), then the total
SELECT k AS "key", false AS is_total, coalesce(sum(requests), 0)::BIGINT AS requests,
       count(session_id) AS sessions, coalesce(sum(tokens), 0)::BIGINT AS tokens,
       coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd
FROM per GROUP BY k
UNION ALL
SELECT NULL, true, coalesce(sum(requests), 0)::BIGINT, count(DISTINCT session_id),
       coalesce(sum(tokens), 0)::BIGINT, coalesce(sum(cost_usd), 0)::DECIMAL(38, 12)
FROM per
ORDER BY is_total DESC, cost_usd DESC, tokens DESC, "key"

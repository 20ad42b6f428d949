-- A "Cost by <dimension>" panel without filters (store/attribution.py: breakdown_panel,
-- for the dimensions of FAST_DIMENSIONS): the rows and sums of panel_attrib_breakdown.sql,
-- read without attrib_requests, whose general shape (every dimension, the users of
-- transcript rows, the filters) costs DuckDB more to plan than the panel costs to run.
-- The dimensions are attrib_value's (attrib_macros.sql) for what a panel's rows hold: the
-- record's attributes are not read (panels look a key up in the resource only), the repo
-- and branch are the session's (session_git) unless the row names them.
-- Each row gives the value of the one column the dimension reads (`v`: repo and project
-- read `project`, branch `git_branch`, a resource key such as team `resource`, the others
-- their own): the whole days [$day_from, $day_to) from that column's slice of
-- attrib_daily, the other whole hours [$rollup_from, $rollup_to) from attrib_hourly, the
-- rest of [$from, $to) from raw rows. tests/attribution/test_rollup_paths.py checks it
-- against the general path, and tests/store/test_rollups.py every path against raw rows.
WITH r AS (
    SELECT session_id, value AS v, requests, tokens, cost_usd
    FROM attrib_daily
    WHERE day >= $day_from AND day < $day_to
      AND col = CASE $dim
          WHEN 'repo' THEN 'project' WHEN 'branch' THEN 'git_branch'
          WHEN 'project' THEN 'project' WHEN 'query_source' THEN 'query_source'
          WHEN 'effort' THEN 'effort' WHEN 'speed' THEN 'speed'
          WHEN 'terminal' THEN 'terminal_type' WHEN 'version' THEN 'service_version'
          WHEN 'skill' THEN 'skill' WHEN 'agent' THEN 'agent' WHEN 'plugin' THEN 'plugin'
          WHEN 'mcp' THEN 'mcp' WHEN 'mcp_tool' THEN 'mcp_tool'
          ELSE 'resource' END
    UNION ALL
    SELECT session_id, CASE $dim
               WHEN 'repo' THEN project WHEN 'branch' THEN git_branch
               WHEN 'project' THEN project WHEN 'query_source' THEN query_source
               WHEN 'effort' THEN effort WHEN 'speed' THEN speed
               WHEN 'terminal' THEN terminal_type WHEN 'version' THEN service_version
               WHEN 'skill' THEN skill WHEN 'agent' THEN agent WHEN 'plugin' THEN plugin
               WHEN 'mcp' THEN mcp WHEN 'mcp_tool' THEN mcp_tool
               ELSE resource END,
           requests,
           coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
               + coalesce(cache_creation_tokens, 0) + coalesce(cache_read_tokens, 0),
           cost_usd
    FROM attrib_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
      AND (hour < $day_from OR hour >= $day_to) AND event_name = 'api_request'
    UNION ALL
    SELECT session_id, CASE $dim
               WHEN 'repo' THEN project WHEN 'branch' THEN git_branch
               WHEN 'project' THEN project WHEN 'query_source' THEN query_source
               WHEN 'effort' THEN effort WHEN 'speed' THEN speed
               WHEN 'terminal' THEN terminal_type WHEN 'version' THEN service_version
               WHEN 'skill' THEN attributes->>'$."skill.name"'
               WHEN 'agent' THEN attributes->>'$."agent.name"'
               WHEN 'plugin' THEN attributes->>'$."plugin.name"'
               WHEN 'mcp' THEN attributes->>'$."mcp_server.name"'
               WHEN 'mcp_tool' THEN attributes->>'$."mcp_tool.name"'
               ELSE resource::VARCHAR END,
           1,
           coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
               + coalesce(cache_creation_tokens, 0) + coalesce(cache_read_tokens, 0),
           cost_usd
    FROM events
    WHERE event_name = 'api_request' AND ts >= $from AND ts < $to
      AND (ts < $rollup_from OR ts >= $rollup_to)
),
-- a resource key's value (team, department, ...: any other dimension) looked up once per
-- distinct resource, not once per row: a team has many rows and few resources
keys AS (
    SELECT v, v->>('$."' || $dim || '"') AS k
    FROM (SELECT DISTINCT v FROM r)
    WHERE $dim NOT IN ('repo', 'branch', 'project', 'query_source', 'effort', 'speed',
                       'terminal', 'version', 'skill', 'agent', 'plugin', 'mcp', 'mcp_tool')
),
keyed AS (
    SELECT coalesce(CASE $dim
            WHEN 'repo' THEN attrib_repo(g.repo, r.v, g.project)
            WHEN 'branch' THEN coalesce(r.v, g.branch)
            WHEN 'project' THEN coalesce(r.v, g.project)
            WHEN 'query_source' THEN r.v WHEN 'effort' THEN r.v WHEN 'speed' THEN r.v
            WHEN 'terminal' THEN r.v WHEN 'version' THEN r.v WHEN 'skill' THEN r.v
            WHEN 'agent' THEN r.v WHEN 'plugin' THEN r.v WHEN 'mcp' THEN r.v
            WHEN 'mcp_tool' THEN r.v
            ELSE m.k
        END, '(unknown)') AS k,
        r.session_id, sum(r.requests) AS requests, sum(r.tokens) AS tokens,
        sum(r.cost_usd) AS cost_usd
    FROM r LEFT JOIN session_git g ON g.session_id = r.session_id
           LEFT JOIN keys m ON m.v = r.v
    GROUP BY ALL
)
-- each value's row (its sessions: its rows, one per session), then the total
SELECT k AS "key", false AS is_total, coalesce(sum(requests), 0)::BIGINT AS requests,
       count(session_id) AS sessions, coalesce(sum(tokens), 0)::BIGINT AS tokens,
       coalesce(sum(cost_usd), 0)::DECIMAL(38, 12) AS cost_usd
FROM keyed GROUP BY k
UNION ALL
SELECT NULL, true, coalesce(sum(requests), 0)::BIGINT, count(DISTINCT session_id),
       coalesce(sum(tokens), 0)::BIGINT, coalesce(sum(cost_usd), 0)::DECIMAL(38, 12)
FROM keyed
ORDER BY is_total DESC, cost_usd DESC, tokens DESC, "key"

-- A "Cost by <dimension>" panel without filters (store/attribution.py: breakdown_panel,
-- for the dimensions of FAST_DIMENSIONS): the rows and sums of panel_attrib_breakdown.sql,
-- read without attrib_requests, whose general shape (every dimension, the users of
-- transcript rows, the filters) costs DuckDB more to plan than the panel costs to run.
-- The dimensions are attrib_value's (attrib_macros.sql) for what a panel's rows hold: the
-- record's attributes are not read (panels look a key up in the resource only), the repo
-- and branch are the session's (session_git) unless the row names them.
-- Each row gives the value of the one column the dimension reads (`v`,
-- attrib_daily_col): the whole days [$day_from, $day_to) from that column's slice of
-- attrib_daily, the other whole hours [$rollup_from, $rollup_to) from attrib_hourly and
-- the rest of [$from, $to) from raw rows (attrib_edge_rows). tests/attribution/test_rollup_paths.py checks it
-- against the general path, and tests/store/test_rollups.py every path against raw rows.
WITH r AS (
    SELECT session_id, value AS v, requests, tokens, cost_usd
    FROM attrib_daily
    WHERE day >= $day_from AND day < $day_to AND col = attrib_daily_col($dim)
    UNION ALL
    SELECT * FROM attrib_edge_rows($dim, $from, $to, $rollup_from, $rollup_to, $day_from,
                                   $day_to)
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

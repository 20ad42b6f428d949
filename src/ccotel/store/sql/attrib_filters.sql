-- The values the dashboard's attribution filters offer (`var-repo`, `var-skill`,
-- `var-team`, ...): each dimension's values among the API requests of the range, most used
-- first, at most $limit per dimension: the named dimensions below (attribution.py:
-- FILTER_DIMENSIONS), and resource keys discovered from the data (OTEL_RESOURCE_ATTRIBUTES:
-- team, department, cost_center, ...), all but the ones every OpenTelemetry SDK sets
-- ($standard prefixes) and those named like a dimension ($named: user, session, day, ...
-- are those dimensions). The values are attrib_value's (attrib_macros.sql) for what a
-- panel's rows hold, read without attrib_requests (whose general shape costs more to plan
-- than this costs to run): the whole days [$day_from, $day_to) from attrib_daily_values
-- (attrib_daily for the sessions' repo and branch), the other whole hours [$rollup_from,
-- $rollup_to) from attrib_hourly, the rest of [$from, $to) from raw rows; a key is looked
-- up in the resource.
WITH r AS (
    SELECT session_id, project, git_branch, query_source, effort, speed, skill, agent,
           plugin, mcp, mcp_tool, resource, requests
    FROM attrib_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
      AND (hour < $day_from OR hour >= $day_to) AND event_name = 'api_request'
    UNION ALL
    SELECT session_id, project, git_branch, query_source, effort, speed,
           attributes->>'$."skill.name"', attributes->>'$."agent.name"',
           attributes->>'$."plugin.name"', attributes->>'$."mcp_server.name"',
           attributes->>'$."mcp_tool.name"', resource::VARCHAR, 1
    FROM events
    WHERE event_name = 'api_request' AND ts >= $from AND ts < $to
      AND (ts < $rollup_from OR ts >= $rollup_to)
),
-- the requests per distinct combination of the values offered, so that each dimension's
-- values are counted over far fewer rows
combos AS (
    SELECT attrib_repo(g.repo, r.project, g.project) AS repo,
           coalesce(r.git_branch, g.branch, '(unknown)') AS branch,
           query_source, effort, speed, skill, agent, plugin, mcp, mcp_tool,
           sum(requests) AS requests
    FROM r LEFT JOIN session_git g ON g.session_id = r.session_id
    GROUP BY ALL
),
-- the days' requests per value of the sessions' repo and branch
day_git AS (
    SELECT CASE d.col WHEN 'project' THEN 'repo' ELSE 'branch' END AS filter,
           CASE d.col WHEN 'project' THEN attrib_repo(g.repo, d.value, g.project)
                ELSE coalesce(d.value, g.branch, '(unknown)') END AS value,
           sum(d.requests) AS n
    FROM attrib_daily d LEFT JOIN session_git g ON g.session_id = d.session_id
    WHERE d.day >= $day_from AND d.day < $day_to AND d.col IN ('project', 'git_branch')
    GROUP BY ALL
),
-- the requests per distinct resource (a resource key's value depends on nothing else): its
-- JSON is read once per resource, not once per row
resources AS (
    SELECT resource, sum(requests) AS requests
    FROM (SELECT resource, requests FROM r
          UNION ALL
          SELECT value, requests FROM attrib_daily_values
          WHERE day >= $day_from AND day < $day_to AND col = 'resource')
    GROUP BY resource
),
resource_keys AS (
    SELECT DISTINCT unnest(json_keys(resource)) AS dim
    FROM resources WHERE resource IS NOT NULL
),
keys AS (
    SELECT dim FROM resource_keys
    WHERE NOT list_has_any([dim], $standard::VARCHAR[])
      AND len(list_filter($standard::VARCHAR[], lambda p: starts_with(dim, p || '.'))) = 0
      AND NOT list_has_any([dim], $named::VARCHAR[])
),
vals AS (
    SELECT v.filter, coalesce(v.value, '(unknown)') AS value, sum(requests) AS n
    FROM (SELECT unnest([{'filter': 'repo', 'value': repo},
                         {'filter': 'branch', 'value': branch},
                         {'filter': 'query_source', 'value': query_source},
                         {'filter': 'effort', 'value': effort},
                         {'filter': 'speed', 'value': speed},
                         {'filter': 'skill', 'value': skill},
                         {'filter': 'agent', 'value': agent},
                         {'filter': 'plugin', 'value': plugin},
                         {'filter': 'mcp', 'value': mcp},
                         {'filter': 'mcp_tool', 'value': mcp_tool}]) AS v, requests
          FROM combos)
    GROUP BY ALL
    UNION ALL
    SELECT filter, value, n FROM day_git
    UNION ALL
    SELECT col, value, sum(requests) FROM attrib_daily_values
    WHERE day >= $day_from AND day < $day_to
      AND col IN ('query_source', 'effort', 'speed', 'skill', 'agent', 'plugin', 'mcp',
                  'mcp_tool')
    GROUP BY ALL
    UNION ALL
    SELECT k.dim, coalesce(resource->>('$."' || k.dim || '"'), '(unknown)'), sum(requests)
    FROM resources CROSS JOIN keys k
    GROUP BY ALL
)
SELECT filter, value, sum(n) AS n FROM vals
GROUP BY filter, value
QUALIFY row_number() OVER (PARTITION BY filter ORDER BY sum(n) DESC, value) <= $limit
ORDER BY filter, n DESC, value

-- The values the dashboard's attribution filters offer (`var-repo`, `var-skill`,
-- `var-team`, ...): each dimension's values among the API requests of the range, most used
-- first, at most $limit per dimension. The named dimensions are listed in $dims; resource
-- keys are discovered from the data (OTEL_RESOURCE_ATTRIBUTES: team, department,
-- cost_center, ...), all but the ones every OpenTelemetry SDK sets ($standard prefixes) and
-- those named like a dimension ($named: user, session, day, ... are those dimensions).
-- The whole hours [$rollup_from, $rollup_to) come from attrib_hourly.
WITH r AS (
    SELECT * FROM attrib_requests(['api_request'], $from, $to, 'UTC', 'all', [], [], 'repo',
                                  'repo', $rollup_from, $rollup_to)
),
-- the requests per distinct value of what the filters look at (not the session or the
-- time: no filter offered here is one of those), so that each dimension's values are
-- looked up in far fewer rows
combos AS (
    SELECT repo, branch, project, user_name, model, source, query_source, effort, speed,
           terminal_type, service_version, skill, agent, plugin, mcp, mcp_tool, attributes,
           resource, sum(requests) AS requests
    FROM r
    GROUP BY ALL
),
resource_keys AS (
    SELECT DISTINCT unnest(json_keys(resource)) AS dim
    FROM (SELECT DISTINCT resource FROM combos WHERE resource IS NOT NULL)
),
dims AS (
    SELECT unnest($dims::VARCHAR[]) AS dim
    UNION
    SELECT dim FROM resource_keys
    WHERE NOT list_has_any([dim], $standard::VARCHAR[])
      AND len(list_filter($standard::VARCHAR[], lambda p: starts_with(dim, p || '.'))) = 0
      AND NOT list_has_any([dim], $named::VARCHAR[])
),
vals AS (
    SELECT d.dim AS filter,
           attrib_value(d.dim, repo, branch, project, user_name, model, NULL::VARCHAR,
                        NULL::TIMESTAMP, source,
                        query_source, effort, speed, terminal_type, service_version, skill,
                        agent, plugin, mcp, mcp_tool, attributes, resource) AS value,
           sum(requests) AS n
    FROM combos CROSS JOIN dims d
    GROUP BY ALL
)
SELECT filter, value, n FROM vals
QUALIFY row_number() OVER (PARTITION BY filter ORDER BY n DESC, value) <= $limit
ORDER BY filter, n DESC, value

-- The values the dashboard's attribution filters offer (`var-repo`, `var-skill`,
-- `var-team`, ...): each dimension's values among the API requests of the range, most used
-- first, at most $limit per dimension. The named dimensions are listed in $dims; resource
-- keys are discovered from the data (OTEL_RESOURCE_ATTRIBUTES: team, department,
-- cost_center, ...), all but the ones every OpenTelemetry SDK sets ($standard prefixes).
-- The whole hours [$rollup_from, $rollup_to) come from attrib_hourly.
WITH r AS (
    SELECT * FROM attrib_requests(['api_request'], $from, $to, 'UTC', 'all', [], [], 'repo',
                                  'repo', $rollup_from, $rollup_to)
),
resource_keys AS (
    SELECT DISTINCT unnest(json_keys(resource)) AS dim FROM r WHERE resource IS NOT NULL
),
dims AS (
    SELECT unnest($dims::VARCHAR[]) AS dim
    UNION
    SELECT dim FROM resource_keys
    WHERE NOT list_has_any([dim], $standard::VARCHAR[])
      AND len(list_filter($standard::VARCHAR[], lambda p: starts_with(dim, p || '.'))) = 0
),
vals AS (
    SELECT d.dim AS filter,
           attrib_value(d.dim, repo, branch, project, user_name, model, session_id, local_ts,
                        source, query_source, effort, speed, terminal_type, service_version,
                        attributes, resource) AS value,
           sum(requests) AS n
    FROM r CROSS JOIN dims d
    GROUP BY ALL
)
SELECT filter, value, n FROM vals
QUALIFY row_number() OVER (PARTITION BY filter ORDER BY n DESC, value) <= $limit
ORDER BY filter, n DESC, value

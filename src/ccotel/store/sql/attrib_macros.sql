-- The one definition of every attribution dimension: `attrib_value(dim, r)` is the value of
-- dimension `dim` for request row `r` (a row of attrib_requests.sql's shape), '(unknown)'
-- when the row has none. Reports group by it and filter on it (`var-<dim>=<value>`), so a
-- breakdown and a filter can never disagree. Named dimensions come first; any other name is
-- looked up in the record's attributes, then in its resource (OTEL_RESOURCE_ATTRIBUTES keys
-- such as team, department, cost_center are found this way, from the data).
CREATE OR REPLACE TEMP MACRO attrib_value(dim, r) AS coalesce(CASE dim
    WHEN 'repo' THEN r.repo
    WHEN 'branch' THEN r.branch
    WHEN 'project' THEN r.project
    WHEN 'user' THEN r.user_name
    WHEN 'model' THEN r.model
    WHEN 'session' THEN r.session_id
    WHEN 'day' THEN strftime(r.local_ts, '%Y-%m-%d')
    WHEN 'week' THEN strftime(date_trunc('week', r.local_ts), '%Y-%m-%d')
    WHEN 'month' THEN strftime(r.local_ts, '%Y-%m')
    WHEN 'source' THEN r.source
    WHEN 'query_source' THEN r.query_source
    WHEN 'effort' THEN r.effort
    WHEN 'speed' THEN r.speed
    WHEN 'terminal' THEN r.terminal_type
    WHEN 'terminal.type' THEN r.terminal_type
    WHEN 'version' THEN r.service_version
    WHEN 'service.version' THEN r.service_version
    WHEN 'skill' THEN r.attributes->>'$."skill.name"'
    WHEN 'agent' THEN r.attributes->>'$."agent.name"'
    WHEN 'plugin' THEN r.attributes->>'$."plugin.name"'
    WHEN 'mcp' THEN r.attributes->>'$."mcp_server.name"'
    WHEN 'mcp_tool' THEN r.attributes->>'$."mcp_tool.name"'
    ELSE coalesce(r.attributes->>('$."' || dim || '"'), r.resource->>('$."' || dim || '"'))
END, '(unknown)');

-- True when row `r` matches every filter: `dims[i]` has the value `vals[i]`.
CREATE OR REPLACE TEMP MACRO attrib_match(dims, vals, r) AS
    len(list_filter(range(len(dims)),
                    lambda i: attrib_value(dims[i + 1], r) IS DISTINCT FROM vals[i + 1])) = 0;

-- The rows an attribution report counts: events named in `evs` (api_request for costs) in
-- [t0, t1) from source `src` (`local_ts`: the time in zone `tz`), matching the filters
-- `fdims`/`fvals`, with the repo, branch, project and user of their session.
-- Counting rules as in report_periods.sql (a request known from telemetry and from a
-- transcript counts once, as telemetry). A session's repo and branch are the latest ones
-- recorded for it (`ccotel hook` and the statusline record `git.repo`, `git.branch`), else
-- what its transcript says (the cwd's folder name, `gitBranch`), else '(unknown)': a
-- session without any is counted, never dropped.
CREATE OR REPLACE TEMP MACRO attrib_requests(evs, t0, t1, tz, src, fdims, fvals) AS TABLE
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE source = 'telemetry' AND event_name = 'api_request' AND request_id IS NOT NULL
),
session_git AS (
    SELECT session_id,
           arg_max(attributes->>'$."git.repo"', ts)
               FILTER (WHERE attributes->>'$."git.repo"' IS NOT NULL) AS repo,
           arg_max(coalesce(attributes->>'$."git.branch"', git_branch), ts)
               FILTER (WHERE coalesce(attributes->>'$."git.branch"', git_branch) IS NOT NULL)
               AS branch,
           arg_max(project, ts) FILTER (WHERE project IS NOT NULL) AS project
    FROM events
    WHERE session_id IS NOT NULL
      AND (project IS NOT NULL OR git_branch IS NOT NULL OR event_name = 'ccotel.git')
    GROUP BY session_id
),
session_users AS (
    SELECT session_id, arg_max(coalesce(user_email, user_id), ts) AS user_name
    FROM events
    WHERE source = 'telemetry' AND session_id IS NOT NULL
      AND coalesce(user_email, user_id) IS NOT NULL
    GROUP BY session_id
),
req AS (
    SELECT
        e.ts, (e.ts AT TIME ZONE 'UTC') AT TIME ZONE tz AS local_ts, e.session_id, e.source, e.event_name, e.query_source, e.effort, e.speed,
        e.terminal_type, e.service_version, e.attributes, e.resource, e.request_id,
        e.error, e.status_code,
        coalesce(g.repo, regexp_extract(coalesce(e.project, g.project), '([^/\\]+)[/\\]*$', 1),
                 '(unknown)') AS repo,
        coalesce(e.git_branch, g.branch, '(unknown)') AS branch,
        coalesce(e.project, g.project, '(unknown)') AS project,
        coalesce(e.user_email, e.user_id, u.user_name,
                 CASE WHEN e.source = 'transcript' THEN '(local transcripts)'
                      ELSE '(unknown)' END) AS user_name,
        CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model,
        coalesce(e.input_tokens, 0) AS input_tokens,
        coalesce(e.output_tokens, 0) AS output_tokens,
        coalesce(e.cache_creation_tokens, 0) AS cache_creation_tokens,
        coalesce(e.cache_read_tokens, 0) AS cache_read_tokens,
        e.cost_usd
    FROM events e
    LEFT JOIN session_git g ON g.session_id = e.session_id
    LEFT JOIN session_users u ON u.session_id = e.session_id
    WHERE list_contains(evs, e.event_name)
      AND (t0 IS NULL OR e.ts >= t0)
      AND (t1 IS NULL OR e.ts < t1)
      AND (src = 'all' OR e.source = src)
      AND (e.source = 'telemetry'
           OR e.request_id IS NULL
           OR e.request_id NOT IN (SELECT request_id FROM telemetry_requests))
)
SELECT * FROM req r WHERE attrib_match(fdims, fvals, r);

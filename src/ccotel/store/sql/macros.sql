-- Macros the read queries share (DuckDB inlines them: they cost nothing at run time).
-- Defined on every writable open (store/schema.py), and for a read-only connection as
-- TEMP macros of that connection, so a store last opened by an older ccotel has them too.

-- The dashboard's filters on a row: `f` is the filter values (`Query.params()["filters"]`,
-- a STRUCT passed as $filters; a NULL value keeps every row), the rest are the row's
-- columns (a macro cannot see its caller's columns). The model filter is not here: what a
-- row without a model does under it differs by query (see sessions_using_model).
-- A new filter: one field in `Query.filters()`, one line here, its column at the calls.
CREATE OR REPLACE MACRO filters_match(f, user_id, user_email, session_id, terminal_type,
                                      service_version, app_version) AS
    (f.user IS NULL OR user_id = f.user OR user_email = f.user)
    AND (f.session IS NULL OR session_id = f.session)
    AND (f.terminal IS NULL OR terminal_type = f.terminal)
    AND (f.version IS NULL OR service_version = f.version OR app_version = f.version)
    -- session-level attribution filters (repo, branch, team, ...: attrib_sessions below)
    AND (len(f.sdims::VARCHAR[]) = 0 OR session_id IN (
        SELECT session_id FROM attrib_sessions(struct_extract(f, 'sdims')::VARCHAR[],
                                               struct_extract(f, 'svals')::VARCHAR[],
                                               struct_extract(f, 't0'),
                                               struct_extract(f, 't1'))));

-- Each session's repo, branch and project: the latest ones recorded for it (`ccotel hook`
-- and the statusline record `git.repo`, `git.branch` as a `ccotel.git` event), else what its
-- transcript says (cwd, gitBranch). Attribution's one definition (attrib_macros.sql).
-- (JSON is parsed for the git records only: transcript rows with a cwd are many.)
CREATE OR REPLACE MACRO attrib_session_git() AS TABLE
WITH facts AS (
    SELECT session_id, ts, project,
           CASE WHEN event_name = 'ccotel.git' THEN attributes->>'$."git.repo"' END AS repo,
           coalesce(CASE WHEN event_name = 'ccotel.git'
                         THEN attributes->>'$."git.branch"' END, git_branch) AS branch
    FROM events
    WHERE session_id IS NOT NULL
      AND (project IS NOT NULL OR git_branch IS NOT NULL OR event_name = 'ccotel.git')
)
SELECT session_id,
       arg_max(repo, ts) FILTER (WHERE repo IS NOT NULL) AS repo,
       arg_max(branch, ts) FILTER (WHERE branch IS NOT NULL) AS branch,
       arg_max(project, ts) FILTER (WHERE project IS NOT NULL) AS project
FROM facts
GROUP BY session_id;

-- The sessions with telemetry in [t0, t1) whose session-level attribution values match
-- every (dims[i], vals[i]): repo (the recorded remote, else the folder of its project),
-- branch, project, and any other key as a resource attribute of its API requests
-- (OTEL_RESOURCE_ATTRIBUTES: team, department, cost_center, ...). A session without a
-- value has '(unknown)', as in attrib_value. The rolled-up hours are read from the hourly
-- rollups (sessions from events_hourly and points_hourly, resources from attrib_hourly:
-- a resource is not read from every raw row), the hours from rolled_until on raw; the
-- first hour is read whole, which may add sessions outside the range: harmless, the
-- callers count only rows in the range.
CREATE OR REPLACE MACRO attrib_sessions(dims, vals, t0, t1) AS TABLE
WITH until AS (SELECT coalesce(max(rolled_until), '-infinity'::TIMESTAMP) AS u FROM rollup_state),
seen AS (
    SELECT session_id, NULL::VARCHAR AS resource, last_ts AS ts FROM events_hourly
    WHERE hour >= date_trunc('hour', t0) AND hour < t1 AND hour < (SELECT u FROM until)
    UNION ALL
    SELECT session_id, NULL, last_ts FROM points_hourly
    WHERE hour >= date_trunc('hour', t0) AND hour < t1 AND hour < (SELECT u FROM until)
    UNION ALL
    SELECT session_id, resource, last_ts FROM attrib_hourly
    WHERE hour >= date_trunc('hour', t0) AND hour < t1 AND hour < (SELECT u FROM until)
    UNION ALL
    -- ccotel's own git records carry ccotel's resource, not Claude Code's
    SELECT session_id, CASE WHEN event_name = 'api_request' THEN resource::VARCHAR END, ts
    FROM events
    WHERE ts >= greatest(t0, (SELECT u FROM until)) AND ts < t1
      AND event_name IS DISTINCT FROM 'ccotel.git'
    UNION ALL
    SELECT session_id, NULL, ts FROM points
    WHERE ts >= greatest(t0, (SELECT u FROM until)) AND ts < t1
),
res AS (
    SELECT session_id, arg_max(resource, ts) FILTER (WHERE resource IS NOT NULL)::JSON
               AS resource
    FROM seen WHERE session_id IS NOT NULL
    GROUP BY session_id
)
SELECT r.session_id
FROM res r LEFT JOIN attrib_session_git() g ON g.session_id = r.session_id
WHERE len(list_filter(range(len(dims)), lambda i: coalesce(CASE dims[i + 1]
        WHEN 'repo' THEN coalesce(g.repo, regexp_extract(g.project, '([^/\\]+)[/\\]*$', 1))
        WHEN 'branch' THEN g.branch
        WHEN 'project' THEN g.project
        ELSE r.resource->>('$."' || dims[i + 1] || '"')
    END, '(unknown)') IS DISTINCT FROM vals[i + 1])) = 0;

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
    -- session-level attribution filters (repo, branch, team, ...): the sessions they
    -- select, found once per query by queries.bind_sessions (attrib_sessions below), or NULL
    AND (f.sessions IS NULL OR list_contains(f.sessions::VARCHAR[], session_id));

-- A row's tokens of every kind (input, output, cache creation, cache read), a missing kind
-- counting none: what the attribution rollups and panels call a row's `tokens`.
CREATE OR REPLACE MACRO all_tokens(i, o, cc, cr) AS
    coalesce(i, 0) + coalesce(o, 0) + coalesce(cc, 0) + coalesce(cr, 0);

-- The rows the cost and token numbers add up, for the range [t0, t1) whose whole hours
-- [r0, r1) are read from the hourly rollups (queries.ranged() picks them; the rest comes
-- from raw rows), under the filters `f` ($filters) and the model `m` ($model):
-- - the API requests (`requests` > 0: exact per-request numbers from api_request events);
-- - the cost and token metrics of the sessions that sent no api_request in the range
--   (`requests` = 0), so that sessions exporting only metrics still count. Metrics
--   without a session count only when the range has no request at all. Rollup rows of
--   metrics known to sit beside api_requests of the same hour, session, user and model
--   (with_requests) are never a fallback.
-- Every token and cost panel, the top sessions and the summary read it.
CREATE OR REPLACE MACRO usage_rows(t0, t1, r0, r1, f, m) AS TABLE
WITH requests AS NOT MATERIALIZED (
    SELECT hour AS ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, requests, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd, duration_ms_sum, duration_ms_count
    FROM events_hourly
    WHERE hour >= r0 AND hour < r1 AND requests > 0
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, 1, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd, duration_ms,
           CASE WHEN duration_ms IS NOT NULL THEN 1 ELSE 0 END
    FROM events
    WHERE (ts >= t0 AND ts < r0 OR ts >= r1 AND ts < t1)
      AND event_name = 'api_request'
),
candidates AS NOT MATERIALIZED (
    SELECT hour AS ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model, input_tokens, output_tokens, cache_read_tokens,
           cache_creation_tokens, cost_usd
    FROM points_hourly
    WHERE hour >= r0 AND hour < r1 AND usage_points > 0 AND NOT with_requests
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version,
           app_version, model,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'input' THEN value END,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'output' THEN value END,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'cacheRead'
                THEN value END,
           CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'cacheCreation'
                THEN value END,
           CASE WHEN metric_name = 'claude_code.cost.usage' THEN metric_decimal(value) END
    FROM points
    WHERE (ts >= t0 AND ts < r0 OR ts >= r1 AND ts < t1)
      AND metric_name IN ('claude_code.token.usage', 'claude_code.cost.usage')
),
ev AS (
    SELECT * FROM requests
    WHERE filters_match(f, user_id, user_email, session_id, terminal_type, service_version,
                        app_version)
      AND (m IS NULL OR model = m)
),
metrics AS (
    SELECT * FROM candidates
    WHERE filters_match(f, user_id, user_email, session_id, terminal_type, service_version,
                        app_version)
      AND (m IS NULL OR model = m)
)
SELECT ts, session_id, user_id, user_email, model, requests, input_tokens, output_tokens,
       cache_read_tokens, cache_creation_tokens, cost_usd, duration_ms_sum,
       duration_ms_count
FROM ev
UNION ALL
SELECT mt.ts, mt.session_id, mt.user_id, mt.user_email, mt.model, 0, mt.input_tokens,
       mt.output_tokens, mt.cache_read_tokens, mt.cache_creation_tokens, mt.cost_usd, NULL,
       0
FROM metrics mt
-- A NULL session matches nothing here, so metrics without a session are kept, unless
-- the range has request events at all.
ANTI JOIN (SELECT DISTINCT session_id FROM ev
           WHERE session_id IN (SELECT session_id FROM metrics)) r
    ON r.session_id = mt.session_id
WHERE mt.session_id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM ev);

-- The group of a usage row (usage_rows) by `grp`: 'model', 'user' (its email, else its id),
-- 'session', or '' for none (NULL). The usage panels group by it (panel_usage.sql,
-- panel_usage_cost.sql).
CREATE OR REPLACE MACRO usage_key(grp, row_model, row_user_email, row_user_id, row_session)
AS CASE grp
    WHEN 'model' THEN row_model
    WHEN 'user' THEN coalesce(row_user_email, row_user_id)
    WHEN 'session' THEN row_session
END;

-- The API requests a report counts in [t0, t1) (a NULL end: unbounded) from source `src`
-- ('all', 'telemetry' or 'transcript'): a request known from telemetry and from a
-- transcript counts once, as telemetry ('transcript' means: known only from transcripts).
-- Every column of `events`, and `model_name`: the model, `-fast` added in fast mode.
CREATE OR REPLACE MACRO report_requests(t0, t1, src) AS TABLE
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE source = 'telemetry' AND event_name = 'api_request' AND request_id IS NOT NULL
)
SELECT e.*, CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model_name
FROM events e
WHERE e.event_name = 'api_request'
  AND (t0 IS NULL OR e.ts >= t0)
  AND (t1 IS NULL OR e.ts < t1)
  AND (src = 'all' OR e.source = src)
  AND (e.source = 'telemetry'
       OR e.request_id IS NULL
       OR e.request_id NOT IN (SELECT request_id FROM telemetry_requests));

-- The project (the cwd Claude Code ran in) of each session with a transcript: telemetry
-- carries none, so a telemetry session takes its transcript's.
CREATE OR REPLACE MACRO transcript_projects() AS TABLE
SELECT session_id, arg_max(project, ts) AS project
FROM events
WHERE source = 'transcript' AND project IS NOT NULL AND session_id IS NOT NULL
GROUP BY session_id;

-- The model filter `m` ($model) on a row that may have no model (tool calls, commits,
-- active time): such a row counts for the sessions that used the model in the range
-- (sessions_using_model; the range [t0, t1), its whole hours [r0, r1) from rollups).
-- Parameters are not named like columns: inside a macro a parameter hides a column.
CREATE OR REPLACE MACRO model_match(m, row_model, row_session, t0, t1, r0, r1) AS
    m IS NULL OR row_model = m
    OR (row_model IS NULL AND row_session IN (
          SELECT session_id FROM sessions_using_model(m, t0, t1, r0, r1)));

-- model_match for a query run without a model filter (`m` NULL): what model_match gives
-- then, without the sessions_using_model subquery, which DuckDB would plan all the same
-- (about a millisecond a statement). The queries that test the model filter name the macro
-- as a template, `{model_match}` (queries.MODEL_MATCH), filled with one or the other.
CREATE OR REPLACE MACRO no_model_filter(m, row_model, row_session, t0, t1, r0, r1) AS
    m IS NULL;

-- The Claude Code Logs panel's events in [t0, t1) (rowid as `cursor`, with what sorting
-- and the model filter need): stored after the cursor `after` (NULL: any), named `ev`
-- (NULL: any), containing the text `txt` (NULL: any), under the filters `f` (the model
-- filter is the caller's). Copies of telemetry requests are counted once, as telemetry.
CREATE OR REPLACE MACRO log_rows(t0, t1, after, ev, txt, f) AS TABLE
SELECT rowid AS cursor, ts, model, session_id
FROM events
WHERE ts >= t0 AND ts < t1
  AND (after IS NULL OR rowid > after)
  -- counted once, as telemetry; a git record names the repo, it is not an event
  AND coalesce(event_name, '') NOT IN ('transcript_copy', 'ccotel.git')
  AND (ev IS NULL OR event_name = ev)
  AND (txt IS NULL OR contains(lower(concat_ws(' ', event_name, session_id, user_id,
        user_email, model, tool_name, request_id, prompt_id, error, error_type, body,
        attributes::VARCHAR)), lower(txt)))
  AND filters_match(f, user_id, user_email, session_id, terminal_type, service_version,
                    app_version);

-- Each session's repo, branch and project: the latest ones recorded for it (`ccotel hook`
-- and the statusline record `git.repo`, `git.branch` as a `ccotel.git` event), else what its
-- transcript says (cwd, gitBranch). Attribution's one definition (attrib_macros.sql), kept
-- per session as rows arrive in session_git (schema.sql: session_git_of, store/rollups.py).
CREATE OR REPLACE MACRO attrib_session_git() AS TABLE
SELECT session_id, repo, branch, project FROM session_git;

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
      AND event_name = 'api_request'
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

-- The one definition of every attribution dimension: `attrib_value(dim, <columns>)` is the
-- value of dimension `dim` for a request row of attrib_requests' shape, '(unknown)' when the
-- row has none (columns as arguments: a macro cannot see its caller's columns). Reports
-- group by it and filter on it (`var-<dim>=<value>`), so a breakdown and a filter can never
-- disagree. Named dimensions come first; any other name is
-- looked up in the record's attributes, then in its resource (OTEL_RESOURCE_ATTRIBUTES keys
-- such as team, department, cost_center are found this way, from the data).
CREATE OR REPLACE MACRO attrib_value(dim, repo, branch, project, user_name, model,
        session_id, local_ts, source, query_source, effort, speed, terminal_type,
        service_version, skill, agent, plugin, mcp, mcp_tool, attributes, resource)
AS coalesce(CASE dim
    WHEN 'repo' THEN repo
    WHEN 'branch' THEN branch
    WHEN 'project' THEN project
    WHEN 'user' THEN user_name
    WHEN 'model' THEN model
    -- the model as the dashboard's model filter names it (without -fast)
    WHEN 'model.id' THEN CASE WHEN speed = 'fast' THEN left(model, length(model) - 5)
                              ELSE model END
    WHEN 'session' THEN session_id
    WHEN 'hour' THEN strftime(local_ts, '%Y-%m-%d %H:00')
    WHEN 'day' THEN strftime(local_ts, '%Y-%m-%d')
    WHEN 'week' THEN strftime(date_trunc('week', local_ts), '%Y-%m-%d')
    WHEN 'month' THEN strftime(local_ts, '%Y-%m')
    WHEN 'source' THEN source
    WHEN 'query_source' THEN query_source
    WHEN 'effort' THEN effort
    WHEN 'speed' THEN speed
    WHEN 'terminal' THEN terminal_type
    WHEN 'terminal.type' THEN terminal_type
    WHEN 'version' THEN service_version
    WHEN 'service.version' THEN service_version
    WHEN 'skill' THEN skill
    WHEN 'agent' THEN agent
    WHEN 'plugin' THEN plugin
    WHEN 'mcp' THEN mcp
    WHEN 'mcp_tool' THEN mcp_tool
    ELSE coalesce(attributes->>('$."' || dim || '"'), resource->>('$."' || dim || '"'))
END, '(unknown)');


-- A request's repo: its session's recorded one (session_git), else the folder of the
-- row's project (else of its session's): '(unknown)' without either.
CREATE OR REPLACE MACRO attrib_repo(git_repo, project, git_project)
AS coalesce(git_repo, regexp_extract(coalesce(project, git_project), '([^/\\]+)[/\\]*$', 1),
            '(unknown)');

-- A request's user: the row's, else (a transcript's row) its session's from telemetry
-- (attrib_session_users), else '(local transcripts)' for a transcript's, '(unknown)'.
CREATE OR REPLACE MACRO attrib_user(user_email, user_id, session_user, source)
AS coalesce(user_email, user_id, session_user,
            CASE WHEN source = 'transcript' THEN '(local transcripts)' ELSE '(unknown)' END);

-- Where the money went (report_waste.sql, panel_attrib_waste.sql): the cache-creation
-- tokens of a row paid again, that is all of them but, when the row's first request is its
-- session's first in the range (`session_first_ts`), that request's.
CREATE OR REPLACE MACRO waste_repaid(event_name, cache_creation_tokens, first_ts,
                                     session_first_ts, first_cache_creation_tokens)
AS CASE WHEN event_name = 'api_request'
        THEN cache_creation_tokens
             - CASE WHEN first_ts = session_first_ts
                    THEN first_cache_creation_tokens ELSE 0 END END;

-- What kind of request a row is for Where the Money Went: 'compact' for a context
-- compaction, 'subagent' for a subagent's (Claude Code names the agent, `agent.name`, on
-- its requests; their query source is 'subagent' on metrics but a subsystem name on
-- events), else its query source. waste_sums reads it as `query_source`.
CREATE OR REPLACE MACRO waste_kind(query_source, agent) AS
    CASE WHEN query_source = 'compact' THEN 'compact'
         WHEN query_source = 'subagent' OR agent IS NOT NULL THEN 'subagent'
         ELSE query_source END;

-- The column of attrib_daily (its `col`) a breakdown by dimension `dim` reads: repo and
-- project the row's project, branch its git branch, a resource key (team, ...) its
-- resource, the others their own (attrib_daily_of in schema.sql).
CREATE OR REPLACE MACRO attrib_daily_col(dim) AS
    CASE dim WHEN 'repo' THEN 'project' WHEN 'branch' THEN 'git_branch'
             WHEN 'terminal' THEN 'terminal_type' WHEN 'version' THEN 'service_version'
             WHEN 'project' THEN 'project' WHEN 'query_source' THEN 'query_source'
             WHEN 'effort' THEN 'effort' WHEN 'speed' THEN 'speed' WHEN 'skill' THEN 'skill'
             WHEN 'agent' THEN 'agent' WHEN 'plugin' THEN 'plugin' WHEN 'mcp' THEN 'mcp'
             WHEN 'mcp_tool' THEN 'mcp_tool' ELSE 'resource' END;

-- The API requests of [t0, t1) outside the whole days [d0, d1) (the other whole hours
-- [r0, r1) from attrib_hourly, the rest raw), each with its session, tokens, cost and `v`,
-- its value of the column attrib_daily_col(dim) names (by a CASE of its own: with
-- attrib_daily_col's inside it, planning took four times as long): what the breakdowns
-- without filters read beside attrib_daily (panel_attrib_fast.sql,
-- panel_attrib_named.sql).
CREATE OR REPLACE MACRO attrib_edge_rows(dim, t0, t1, r0, r1, d0, d1) AS TABLE
SELECT session_id, CASE dim
           WHEN 'repo' THEN project WHEN 'branch' THEN git_branch
           WHEN 'project' THEN project WHEN 'query_source' THEN query_source
           WHEN 'effort' THEN effort WHEN 'speed' THEN speed
           WHEN 'terminal' THEN terminal_type WHEN 'version' THEN service_version
           WHEN 'skill' THEN skill WHEN 'agent' THEN agent WHEN 'plugin' THEN plugin
           WHEN 'mcp' THEN mcp WHEN 'mcp_tool' THEN mcp_tool ELSE resource END AS v,
       requests,
       all_tokens(input_tokens, output_tokens,
                  cache_creation_tokens, cache_read_tokens) AS tokens,
       cost_usd
FROM attrib_hourly
WHERE hour >= r0 AND hour < r1 AND (hour < d0 OR hour >= d1) AND event_name = 'api_request'
UNION ALL
SELECT session_id, CASE dim
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
       all_tokens(input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens),
       cost_usd
FROM events
WHERE event_name = 'api_request' AND ts >= t0 AND ts < t1 AND (ts < r0 OR ts >= r1);

-- requests_daily's rows of the days in [d0, d1), from attrib_hourly (schema.sql).
CREATE OR REPLACE MACRO requests_daily_of(d0, d1) AS TABLE
SELECT date_trunc('day', hour) AS day, session_id, source, user_id, user_email, model,
       speed, project, git_branch, sum(requests)::BIGINT AS requests,
       sum(all_tokens(input_tokens, output_tokens,
                      cache_creation_tokens, cache_read_tokens))::BIGINT
           AS tokens,
       sum(cost_usd) AS cost_usd
FROM attrib_hourly
WHERE hour >= d0 AND hour < d1 AND event_name = 'api_request'
GROUP BY ALL;

-- waste_daily's rows of the days in [d0, d1), from attrib_hourly (schema.sql): a group's
-- first_cache_creation_tokens are those of its rows that start at its first time.
CREATE OR REPLACE MACRO waste_daily_of(d0, d1) AS TABLE
WITH h AS (
    SELECT {'day': date_trunc('day', hour), 'session_id': session_id, 'source': source,
            'event_name': event_name, 'user_id': user_id, 'user_email': user_email,
            'project': project} AS g,
           waste_kind(query_source, agent) AS kind, requests, cost_usd,
           cache_creation_tokens, first_ts, first_cache_creation_tokens
    FROM attrib_hourly
    WHERE hour >= d0 AND hour < d1
),
firsts AS (
    SELECT g, min(first_ts) AS first_ts FROM h GROUP BY g
)
SELECT unnest(h.g), sum(requests)::BIGINT AS requests, sum(cost_usd) AS cost_usd,
       coalesce(sum(requests) FILTER (WHERE kind = 'compact'), 0)::BIGINT AS compactions,
       sum(cost_usd) FILTER (WHERE kind = 'compact') AS compaction_cost,
       coalesce(sum(requests) FILTER (WHERE kind = 'subagent'), 0)::BIGINT
           AS subagent_requests,
       sum(cost_usd) FILTER (WHERE kind = 'subagent') AS subagent_cost,
       sum(cache_creation_tokens)::BIGINT AS cache_creation_tokens,
       min(h.first_ts) AS first_ts,
       sum(first_cache_creation_tokens) FILTER (WHERE h.first_ts = f.first_ts)::BIGINT
           AS first_cache_creation_tokens
FROM h JOIN firsts f ON f.g = h.g
GROUP BY h.g;

-- ... and its measures, summed over a group's rows (one per kind of request): requests and
-- cost, compactions, subagents, tokens re-paid, and the requests that produced nothing.
-- A struct, for `unnest(...)` into the columns both read.
CREATE OR REPLACE MACRO waste_sums(event_name, query_source, requests, cost_usd, repaid)
AS {
    'requests': coalesce(sum(requests) FILTER (WHERE event_name = 'api_request'), 0)::BIGINT,
    'cost_usd': coalesce(sum(cost_usd) FILTER (WHERE event_name = 'api_request'), 0)
        ::DECIMAL(38, 12),
    'compactions': coalesce(sum(requests) FILTER (WHERE query_source = 'compact'), 0)
        ::BIGINT,
    'compaction_cost': coalesce(sum(cost_usd) FILTER (WHERE query_source = 'compact'), 0)
        ::DECIMAL(38, 12),
    'subagent_requests': coalesce(sum(requests) FILTER (WHERE query_source = 'subagent'), 0)
        ::BIGINT,
    'subagent_cost': coalesce(sum(cost_usd) FILTER (WHERE query_source = 'subagent'), 0)
        ::DECIMAL(38, 12),
    'cache_rewrite_tokens': coalesce(sum(repaid), 0)::BIGINT,
    'api_errors': coalesce(sum(requests) FILTER (WHERE event_name = 'api_error'), 0)::BIGINT,
    'retries_exhausted': coalesce(sum(requests)
        FILTER (WHERE event_name = 'api_retries_exhausted'), 0)::BIGINT,
    'refusals': coalesce(sum(requests) FILTER (WHERE event_name = 'api_refusal'), 0)::BIGINT,
    'failed_cost': coalesce(sum(cost_usd) FILTER (WHERE event_name <> 'api_request'), 0)
        ::DECIMAL(38, 12)
};

-- The user of each session whose rows among events `evs` in [t0, t1) (the whole hours
-- [r0, r1) from attrib_hourly, as attrib_rows reads them) include one that names none (a
-- transcript's): the session's latest from telemetry. The sessions are found apart from
-- the rows the caller reads (which would otherwise be held in memory for a second
-- reader); a few more than counted at most, which only costs their lookup.
CREATE OR REPLACE MACRO attrib_session_users(evs, t0, t1, r0, r1)
AS TABLE
WITH needs_user AS (
    SELECT session_id FROM attrib_hourly
    WHERE r0 IS NOT NULL AND hour >= r0 AND hour < r1 AND list_contains(evs, event_name)
      AND user_email IS NULL AND user_id IS NULL
    UNION
    SELECT session_id FROM events
    WHERE list_contains(evs, event_name)
      AND (t0 IS NULL OR ts >= t0)
      AND (t1 IS NULL OR ts < t1)
      AND (r0 IS NULL OR ts < r0 OR ts >= r1)
      AND user_email IS NULL AND user_id IS NULL
)
SELECT session_id, arg_max(coalesce(user_email, user_id), ts) AS user_name
FROM events
WHERE source = 'telemetry' AND coalesce(user_email, user_id) IS NOT NULL
  AND session_id IN (SELECT session_id FROM needs_user)
GROUP BY session_id;


-- The rows an attribution report or panel counts, before any filter (attrib_requests
-- below applies them): events named in `evs` (api_request for
-- costs) in [t0, t1) from source `src` (`local_ts`: the time in zone `tz`),
-- with the repo, branch, project and user of their session, and
-- their values of dimensions `dim` (as `k`) and `sub` (as `s`); `requests` is how many
-- events a row stands for, `first_ts` the time of its first and
-- `first_cache_creation_tokens` the cache-creation tokens of those at that time (a raw
-- row: its own).
-- The whole hours [r0, r1) come from the attrib_hourly rollup (the dashboard's panels, in
-- UTC: rollups.window() picks them), the rest from raw rows; with r0 NULL every row is raw
-- (reports: any time zone). Rolled-up rows keep only the named request attributes (skill,
-- agent, plugin, mcp, mcp_tool: columns of their own, as JSON is slow to build and read)
-- and the resource (JSON text), so in panels (raw rows too) any other key is looked up in
-- the resource; reports look it up in the record's attributes first.
-- Counting rules as in report_periods.sql (a request known from telemetry and from a
-- transcript counts once, as telemetry; the rollups hold api_request events, where the
-- importer has already relabelled such copies). A session's repo and branch are the latest
-- ones recorded for it (`ccotel hook` and the statusline record `git.repo`, `git.branch`),
-- else what its transcript says (the cwd's folder name, `gitBranch`), else '(unknown)': a
-- session without any is counted, never dropped.
CREATE OR REPLACE MACRO attrib_rows(evs, t0, t1, tz, src, dim, sub, r0, r1)
AS TABLE
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE r0 IS NULL AND source = 'telemetry' AND event_name = 'api_request'
      AND request_id IS NOT NULL
),
git AS (
    SELECT * FROM attrib_session_git()  -- macros.sql
),
rows AS (
    SELECT hour AS ts, session_id, source, event_name, user_id, user_email,
           model, speed, effort, query_source, terminal_type, service_version, project,
           git_branch, skill, agent, plugin, mcp, mcp_tool, NULL::JSON AS attributes,
           resource, requests, input_tokens, output_tokens,
           cache_creation_tokens, cache_read_tokens, cost_usd, first_ts,
           first_cache_creation_tokens
    FROM attrib_hourly
    WHERE r0 IS NOT NULL AND hour >= r0 AND hour < r1 AND list_contains(evs, event_name)
      AND (src = 'all' OR source = src)
    UNION ALL
    SELECT ts, session_id, source, event_name, user_id, user_email, model, speed, effort,
           query_source, terminal_type, service_version, project, git_branch,
           attributes->>'$."skill.name"', attributes->>'$."agent.name"',
           attributes->>'$."plugin.name"', attributes->>'$."mcp_server.name"',
           attributes->>'$."mcp_tool.name"', CASE WHEN r0 IS NULL THEN attributes END,
           resource::VARCHAR, 1, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
           cost_usd, ts, cache_creation_tokens
    FROM events
    WHERE list_contains(evs, event_name)
      AND (t0 IS NULL OR ts >= t0)
      AND (t1 IS NULL OR ts < t1)
      AND (r0 IS NULL OR ts < r0 OR ts >= r1)
      AND (src = 'all' OR source = src)
      AND (source = 'telemetry' OR r0 IS NOT NULL
           OR request_id IS NULL
           OR request_id NOT IN (SELECT request_id FROM telemetry_requests))
),
session_users AS (
    SELECT * FROM attrib_session_users(evs, t0, t1, r0, r1)
),
req AS (
    SELECT
        e.ts, (e.ts AT TIME ZONE 'UTC') AT TIME ZONE tz AS local_ts, e.session_id, e.source,
        e.event_name, e.query_source, e.effort, e.speed, e.terminal_type, e.service_version,
        e.skill, e.agent, e.plugin, e.mcp, e.mcp_tool, e.attributes, e.resource, e.requests,
        attrib_repo(g.repo, e.project, g.project) AS repo,
        coalesce(e.git_branch, g.branch, '(unknown)') AS branch,
        coalesce(e.project, g.project, '(unknown)') AS project,
        attrib_user(e.user_email, e.user_id, u.user_name, e.source) AS user_name,
        CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model,
        coalesce(e.input_tokens, 0) AS input_tokens,
        coalesce(e.output_tokens, 0) AS output_tokens,
        coalesce(e.cache_creation_tokens, 0) AS cache_creation_tokens,
        coalesce(e.cache_read_tokens, 0) AS cache_read_tokens,
        e.cost_usd, e.first_ts,
        coalesce(e.first_cache_creation_tokens, 0) AS first_cache_creation_tokens
    FROM rows e
    LEFT JOIN git g ON g.session_id = e.session_id
    LEFT JOIN session_users u ON u.session_id = e.session_id
)
SELECT ts, local_ts, session_id, source, event_name, query_source, repo, branch, project,
       user_name, model, effort, speed, terminal_type, service_version, skill, agent, plugin,
       mcp, mcp_tool, attributes, resource, requests, input_tokens, output_tokens,
       cache_creation_tokens, cache_read_tokens, cost_usd, first_ts,
       first_cache_creation_tokens,
       attrib_value(dim, repo, branch, project, user_name, model, session_id, local_ts,
                source, query_source, effort, speed, terminal_type, service_version, skill,
                agent, plugin, mcp, mcp_tool, attributes, resource) AS k,
       attrib_value(sub, repo, branch, project, user_name, model, session_id, local_ts,
                source, query_source, effort, speed, terminal_type, service_version, skill,
                agent, plugin, mcp, mcp_tool, attributes, resource) AS s
FROM req;

-- attrib_rows matching the filters `fdims`/`fvals`: for each i, the row's value of
-- dimension fdims[i] is fvals[i]. (The filters in a list: one copy of attrib_value for any
-- number of them, as each copy costs every query its planning; a filter known in advance,
-- as the repo page's repo, is best a condition of its own: panel_attrib_page.sql.)
CREATE OR REPLACE MACRO attrib_requests(evs, t0, t1, tz, src, fdims, fvals, dim, sub, r0, r1)
AS TABLE
SELECT * FROM attrib_rows(evs, t0, t1, tz, src, dim, sub, r0, r1)
WHERE len(fdims) = 0
   OR len(list_filter(range(len(fdims)), lambda i: attrib_value(fdims[i + 1], repo, branch,
          project, user_name, model, session_id, local_ts, source, query_source, effort,
          speed, terminal_type, service_version, skill, agent, plugin, mcp, mcp_tool,
          attributes, resource)
      IS DISTINCT FROM fvals[i + 1])) = 0;

-- ccotel store schema. Bump SCHEMA_VERSION in store/schema.py with any change here.
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- One row per log record (Claude Code event), plus transcript-imported requests.
CREATE TABLE IF NOT EXISTS events (
    event_key VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    time_unix_nano BIGINT NOT NULL,
    observed_unix_nano BIGINT,
    event_name VARCHAR,
    session_id VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    account_uuid VARCHAR,
    organization_id VARCHAR,
    terminal_type VARCHAR,
    app_version VARCHAR,
    service_name VARCHAR,
    service_version VARCHAR,
    prompt_id VARCHAR,
    event_sequence BIGINT,
    model VARCHAR,
    request_id VARCHAR,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_read_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_creation_5m_tokens BIGINT,
    cache_creation_1h_tokens BIGINT,
    cost_usd DECIMAL(18, 12),
    duration_ms DOUBLE,
    ttft_ms DOUBLE,
    tool_name VARCHAR,
    tool_use_id VARCHAR,
    success BOOLEAN,
    decision VARCHAR,
    decision_source VARCHAR,
    error VARCHAR,
    error_type VARCHAR,
    status_code BIGINT,
    attempt BIGINT,
    query_source VARCHAR,
    speed VARCHAR,
    effort VARCHAR,
    severity_number INTEGER,
    severity_text VARCHAR,
    body VARCHAR,
    trace_id VARCHAR,
    span_id VARCHAR,
    scope_name VARCHAR,
    scope_version VARCHAR,
    resource JSON,
    attributes JSON,
    source VARCHAR NOT NULL DEFAULT 'telemetry',
    project VARCHAR,
    git_branch VARCHAR
);

-- One row per metric data point. Sums are stored as deltas (`value`), whatever the
-- temporality they arrived in (`temporality` keeps the original: 1 delta, 2 cumulative).
CREATE TABLE IF NOT EXISTS points (
    series_key VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    time_unix_nano BIGINT NOT NULL,
    start_unix_nano BIGINT,
    metric_name VARCHAR NOT NULL,
    description VARCHAR,
    unit VARCHAR,
    kind VARCHAR NOT NULL,
    temporality INTEGER,
    is_monotonic BOOLEAN,
    value DOUBLE,
    raw_value DOUBLE,
    count UBIGINT,
    sum DOUBLE,
    min DOUBLE,
    max DOUBLE,
    detail JSON,
    session_id VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    account_uuid VARCHAR,
    organization_id VARCHAR,
    terminal_type VARCHAR,
    app_version VARCHAR,
    service_name VARCHAR,
    service_version VARCHAR,
    model VARCHAR,
    type VARCHAR,
    tool_name VARCHAR,
    decision VARCHAR,
    decision_source VARCHAR,
    language VARCHAR,
    start_type VARCHAR,
    query_source VARCHAR,
    speed VARCHAR,
    effort VARCHAR,
    scope_name VARCHAR,
    scope_version VARCHAR,
    resource JSON,
    attributes JSON
);

-- Last seen state of each cumulative series, so deltas stay right across restarts.
CREATE TABLE IF NOT EXISTS series_state (
    series_key VARCHAR PRIMARY KEY,
    start_unix_nano BIGINT,
    time_unix_nano BIGINT,
    value DOUBLE
);

CREATE TABLE IF NOT EXISTS spans (
    trace_id VARCHAR NOT NULL,
    span_id VARCHAR NOT NULL,
    parent_span_id VARCHAR,
    ts TIMESTAMP NOT NULL,
    start_unix_nano BIGINT,
    end_unix_nano BIGINT,
    duration_ms DOUBLE,
    name VARCHAR,
    kind VARCHAR,
    status_code BIGINT,
    status_message VARCHAR,
    session_id VARCHAR,
    service_name VARCHAR,
    service_version VARCHAR,
    scope_name VARCHAR,
    scope_version VARCHAR,
    resource JSON,
    attributes JSON,
    events JSON,
    links JSON
);

-- Where each imported transcript file ended, so a re-run reads only new bytes.
CREATE TABLE IF NOT EXISTS import_files (
    path VARCHAR PRIMARY KEY,
    size BIGINT,
    mtime DOUBLE,
    offset_bytes BIGINT,
    head_hash VARCHAR
);

-- `serve --forward` (schema 4): each accepted OTLP request (protobuf, as received), once per
-- forward target, inserted in the transaction that stores its rows and deleted once the
-- target took it (forward/outbox.py).
CREATE SEQUENCE IF NOT EXISTS outbox_id;
CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT NOT NULL DEFAULT nextval('outbox_id'),
    target VARCHAR NOT NULL,
    signal VARCHAR NOT NULL,
    body BLOB NOT NULL,
    enqueued TIMESTAMP NOT NULL
);

-- Plan-limit snapshots (schema 4): what Claude Code gave `ccotel statusline` at one moment
-- of one session on one machine: the official 5-hour / 7-day usage (Pro/Max logins only),
-- the session's cost and context, where it works. The account they belong to is found
-- through the session's telemetry (user.email / account) when there is any.
CREATE TABLE IF NOT EXISTS limit_snapshots (
    ts TIMESTAMP NOT NULL,
    session_id VARCHAR NOT NULL,
    host_name VARCHAR,
    user_hint VARCHAR,
    model VARCHAR,
    app_version VARCHAR,
    cost_usd DOUBLE,
    five_hour_pct DOUBLE,
    five_hour_resets_at TIMESTAMP,
    seven_day_pct DOUBLE,
    seven_day_resets_at TIMESTAMP,
    context_used_pct DOUBLE,
    context_window_size BIGINT,
    context_tokens BIGINT,
    cwd VARCHAR,
    repo VARCHAR,
    git_branch VARCHAR
);

-- ---------------------------------------------------------------------------------------
-- Hourly rollups (schema 2). The dashboard and the summary read the whole hours of a range
-- from these and the rest of it from the raw tables (each query: "whole hours" UNION ALL
-- "raw rows"), so every number is what the raw rows give, for any from/to.
-- The rollups are complete for the hours before rollup_state.rolled_until (schema 3), and
-- only those are read from them: the hour being written (and any after) is read raw.
-- Once an hour has ended the writer rolls it up from its raw rows and moves rolled_until
-- on (rollups.advance); a row that arrives later for an earlier hour is added in the
-- transaction that inserts it (rollup_add_*.sql), one partial row per group and commit.
-- Readers always re-aggregate, and the writer rewrites the hours listed in
-- rollup_dirty_hours as one row per group when it has time (rollup_rebuild.sql, which
-- also serves deletes, retention and migration). Live exports, all in the current hour,
-- so cost a commit no rollup work.
-- Cost is summed as DECIMAL, so any grouping gives the same total; other metric values are
-- DOUBLE sums, exact for the integer counts Claude Code sends.

CREATE TABLE IF NOT EXISTS events_hourly (
    hour TIMESTAMP NOT NULL,
    session_id VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    terminal_type VARCHAR,
    service_version VARCHAR,
    app_version VARCHAR,
    model VARCHAR,
    events BIGINT NOT NULL,            -- every event
    prompts BIGINT NOT NULL,           -- user_prompt
    requests BIGINT NOT NULL,          -- api_request
    errors BIGINT NOT NULL,            -- api_error
    tool_calls BIGINT NOT NULL,        -- tool_result
    tool_failures BIGINT NOT NULL,     -- tool_result with success = false
    input_tokens BIGINT,               -- tokens, cost and duration: api_request only
    output_tokens BIGINT,
    cache_read_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cost_usd DECIMAL(38, 12),
    duration_ms_sum DOUBLE,
    duration_ms_count BIGINT NOT NULL,
    first_ts TIMESTAMP NOT NULL,
    last_ts TIMESTAMP NOT NULL
);

-- tool_result events by tool.
CREATE TABLE IF NOT EXISTS tool_calls_hourly (
    hour TIMESTAMP NOT NULL,
    session_id VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    terminal_type VARCHAR,
    service_version VARCHAR,
    app_version VARCHAR,
    model VARCHAR,
    tool_name VARCHAR,
    calls BIGINT NOT NULL,
    failures BIGINT NOT NULL
);

-- Histograms of api_request duration_ms and ttft_ms (`kind`) per model: cells of width
-- 2^(1/4) (latency_cell), each with its count, min and max. Only the model is kept:
-- percentiles filtered by user, session, terminal or version read raw rows.
CREATE TABLE IF NOT EXISTS api_latency_hourly (
    hour TIMESTAMP NOT NULL,
    model VARCHAR,
    kind VARCHAR NOT NULL,
    cell INTEGER NOT NULL,
    n BIGINT NOT NULL,
    min_ms DOUBLE NOT NULL,
    max_ms DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS points_hourly (
    hour TIMESTAMP NOT NULL,
    session_id VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    terminal_type VARCHAR,
    service_version VARCHAR,
    app_version VARCHAR,
    model VARCHAR,
    points BIGINT NOT NULL,            -- every point
    usage_points BIGINT NOT NULL,      -- claude_code.token.usage and claude_code.cost.usage
    activity_points BIGINT NOT NULL,   -- claude_code.active_time.total and token.usage
    input_tokens DOUBLE,               -- claude_code.token.usage by type
    output_tokens DOUBLE,
    cache_read_tokens DOUBLE,
    cache_creation_tokens DOUBLE,
    cost_usd DECIMAL(38, 12),          -- claude_code.cost.usage
    active_user_s DOUBLE,              -- claude_code.active_time.total, type user / cli
    active_cli_s DOUBLE,
    commits DOUBLE,                    -- claude_code.commit.count
    pull_requests DOUBLE,              -- claude_code.pull_request.count
    lines_added DOUBLE,                -- claude_code.lines_of_code.count, type added / removed
    lines_removed DOUBLE,
    last_ts TIMESTAMP NOT NULL,
    -- events_hourly has api_requests for the same hour, session, user, ... and model: the
    -- row is then never a metric fallback (see panel_usage.sql). Set when the hour is
    -- rebuilt; false until then, which only costs the queries a closer look.
    with_requests BOOLEAN NOT NULL DEFAULT false
);

-- claude_code.code_edit_tool.decision by tool and language.
CREATE TABLE IF NOT EXISTS edit_decisions_hourly (
    hour TIMESTAMP NOT NULL,
    session_id VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    terminal_type VARCHAR,
    service_version VARCHAR,
    app_version VARCHAR,
    model VARCHAR,
    tool_name VARCHAR,
    language VARCHAR,
    points BIGINT NOT NULL,
    accept DOUBLE,
    reject DOUBLE
);

-- API requests, and the failures Where the Money Went counts (api_error, api_refusal,
-- api_retries_exhausted: `event_name`), by every attribution dimension of a request
-- (schema 6; event_name and first_cache_creation_tokens schema 7): the attribution panels
-- (store/attribution.py, attrib_macros.sql) read whole hours from here. The session's repo
-- and branch are not here (they may be recorded later): they are joined in when read
-- (session_git). `resource` is the record's resource (team, cost_center, ...) as JSON text.
-- `first_cache_creation_tokens`: the cache-creation tokens of the row's requests at its
-- first_ts, so that the tokens re-paid after a session's first request in any range of
-- whole hours are known (report_waste.sql).
CREATE TABLE IF NOT EXISTS attrib_hourly (
    hour TIMESTAMP NOT NULL,
    event_name VARCHAR NOT NULL,
    session_id VARCHAR,
    source VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    model VARCHAR,
    speed VARCHAR,
    effort VARCHAR,
    query_source VARCHAR,
    terminal_type VARCHAR,
    service_version VARCHAR,
    project VARCHAR,
    git_branch VARCHAR,
    skill VARCHAR,
    agent VARCHAR,
    plugin VARCHAR,
    mcp VARCHAR,
    mcp_tool VARCHAR,
    resource VARCHAR,
    requests BIGINT NOT NULL,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens BIGINT,
    cost_usd DECIMAL(38, 12),
    first_ts TIMESTAMP NOT NULL,
    last_ts TIMESTAMP NOT NULL,
    first_cache_creation_tokens BIGINT
);

-- Each session's git facts (schema 7): its repo, branch and project, each the latest one
-- recorded for it with that record's time (`ccotel hook` and the statusline record
-- `git.repo`, `git.branch` as a `ccotel.git` event; transcripts carry cwd and gitBranch),
-- one row per session. Kept by the writer as rows arrive (attrib_git_add.sql), refreshed
-- for the sessions whose rows change otherwise (attrib_git_refresh.sql), rebuilt with the
-- rollups; read by attrib_session_git (macros.sql), so that attribution never reads the
-- raw events to find a session's repo.
CREATE TABLE IF NOT EXISTS session_git (
    session_id VARCHAR NOT NULL,
    repo VARCHAR,
    repo_ts TIMESTAMP,
    branch VARCHAR,
    branch_ts TIMESTAMP,
    project VARCHAR,
    project_ts TIMESTAMP
);

-- Attribution by finished day (schema 8), for every UTC day wholly before rolled_until,
-- derived from attrib_hourly alone and rebuilt a day at a time in the transaction that
-- changes that day's hourly rows (store/rollups.py: rebuild_days; rollup_days.sql).
-- attrib_daily: the API requests per day, session, and value of each column a "Cost by
-- <dimension>" panel breaks down by (`col`, attrib_daily_of: one slice of rows per column;
-- the named request dimensions' values as the panels name them, '(unknown)' for none; col
-- 'session' with value '' for the sessions themselves). `prev_day`: the latest earlier day
-- with a row of the same column, value and session (NULL: none), so that a value's
-- sessions in a run of days are counted without grouping by session: the rows whose
-- prev_day is before the run.
CREATE TABLE IF NOT EXISTS attrib_daily (
    day TIMESTAMP NOT NULL,
    col VARCHAR NOT NULL,
    value VARCHAR,
    session_id VARCHAR,
    prev_day TIMESTAMP,
    requests BIGINT NOT NULL,
    tokens BIGINT NOT NULL,            -- input + output + cache creation + cache read
    cost_usd DECIMAL(38, 12)
);

-- attrib_daily summed per day, column, value and prev_day (`sessions`: how many sessions):
-- a few rows per value and day, which the panels of the named dimensions read
-- (panel_attrib_named.sql).
CREATE TABLE IF NOT EXISTS attrib_daily_values (
    day TIMESTAMP NOT NULL,
    col VARCHAR NOT NULL,
    value VARCHAR,
    prev_day TIMESTAMP,
    sessions BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    tokens BIGINT NOT NULL,
    cost_usd DECIMAL(38, 12)
);

-- Where the Money Went by finished day: attrib_hourly's rows per day, session, source,
-- event, user and project (waste_daily_of in attrib_macros.sql), with the requests and cost
-- of compactions and of subagents apart (waste_kind) and the time and cache-creation
-- tokens of each group's first request, so that the panel over weeks reads a few rows per
-- session and day (panel_attrib_waste.sql). Kept as attrib_daily is.
CREATE TABLE IF NOT EXISTS waste_daily (
    day TIMESTAMP NOT NULL,
    session_id VARCHAR,
    source VARCHAR,
    event_name VARCHAR NOT NULL,
    user_id VARCHAR,
    user_email VARCHAR,
    project VARCHAR,
    requests BIGINT NOT NULL,
    cost_usd DECIMAL(38, 12),
    compactions BIGINT NOT NULL,
    compaction_cost DECIMAL(38, 12),
    subagent_requests BIGINT NOT NULL,
    subagent_cost DECIMAL(38, 12),
    cache_creation_tokens BIGINT,
    first_ts TIMESTAMP NOT NULL,
    first_cache_creation_tokens BIGINT
);

-- The API requests by finished day (schema 9): attrib_hourly's api_request rows per day,
-- session, source, user, model, speed, project and branch (requests_daily_of in
-- attrib_macros.sql), so that a repo's page over weeks groups a few rows per session and
-- day, not one per hour and request dimension (panel_attrib_repo.sql). Kept as
-- attrib_daily is.
CREATE TABLE IF NOT EXISTS requests_daily (
    day TIMESTAMP NOT NULL,
    session_id VARCHAR,
    source VARCHAR,
    user_id VARCHAR,
    user_email VARCHAR,
    model VARCHAR,
    speed VARCHAR,
    project VARCHAR,
    git_branch VARCHAR,
    requests BIGINT NOT NULL,
    tokens BIGINT NOT NULL,            -- input + output + cache creation + cache read
    cost_usd DECIMAL(38, 12)
);

-- Hours whose rollup rows may be partial (several per group), to be rewritten.
CREATE TABLE IF NOT EXISTS rollup_dirty_hours (hour TIMESTAMP NOT NULL);

-- One row: the rollups hold every raw row before rolled_until (an hour start).
CREATE TABLE IF NOT EXISTS rollup_state (rolled_until TIMESTAMP NOT NULL);

-- Alerts (ccotel/alerts/evaluate.py): each rule and key (a user, team, model, ... or ''
-- for a total) that is pending or firing, with when it last notified, so that a restart
-- neither forgets an alert nor sends it twice; and every transition, for the dashboard.
CREATE TABLE IF NOT EXISTS alert_state (
    rule VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    state VARCHAR NOT NULL,            -- pending / firing
    value DOUBLE,
    message VARCHAR NOT NULL,
    since TIMESTAMP NOT NULL,          -- when the condition started to hold
    fired_at TIMESTAMP,
    notified_at TIMESTAMP,
    PRIMARY KEY (rule, key)
);
CREATE TABLE IF NOT EXISTS alert_history (
    ts TIMESTAMP NOT NULL,
    rule VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    state VARCHAR NOT NULL,            -- pending / firing / resolved
    value DOUBLE,
    message VARCHAR NOT NULL
);

-- What one raw row contributes to a rollup ("facts"), from a table named `src` (the raw
-- table, or the rows a commit just inserted). The rollups are GROUP BYs of these
-- (*_hourly_of). The queries that read rollups compute the same from the raw rows at a
-- range's edges; tests/store/test_rollups.py checks that both ways agree.

CREATE OR REPLACE MACRO metric_decimal(v) AS TRY_CAST(v AS DECIMAL(38, 12));

-- Cell of a latency in ms: 0 for <= 1 ms, then 4 cells per doubling.
CREATE OR REPLACE MACRO latency_cell(v) AS
    CASE WHEN v <= 1 THEN 0 ELSE 1 + floor(log2(v) * 4)::INTEGER END;

CREATE OR REPLACE MACRO events_facts(src) AS TABLE
SELECT
    ts, session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    1 AS events,
    CASE WHEN event_name = 'user_prompt' THEN 1 ELSE 0 END AS prompts,
    CASE WHEN event_name = 'api_request' THEN 1 ELSE 0 END AS requests,
    CASE WHEN event_name = 'api_error' THEN 1 ELSE 0 END AS errors,
    CASE WHEN event_name = 'tool_result' THEN 1 ELSE 0 END AS tool_calls,
    CASE WHEN event_name = 'tool_result' AND success = false THEN 1 ELSE 0 END AS tool_failures,
    CASE WHEN event_name = 'api_request' THEN input_tokens END AS input_tokens,
    CASE WHEN event_name = 'api_request' THEN output_tokens END AS output_tokens,
    CASE WHEN event_name = 'api_request' THEN cache_read_tokens END AS cache_read_tokens,
    CASE WHEN event_name = 'api_request' THEN cache_creation_tokens END AS cache_creation_tokens,
    CASE WHEN event_name = 'api_request' THEN cost_usd::DECIMAL(38, 12) END AS cost_usd,
    CASE WHEN event_name = 'api_request' THEN duration_ms END AS duration_ms_sum,
    CASE WHEN event_name = 'api_request' AND duration_ms IS NOT NULL THEN 1 ELSE 0 END
        AS duration_ms_count,
    ts AS first_ts,
    ts AS last_ts
FROM query_table(src)
-- A session's git record (store/attribution.py) names its repo; it is not an event.
WHERE event_name IS DISTINCT FROM 'ccotel.git';

CREATE OR REPLACE MACRO tool_calls_facts(src) AS TABLE
SELECT
    ts, session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    tool_name,
    1 AS calls,
    CASE WHEN success = false THEN 1 ELSE 0 END AS failures
FROM query_table(src)
WHERE event_name = 'tool_result';

-- Non-finite values have no cell and are left out.
CREATE OR REPLACE MACRO api_latency_facts(src) AS TABLE
SELECT
    ts, session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    kind, latency_cell(v) AS cell, 1 AS n, v AS min_ms, v AS max_ms
FROM (
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, 'duration' AS kind, duration_ms AS v
    FROM query_table(src) WHERE event_name = 'api_request'
    UNION ALL
    SELECT ts, session_id, user_id, user_email, terminal_type, service_version, app_version,
           model, 'ttft' AS kind, ttft_ms AS v
    FROM query_table(src) WHERE event_name = 'api_request'
)
WHERE isfinite(v);

CREATE OR REPLACE MACRO points_facts(src) AS TABLE
SELECT
    ts, session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    1 AS points,
    CASE WHEN metric_name IN ('claude_code.token.usage', 'claude_code.cost.usage')
         THEN 1 ELSE 0 END AS usage_points,
    CASE WHEN metric_name IN ('claude_code.active_time.total', 'claude_code.token.usage')
         THEN 1 ELSE 0 END AS activity_points,
    CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'input'
         THEN value END AS input_tokens,
    CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'output'
         THEN value END AS output_tokens,
    CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'cacheRead'
         THEN value END AS cache_read_tokens,
    CASE WHEN metric_name = 'claude_code.token.usage' AND type = 'cacheCreation'
         THEN value END AS cache_creation_tokens,
    CASE WHEN metric_name = 'claude_code.cost.usage' THEN metric_decimal(value) END AS cost_usd,
    CASE WHEN metric_name = 'claude_code.active_time.total' AND type = 'user'
         THEN value END AS active_user_s,
    CASE WHEN metric_name = 'claude_code.active_time.total' AND type = 'cli'
         THEN value END AS active_cli_s,
    CASE WHEN metric_name = 'claude_code.commit.count' THEN value END AS commits,
    CASE WHEN metric_name = 'claude_code.pull_request.count'
         THEN value END AS pull_requests,
    CASE WHEN metric_name = 'claude_code.lines_of_code.count' AND type = 'added'
         THEN value END AS lines_added,
    CASE WHEN metric_name = 'claude_code.lines_of_code.count' AND type = 'removed'
         THEN value END AS lines_removed,
    ts AS last_ts
FROM query_table(src);

CREATE OR REPLACE MACRO edit_decisions_facts(src) AS TABLE
SELECT
    ts, session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    tool_name, language,
    1 AS points,
    CASE WHEN decision = 'accept' THEN value END AS accept,
    CASE WHEN decision = 'reject' THEN value END AS reject
FROM query_table(src)
WHERE metric_name = 'claude_code.code_edit_tool.decision';

-- Rollup rows of the `src` rows with ts in [t0, t1): what rollup_add_*.sql and
-- rollup_rebuild.sql insert.

CREATE OR REPLACE MACRO events_hourly_of(src, t0, t1) AS TABLE
SELECT
    date_trunc('hour', ts) AS hour,
    session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    sum(events) AS events, sum(prompts) AS prompts, sum(requests) AS requests,
    sum(errors) AS errors, sum(tool_calls) AS tool_calls, sum(tool_failures) AS tool_failures,
    sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_creation_tokens) AS cache_creation_tokens,
    sum(cost_usd) AS cost_usd,
    sum(duration_ms_sum) AS duration_ms_sum, sum(duration_ms_count) AS duration_ms_count,
    min(first_ts) AS first_ts, max(last_ts) AS last_ts
FROM events_facts(src)
WHERE ts >= t0 AND ts < t1
GROUP BY ALL;

-- Each group is a STRUCT (`g`; its NULL fields compare equal), so that its first time can
-- be joined back to its rows: the cache-creation tokens at that time are summed (grouping by
-- group and time instead holds a row per request: more than the server's memory limit).
CREATE OR REPLACE MACRO attrib_hourly_of(src, t0, t1) AS TABLE
WITH r AS (
    SELECT
        {'hour': date_trunc('hour', ts), 'event_name': event_name,
         'session_id': session_id, 'source': source, 'user_id': user_id,
         'user_email': user_email, 'model': model, 'speed': speed, 'effort': effort,
         'query_source': query_source, 'terminal_type': terminal_type,
         'service_version': service_version, 'project': project, 'git_branch': git_branch,
         'skill': attributes->>'$."skill.name"', 'agent': attributes->>'$."agent.name"',
         'plugin': attributes->>'$."plugin.name"', 'mcp': attributes->>'$."mcp_server.name"',
         'mcp_tool': attributes->>'$."mcp_tool.name"', 'resource': resource::VARCHAR} AS g,
        ts, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd
    FROM query_table(src)
    WHERE event_name IN ('api_request', 'api_error', 'api_refusal', 'api_retries_exhausted')
      AND ts >= t0 AND ts < t1
),
firsts AS (
    SELECT g, min(ts) AS first_ts FROM r GROUP BY g
)
SELECT
    unnest(r.g),
    count(*) AS requests, sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens, sum(cache_creation_tokens) AS cache_creation_tokens,
    sum(cache_read_tokens) AS cache_read_tokens, sum(cost_usd) AS cost_usd,
    min(ts) AS first_ts, max(ts) AS last_ts,
    coalesce(sum(cache_creation_tokens) FILTER (WHERE r.ts = f.first_ts), 0)
        AS first_cache_creation_tokens
FROM r JOIN firsts f ON f.g = r.g
GROUP BY r.g;

-- attrib_daily's rows of the days in [d0, d1), from attrib_hourly, but prev_day: per day,
-- column, value and session, the API requests' count, tokens and cost. The columns are
-- those the panels' dimensions read (panel_attrib_fast.sql): repo and project read
-- `project`, branch `git_branch`, a resource key (team, ...) `resource`, the others their
-- own.
CREATE OR REPLACE MACRO attrib_daily_of(d0, d1) AS TABLE
SELECT date_trunc('day', hour) AS day, c.col AS col, c.value AS value, session_id,
       sum(requests)::BIGINT AS requests, sum(tokens)::BIGINT AS tokens,
       sum(cost_usd) AS cost_usd
FROM (
    SELECT hour, session_id, requests, cost_usd,
           coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
               + coalesce(cache_creation_tokens, 0) + coalesce(cache_read_tokens, 0) AS tokens,
           unnest([{'col': 'session', 'value': ''},
                   {'col': 'project', 'value': project},
                   {'col': 'git_branch', 'value': git_branch},
                   {'col': 'resource', 'value': resource},
                   {'col': 'query_source', 'value': coalesce(query_source, '(unknown)')},
                   {'col': 'effort', 'value': coalesce(effort, '(unknown)')},
                   {'col': 'speed', 'value': coalesce(speed, '(unknown)')},
                   {'col': 'terminal_type', 'value': coalesce(terminal_type, '(unknown)')},
                   {'col': 'service_version',
                    'value': coalesce(service_version, '(unknown)')},
                   {'col': 'skill', 'value': coalesce(skill, '(unknown)')},
                   {'col': 'agent', 'value': coalesce(agent, '(unknown)')},
                   {'col': 'plugin', 'value': coalesce(plugin, '(unknown)')},
                   {'col': 'mcp', 'value': coalesce(mcp, '(unknown)')},
                   {'col': 'mcp_tool', 'value': coalesce(mcp_tool, '(unknown)')}]) AS c
    FROM attrib_hourly
    WHERE hour >= d0 AND hour < d1 AND event_name = 'api_request'
)
GROUP BY ALL;

-- Each session's git facts (session_git) from the `src` rows: the latest repo, branch and
-- project among them, with their times. (JSON is parsed for the git records only:
-- transcript rows with a cwd are many.)
CREATE OR REPLACE MACRO session_git_of(src) AS TABLE
WITH facts AS (
    SELECT session_id, ts, project,
           CASE WHEN event_name = 'ccotel.git' THEN attributes->>'$."git.repo"' END AS repo,
           coalesce(CASE WHEN event_name = 'ccotel.git'
                         THEN attributes->>'$."git.branch"' END, git_branch) AS branch
    FROM query_table(src)
    WHERE session_id IS NOT NULL
      AND (project IS NOT NULL OR git_branch IS NOT NULL OR event_name = 'ccotel.git')
)
SELECT session_id,
       arg_max(repo, ts) FILTER (WHERE repo IS NOT NULL) AS repo,
       max(ts) FILTER (WHERE repo IS NOT NULL) AS repo_ts,
       arg_max(branch, ts) FILTER (WHERE branch IS NOT NULL) AS branch,
       max(ts) FILTER (WHERE branch IS NOT NULL) AS branch_ts,
       arg_max(project, ts) FILTER (WHERE project IS NOT NULL) AS project,
       max(ts) FILTER (WHERE project IS NOT NULL) AS project_ts
FROM facts
GROUP BY session_id;

CREATE OR REPLACE MACRO tool_calls_hourly_of(src, t0, t1) AS TABLE
SELECT
    date_trunc('hour', ts) AS hour,
    session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    tool_name,
    sum(calls) AS calls, sum(failures) AS failures
FROM tool_calls_facts(src)
WHERE ts >= t0 AND ts < t1
GROUP BY ALL;

CREATE OR REPLACE MACRO api_latency_hourly_of(src, t0, t1) AS TABLE
SELECT
    date_trunc('hour', ts) AS hour, model, kind, cell,
    sum(n) AS n, min(min_ms) AS min_ms, max(max_ms) AS max_ms
FROM api_latency_facts(src)
WHERE ts >= t0 AND ts < t1
GROUP BY ALL;

CREATE OR REPLACE MACRO points_hourly_of(src, t0, t1) AS TABLE
SELECT
    date_trunc('hour', ts) AS hour,
    session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    sum(points) AS points, sum(usage_points) AS usage_points,
    sum(activity_points) AS activity_points,
    sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_creation_tokens) AS cache_creation_tokens,
    sum(cost_usd) AS cost_usd,
    sum(active_user_s) AS active_user_s, sum(active_cli_s) AS active_cli_s,
    sum(commits) AS commits, sum(pull_requests) AS pull_requests,
    sum(lines_added) AS lines_added, sum(lines_removed) AS lines_removed,
    max(last_ts) AS last_ts
FROM points_facts(src)
WHERE ts >= t0 AND ts < t1
GROUP BY ALL;

CREATE OR REPLACE MACRO edit_decisions_hourly_of(src, t0, t1) AS TABLE
SELECT
    date_trunc('hour', ts) AS hour,
    session_id, user_id, user_email, terminal_type, service_version, app_version, model,
    tool_name, language,
    sum(points) AS points, sum(accept) AS accept, sum(reject) AS reject
FROM edit_decisions_facts(src)
WHERE ts >= t0 AND ts < t1
GROUP BY ALL;

-- Macros of schema 5 that nothing uses any more.
DROP MACRO IF EXISTS whole_hours_start;
DROP MACRO IF EXISTS whole_hours_end;
DROP MACRO IF EXISTS rollup_last_hour;
DROP MACRO IF EXISTS rollup_ceil_hour;

-- The sessions with an api_request of `model_name` in [range_start, range_end), the hours
-- [rollup_start, rollup_end) read from events_hourly: under a model filter, rows without a
-- model (tool calls, commits, active time) count for these sessions.
CREATE OR REPLACE MACRO sessions_using_model(model_name, range_start, range_end, rollup_start,
                                             rollup_end) AS TABLE
SELECT session_id FROM events_hourly
WHERE hour >= rollup_start AND hour < rollup_end AND requests > 0 AND model = model_name
UNION
SELECT session_id FROM events
WHERE (ts >= range_start AND ts < rollup_start OR ts >= rollup_end AND ts < range_end)
  AND event_name = 'api_request' AND model = model_name;

-- The requests of [t0, t1] with the plan-limit account each belongs to: its telemetry
-- email, else account uuid, else the user its session's statusline was told (snapshots
-- since `since`), else user.id (limits/ledger.py; the same rule as limits_snapshots.sql).
CREATE OR REPLACE MACRO limits_requests(since, t0, t1) AS TABLE
    WITH hints AS (
        SELECT session_id, max(user_hint) AS user_hint
        FROM limit_snapshots WHERE ts >= since GROUP BY session_id
    )
    SELECT coalesce(e.user_email, e.account_uuid, h.user_hint, e.user_id) AS account,
           e.ts,
           CASE WHEN e.speed = 'fast' THEN e.model || '-fast' ELSE e.model END AS model,
           coalesce(e.input_tokens, 0) AS input_tokens,
           coalesce(e.output_tokens, 0) AS output_tokens,
           coalesce(e.cache_creation_tokens, 0) AS cache_creation_tokens,
           coalesce(e.cache_read_tokens, 0) AS cache_read_tokens,
           e.cost_usd::DOUBLE AS cost_usd,
           e.session_id
    FROM events e LEFT JOIN hints h USING (session_id)
    WHERE e.event_name = 'api_request' AND e.ts >= t0 AND e.ts <= t1
      AND e.source IN ('telemetry', 'transcript');

-- The store's schema 1 as ccotel created it before the hourly rollups (a copy of
-- src/ccotel/store/sql/schema.sql then): test_rollups.py migrates a store made with it.
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

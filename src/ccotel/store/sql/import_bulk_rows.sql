-- Bulk import of whole transcript files ($files; import order and unfinished last lines
-- registered as `import_bulk_files`): one candidate row per request line and per tool_use
-- block, with the rules of importer/transcript.py (the Python path, used for appended
-- bytes and through a server; tests check both give the same rows):
-- - each line is read as one text column (a delimiter valid JSON cannot contain, no
--   quoting); only lines with "usage" are parsed; lines that are not JSON objects become
--   `skip = 'malformed'` rows; lines DuckDB does not read (over 8 MB, bad UTF-8, a raw
--   control character) go to `import_bulk_rejects` with their byte position, and the
--   Python parser reads them (the buffer stays small: memory does not grow with files);
-- - usage at the top level or in a subagent progress line; integer input/output tokens
--   required (leaves are read as JSON, so a string "12" is not the number 12); the 5m/1h
--   split wins over the flat cache field; `<synthetic>` lines and lines with empty ids or
--   a non-semver version are skipped (`skip`).
CREATE OR REPLACE TEMP TABLE import_bulk_rows AS
WITH lines AS (
    SELECT f.file_index, r.line
    FROM read_csv($files, columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '',
                  escape = '', header = false, auto_detect = false,
                  max_line_size = 8388608, buffer_size = 33554432, filename = true,
                  ignore_errors = true, store_rejects = true,
                  rejects_table = 'import_bulk_rejects', rejects_scan = 'import_bulk_scans') r
    JOIN import_bulk_files f ON f.path = r.filename
    -- Cheap tests first (trimming every line would double the scan): usage lines, and
    -- lines that may not be JSON objects, which the parse below decides on.
    WHERE (contains(r.line, 'usage"')  -- transcript.USAGE_MARKER
           OR NOT (starts_with(r.line, '{') AND ends_with(r.line, '}')))
      AND (f.tail IS NULL OR r.line <> f.tail)
),
parsed AS (
    -- Each line is parsed once; its text goes no further: a line without a message id is
    -- keyed by its hash, a malformed one is quoted.
    SELECT file_index, d,
           CASE WHEN d IS NULL
                     -- (ltrim copies the line: only for the rare one not starting with '{')
                     OR (NOT starts_with(line, '{') AND NOT starts_with(ltrim(line), '{'))
                THEN left(line, 80) END
               AS excerpt,
           CASE WHEN d.message.id IS NULL AND d.data.message.message.id IS NULL
                THEN md5(rtrim(line, chr(13))) END AS line_hash
    FROM (
        -- TRY: a line that is not JSON parses to NULL (reported as malformed). (bulk.py
        -- reads without TRY first: it raises on such a line, and the read is run again.)
        SELECT file_index, line,
               TRY(json_transform(line, '{
                 "timestamp": "VARCHAR", "sessionId": "VARCHAR", "requestId": "VARCHAR",
                 "isSidechain": "JSON", "cwd": "VARCHAR", "gitBranch": "VARCHAR",
                 "version": "VARCHAR", "costUSD": "JSON",
                 "message": {"id": "VARCHAR", "model": "VARCHAR",
                   "usage": {"input_tokens": "JSON", "output_tokens": "JSON",
                             "cache_creation_input_tokens": "JSON",
                             "cache_read_input_tokens": "JSON", "cache_creation": "JSON",
                             "speed": "VARCHAR", "service_tier": "VARCHAR"},
                   "content": [{"type": "VARCHAR", "id": "VARCHAR", "name": "VARCHAR"}]},
                 "data": {"message": {"timestamp": "VARCHAR", "requestId": "VARCHAR",
                   "isSidechain": "JSON", "sessionId": "VARCHAR", "version": "VARCHAR",
                   "cwd": "VARCHAR", "gitBranch": "VARCHAR", "costUSD": "JSON",
                   "message": {"id": "VARCHAR", "model": "VARCHAR",
                     "usage": {"input_tokens": "JSON", "output_tokens": "JSON",
                               "cache_creation_input_tokens": "JSON",
                               "cache_read_input_tokens": "JSON", "cache_creation": "JSON",
                               "speed": "VARCHAR", "service_tier": "VARCHAR"},
                     "content": [{"type": "VARCHAR", "id": "VARCHAR", "name": "VARCHAR"}]}}}
               }')) AS d
        FROM lines
    )
),
entry AS (
    -- Which object holds the request: the line, or the entry nested in a progress line.
    SELECT file_index, line_hash, excerpt, d,
           d.message.usage IS NULL AND d.data.message.message.usage IS NOT NULL AS nested
    FROM parsed
),
fields AS (
    SELECT
        file_index, line_hash, excerpt,
        CASE WHEN nested THEN d.data.message.message ELSE d.message END AS msg,
        CASE WHEN nested THEN d.data.message.timestamp ELSE d.timestamp END AS ts_text,
        CASE WHEN nested THEN d.data.message.requestId ELSE d.requestId END AS request_id,
        coalesce(CASE WHEN nested THEN d.data.message.sessionId END, d.sessionId) AS session_id,
        CASE WHEN nested THEN d.data.message.version ELSE d.version END AS version,
        coalesce(CASE WHEN nested THEN d.data.message.cwd END, d.cwd) AS project,
        coalesce(CASE WHEN nested THEN d.data.message.gitBranch END, d.gitBranch) AS git_branch,
        (CASE WHEN nested THEN d.data.message.isSidechain ELSE d.isSidechain END) = 'true'
            AS sidechain,
        CASE WHEN nested THEN d.data.message.costUSD ELSE d.costUSD END AS recorded_cost
    FROM entry
),
typed AS (
    -- Token leaves read from their JSON text (import_bulk_macros.sql).
    SELECT *,
        import_json_uint(msg.usage.input_tokens) AS input_raw,
        import_json_uint(msg.usage.output_tokens) AS output_raw,
        import_json_uint(msg.usage.cache_read_input_tokens) AS cache_read_raw,
        import_json_uint(msg.usage.cache_creation_input_tokens) AS cache_flat_raw,
        msg.model AS model,
        msg.id AS message_id,
        try_cast(ts_text AS TIMESTAMPTZ) AS tstz,
        coalesce(starts_with(msg.usage.cache_creation, '{'), false) AS split
    FROM fields
),
split_tokens AS (
    -- The 5m/1h split is parsed once where there is one.
    SELECT *,
        CASE WHEN split THEN json_transform(msg.usage.cache_creation,
            '{"ephemeral_5m_input_tokens": "JSON", "ephemeral_1h_input_tokens": "JSON"}')
        END AS cc
    FROM typed
    WHERE (msg.usage IS NOT NULL AND import_tokens(input_raw) IS NOT NULL
           AND import_tokens(output_raw) IS NOT NULL)
       OR excerpt IS NOT NULL
),
requests AS (
    SELECT *,
        CASE
            WHEN excerpt IS NOT NULL THEN 'malformed'
            WHEN model = '<synthetic>' THEN 'synthetic'
            WHEN message_id = '' OR request_id = '' OR session_id = '' OR model = ''
                 OR (version IS NOT NULL AND NOT regexp_matches(version, '^\d+\.\d+\.\d+'))
                 OR tstz IS NULL THEN 'invalid'
        END AS skip,
        import_tokens(input_raw) AS input_tokens,
        import_tokens(output_raw) AS output_tokens,
        coalesce(import_tokens(cache_read_raw), 0) AS cache_read,
        coalesce(import_tokens(CASE WHEN split
                                    THEN import_json_uint(cc.ephemeral_5m_input_tokens)
                                    ELSE cache_flat_raw END), 0) AS cache_5m,
        coalesce(import_tokens(CASE WHEN split
                                    THEN import_json_uint(cc.ephemeral_1h_input_tokens)
                                    END), 0) AS cache_1h,
        epoch_ns(tstz) AS time_unix_nano
    FROM split_tokens
),
request_rows AS MATERIALIZED (
    -- Flat columns only: materializing the parsed structs would cost more than the parse.
    SELECT
        file_index,
        skip,
        excerpt,
        CASE
            WHEN skip = 'malformed' THEN NULL
            WHEN message_id IS NULL THEN 'tx::' || line_hash
            WHEN request_id IS NOT NULL THEN 'tx:' || message_id || ':' || request_id
            ELSE 'tx:' || message_id || '::' || coalesce(session_id, '') || ':'
                 || CASE WHEN starts_with(message_id, 'msg_') THEN ''
                         ELSE (time_unix_nano // 1000000)::VARCHAR END
        END AS event_key,
        'api_request' AS event_name,
        time_unix_nano,
        session_id, model, request_id, message_id, sidechain,
        input_tokens, output_tokens, cache_read AS cache_read_tokens,
        cache_5m + cache_1h AS cache_creation_tokens,
        cache_5m AS cache_creation_5m_tokens, cache_1h AS cache_creation_1h_tokens,
        input_tokens + output_tokens + cache_read + cache_5m + cache_1h AS total,
        msg.usage.speed AS speed,
        version AS app_version, project, git_branch,
        CASE WHEN json_type(recorded_cost) IN ('UBIGINT', 'BIGINT', 'DOUBLE')
             THEN recorded_cost::DOUBLE END AS recorded_cost,
        NULL::DOUBLE AS cost_usd,
        -- `attributes` is made for the kept rows only (import_bulk_keep.sql); rows the
        -- Python parser made of refused lines come with theirs.
        NULL::VARCHAR AS attributes, msg.usage.service_tier AS service_tier,
        NULL::VARCHAR AS tool_name, NULL::VARCHAR AS tool_use_id,
        msg.content AS content
    FROM requests
),
everything AS (
    SELECT * EXCLUDE (content) FROM request_rows
    UNION ALL BY NAME
    -- The tool calls of each counted response: one row per tool_use block, keyed by its id.
    SELECT file_index, NULL AS skip, 'txtool:' || b.id AS event_key, 'tool_use' AS event_name,
           time_unix_nano, session_id, model, request_id, NULL AS message_id,
           false AS sidechain, 0 AS total, app_version, project, git_branch,
           b.name AS tool_name, b.id AS tool_use_id
    FROM (SELECT *, unnest(content) AS b FROM request_rows WHERE skip IS NULL)
    WHERE b.type = 'tool_use' AND coalesce(b.id, '') <> '' AND coalesce(b.name, '') <> ''
)
-- Rows are told apart by the table's rowid (numbering them here took a pass over all).
SELECT * FROM everything

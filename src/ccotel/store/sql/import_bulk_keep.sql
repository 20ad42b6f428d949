-- Bulk import: the rows to insert, as `events` columns: the surviving candidates of
-- `import_bulk_decisions`. A request the store has from telemetry is kept as
-- `transcript_copy` (counted nowhere, remembered for dedupe); a tool call it has from
-- telemetry is left out. Made apart from the insert (import_bulk_insert.sql) because the
-- kept rows lie scattered through `import_bulk_rows`: inserted from there, no thread
-- fills a whole row group, and DuckDB writes them all on one core; from here, in full row
-- groups, it compresses them on every core (0.72 -> 0.55 s for the 1 GB benchmark).
CREATE OR REPLACE TEMP TABLE import_bulk_keep AS
WITH telemetry_requests AS (
    SELECT DISTINCT request_id FROM events
    WHERE source = 'telemetry' AND event_name = 'api_request'
      AND request_id IN (SELECT r.request_id FROM import_bulk_rows r
                         JOIN import_bulk_decisions d ON d.row_id = r.rowid
                         WHERE d.fate = 'keep' AND r.event_name = 'api_request')
),
telemetry_tools AS (
    SELECT DISTINCT tool_use_id FROM events
    WHERE source = 'telemetry' AND event_name IN ('tool_result', 'tool_decision')
      AND tool_use_id IS NOT NULL
)
SELECT
    r.event_key,
    make_timestamp(r.time_unix_nano // 1000) AS ts,
    r.time_unix_nano,
    CASE WHEN r.event_name = 'api_request'
              AND r.request_id IN (SELECT request_id FROM telemetry_requests)
         THEN 'transcript_copy' ELSE r.event_name END AS event_name,
    r.session_id, r.model, r.request_id,
    r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_creation_tokens,
    r.cache_creation_5m_tokens, r.cache_creation_1h_tokens,
    coalesce(r.recorded_cost, r.cost_usd)::DECIMAL(18, 12) AS cost_usd,
    r.speed, r.app_version, 'transcript' AS source, r.project, r.git_branch,
    coalesce(r.attributes, CASE WHEN r.event_name = 'tool_use' THEN '{}' ELSE
        '{"message_id":' || coalesce(to_json(r.message_id), 'null')
        || CASE WHEN r.sidechain THEN ',"is_sidechain":true' ELSE '' END
        || CASE WHEN coalesce(r.service_tier, '') <> ''
                THEN ',"service_tier":' || to_json(r.service_tier) ELSE '' END
        || CASE WHEN coalesce(r.speed, '') <> '' THEN ',"speed":' || to_json(r.speed) ELSE '' END
        || '}' END)::JSON AS attributes,
    r.tool_name, r.tool_use_id
FROM import_bulk_rows r
JOIN import_bulk_decisions d ON d.row_id = r.rowid AND d.fate = 'keep'
WHERE NOT (r.event_name = 'tool_use'
           AND r.tool_use_id IN (SELECT tool_use_id FROM telemetry_tools))

-- Bulk import: which copies survive, with the rules of importer/dedupe.py, set-wise:
-- 1. per event_key, the copy with the most tokens (a non-sidechain copy first; then the
--    costlier, then one stating its speed; then the stored copy, then the first read);
-- 2. per message (its msg_ id; a gateway id with its session), sidechain copies under
--    another request id are replays: dropped when a main-thread copy exists, else only
--    the best one stays.
-- Stored transcript rows of the same keys or messages take part as "read first".
-- Result: `import_bulk_decisions`, one row per candidate or stored copy, with its fate.
-- Both rankings are hash aggregates (arg_min over the ranking tuple), not windows: sorting
-- every copy by key cost twice as much. A stored copy ranks as row_id -2^63 (one per key).
CREATE OR REPLACE TEMP TABLE import_bulk_decisions AS
WITH candidates AS (
    SELECT rowid AS row_id, event_key, event_name, message_id, request_id, session_id,
           sidechain, total, coalesce(recorded_cost, cost_usd, 0) AS cost,
           coalesce(speed, '') <> '' AS has_speed,
           false AS stored, file_index, time_unix_nano
    FROM import_bulk_rows
    WHERE skip IS NULL
),
stored AS (
    SELECT NULL::BIGINT AS row_id, e.event_key, e.event_name,
           e.attributes->>'message_id' AS message_id, e.request_id, e.session_id,
           coalesce(e.attributes->>'is_sidechain' = 'true', false) AS sidechain,
           coalesce(e.input_tokens, 0) + coalesce(e.output_tokens, 0)
             + coalesce(e.cache_read_tokens, 0) + coalesce(e.cache_creation_tokens, 0) AS total,
           coalesce(e.cost_usd::DOUBLE, 0) AS cost, coalesce(e.speed, '') <> '' AS has_speed,
           true AS stored, -1 AS file_index, e.time_unix_nano
    FROM events e
    WHERE e.source = 'transcript'
      AND (e.event_key IN (SELECT event_key FROM candidates)
           OR (e.event_name IN ('api_request', 'transcript_copy')
               AND split_part(e.event_key, ':', 2) IN (
                   SELECT message_id FROM candidates WHERE message_id IS NOT NULL)))
),
copies AS (
    SELECT *,
           CASE WHEN message_id IS NULL OR event_name = 'tool_use' THEN NULL
                WHEN starts_with(message_id, 'msg_') THEN message_id
                ELSE message_id || chr(0) || coalesce(session_id, '') END AS route,
           coalesce(row_id, -9223372036854775808) AS id
    FROM (SELECT * FROM candidates UNION ALL SELECT * FROM stored)
),
keys AS (
    SELECT event_key,
           arg_min(id, (sidechain, -total, -cost, NOT has_speed, NOT stored, file_index,
                        time_unix_nano, id)) AS best
    FROM copies GROUP BY event_key
),
ranked AS (
    SELECT c.*, c.id = k.best AS first FROM copies c JOIN keys k USING (event_key)
),
routes AS (
    SELECT route, bool_or(NOT sidechain) AS has_main,
           arg_min(event_key, (-total, -cost, NOT has_speed, NOT stored, file_index,
                               time_unix_nano, id, event_key)) FILTER (WHERE sidechain)
               AS best_side
    FROM ranked
    WHERE first AND route IS NOT NULL
    GROUP BY route
)
SELECT
    row_id, event_key, event_name, request_id, stored,
    CASE
        WHEN NOT first THEN 'duplicate'
        WHEN route IS NOT NULL AND sidechain AND (has_main OR event_key <> best_side)
            THEN 'replay'
        ELSE 'keep'
    END AS fate
FROM ranked LEFT JOIN routes USING (route)

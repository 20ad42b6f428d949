-- Bulk import: which copies survive, with the rules of importer/dedupe.py, set-wise:
-- 1. per event_key, the copy with the most tokens (a non-sidechain copy first; then the
--    costlier, then one stating its speed; then the stored copy, then the first read);
-- 2. per message (its msg_ id; a gateway id with its session), sidechain copies under
--    another request id are replays: dropped when a main-thread copy exists, else only
--    the best one stays.
-- Stored transcript rows of the same keys or messages take part as "read first".
-- Result: `import_bulk_decisions`, one row per candidate or stored copy, with its fate.
CREATE OR REPLACE TEMP TABLE import_bulk_decisions AS
WITH candidates AS (
    SELECT row_id, event_key, event_name, message_id, request_id, session_id, sidechain,
           total, coalesce(recorded_cost, cost_usd, 0) AS cost,
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
           row_number() OVER (PARTITION BY event_key
                              ORDER BY sidechain, total DESC, cost DESC, has_speed DESC,
                                       stored DESC, file_index, time_unix_nano, row_id)
               AS key_rank
    FROM (SELECT * FROM candidates UNION ALL SELECT * FROM stored)
),
routes AS (
    SELECT route, bool_or(NOT sidechain) AS has_main
    FROM copies
    WHERE key_rank = 1 AND route IS NOT NULL
    GROUP BY route
),
ranked AS (
    SELECT c.*, r.has_main,
           row_number() OVER (PARTITION BY c.route, c.sidechain, c.key_rank = 1
                              ORDER BY c.total DESC, c.cost DESC, c.has_speed DESC,
                                       c.stored DESC, c.file_index, c.time_unix_nano, c.row_id)
               AS side_rank
    FROM copies c
    LEFT JOIN routes r USING (route)
)
SELECT
    row_id, event_key, event_name, request_id, stored,
    CASE
        WHEN key_rank > 1 THEN 'duplicate'
        WHEN route IS NOT NULL AND sidechain AND (has_main OR side_rank > 1) THEN 'replay'
        ELSE 'keep'
    END AS fate
FROM ranked

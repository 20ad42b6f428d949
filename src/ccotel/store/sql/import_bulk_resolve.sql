-- Bulk import: which copies survive, with the rules of importer/dedupe.py, set-wise:
-- 1. per event_key, the copy with the most tokens (a non-sidechain copy first; then the
--    costlier, then one stating its speed; then the stored copy, then the first read);
-- 2. per message (its msg_ id; a gateway id with its session: the "route"), sidechain
--    copies under another request id are replays: dropped when a main-thread copy
--    exists, else only the best one stays.
-- Stored transcript rows of the same keys or messages take part as "read first".
-- Result: `import_bulk_decisions`, one row per candidate or stored copy, with its fate
-- (and, for a stored copy, its key: a stored copy that loses is deleted).
-- Both rankings are hash aggregates (arg_min over the ranking tuple), not windows: sorting
-- every copy by key cost twice as much. Copies are told apart by `id`: a candidate's
-- rowid, or minus one minus a stored row's. Only the columns the rankings need are
-- carried: the copies are held twice, and with every column they no longer fit in the
-- import's memory beside the candidates (DuckDB then spills, +0.1 s on the 1 GB bench).
CREATE OR REPLACE TEMP TABLE import_bulk_decisions AS
WITH stored AS (
    SELECT -1 - e.rowid AS id, e.event_key, e.event_name,
           e.attributes->>'message_id' AS message_id, e.session_id,
           coalesce(e.attributes->>'is_sidechain' = 'true', false) AS sidechain,
           coalesce(e.input_tokens, 0) + coalesce(e.output_tokens, 0)
             + coalesce(e.cache_read_tokens, 0) + coalesce(e.cache_creation_tokens, 0) AS total,
           coalesce(e.cost_usd::DOUBLE, 0) AS cost, coalesce(e.speed, '') <> '' AS has_speed,
           true AS stored, -1 AS file_index, e.time_unix_nano
    FROM events e
    WHERE e.source = 'transcript'
      AND (e.event_key IN (SELECT event_key FROM import_bulk_rows WHERE skip IS NULL)
           OR (e.event_name IN ('api_request', 'transcript_copy')
               AND split_part(e.event_key, ':', 2) IN (
                   SELECT message_id FROM import_bulk_rows
                   WHERE skip IS NULL AND message_id IS NOT NULL)))
),
copies AS (
    SELECT id, event_key, stored, sidechain, total, cost, has_speed, file_index,
           time_unix_nano,
           CASE WHEN message_id IS NULL OR event_name = 'tool_use' THEN NULL
                WHEN starts_with(message_id, 'msg_') THEN message_id
                ELSE message_id || chr(0) || coalesce(session_id, '') END AS route
    FROM (SELECT rowid AS id, event_key, event_name, message_id, session_id, sidechain,
                 total, coalesce(recorded_cost, cost_usd, 0) AS cost,
                 coalesce(speed, '') <> '' AS has_speed, false AS stored, file_index,
                 time_unix_nano
          FROM import_bulk_rows
          WHERE skip IS NULL
          UNION ALL
          SELECT * FROM stored)
),
keys AS (
    SELECT event_key,
           arg_min(id, (sidechain, -total, -cost, NOT has_speed, NOT stored, file_index,
                        time_unix_nano, id)) AS best
    FROM copies GROUP BY event_key
),
ranked AS (
    SELECT c.id, c.stored, c.route, c.sidechain, c.total, c.cost, c.has_speed, c.file_index,
           c.time_unix_nano, CASE WHEN c.stored THEN c.event_key END AS stored_key,
           c.id = k.best AS first
    FROM copies c JOIN keys k USING (event_key)
),
routes AS (
    SELECT route, bool_or(NOT sidechain) AS has_main,
           arg_min(id, (-total, -cost, NOT has_speed, NOT stored, file_index,
                        time_unix_nano, id)) FILTER (WHERE sidechain) AS best_side
    FROM ranked
    WHERE first AND route IS NOT NULL
    GROUP BY route
)
SELECT
    CASE WHEN NOT stored THEN id END AS row_id, stored_key AS event_key, stored,
    CASE
        WHEN NOT first THEN 'duplicate'
        WHEN route IS NOT NULL AND sidechain AND (has_main OR id <> best_side)
            THEN 'replay'
        ELSE 'keep'
    END AS fate
FROM ranked LEFT JOIN routes USING (route)

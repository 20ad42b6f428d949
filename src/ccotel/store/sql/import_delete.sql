-- Remove stored transcript rows that a more complete copy replaces (keys registered as
-- `import_replaced`). Returns how many rows went and their hours, whose rollups the same
-- transaction rebuilds.
WITH deleted AS (
    DELETE FROM events
    WHERE source = 'transcript'
      AND event_key IN (SELECT event_key FROM import_replaced)
    RETURNING ts
)
SELECT count(*), list(DISTINCT date_trunc('hour', ts)) FILTER (WHERE ts IS NOT NULL)
FROM deleted

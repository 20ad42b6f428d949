-- Remove stored transcript rows that a more complete copy replaces (keys registered as
-- `import_replaced`).
DELETE FROM events
WHERE source = 'transcript'
  AND event_key IN (SELECT event_key FROM import_replaced)

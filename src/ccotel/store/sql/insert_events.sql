-- The event_keys of a batch of events (registered as `batch_events`) that are already
-- stored. An event is its key (session.id/event.sequence, else a digest of the record as
-- sent), whatever time it came with: the writer looks from $lo to $hi (the batch's times,
-- widened to every hour its sessions have events in) and at the records that came without
-- a time (time_unix_nano = 0, placed at their receive time; zone maps skip the rest). It
-- leaves those out and appends the rest straight from the batch.
SELECT event_key FROM events
WHERE ts BETWEEN $lo AND $hi
  AND event_key IN (SELECT event_key FROM batch_events)
UNION
SELECT event_key FROM events
WHERE time_unix_nano = 0
  AND event_key IN (SELECT event_key FROM batch_events WHERE time_unix_nano = 0)

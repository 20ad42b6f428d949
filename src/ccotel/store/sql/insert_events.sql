-- The event_keys of a batch of events (registered as `batch_events`) that are already
-- stored: a retried export carries the same event_key and timestamp. The writer leaves
-- them out and appends the rest straight from the batch.
SELECT event_key FROM events
WHERE ts BETWEEN (SELECT min(ts) FROM batch_events) AND (SELECT max(ts) FROM batch_events)
  AND event_key IN (SELECT event_key FROM batch_events)

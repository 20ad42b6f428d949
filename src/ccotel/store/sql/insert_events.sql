-- Insert a batch of events (registered as `batch_events`), skipping any already stored:
-- a retried export carries the same event_key and timestamp.
INSERT INTO events BY NAME
WITH b AS (
    SELECT DISTINCT ON (event_key) * FROM batch_events
),
existing AS (
    SELECT event_key FROM events
    WHERE ts BETWEEN (SELECT min(ts) FROM b) AND (SELECT max(ts) FROM b)
)
SELECT b.* FROM b ANTI JOIN existing USING (event_key)

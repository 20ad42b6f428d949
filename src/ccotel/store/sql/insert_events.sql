-- Insert a batch of events (registered as `batch_events`), skipping any already stored:
-- a retried export carries the same event_key and timestamp. The rows actually inserted
-- are materialised once, typed as in `events`, in the temp table `new_events`, which
-- rollup_add_events.sql then rolls up. Returns how many were inserted.
CREATE OR REPLACE TEMP TABLE new_events AS FROM events LIMIT 0;

INSERT INTO new_events BY NAME
WITH b AS (
    SELECT DISTINCT ON (event_key) * FROM batch_events
),
existing AS (
    SELECT event_key FROM events
    WHERE ts BETWEEN (SELECT min(ts) FROM b) AND (SELECT max(ts) FROM b)
)
SELECT b.* FROM b ANTI JOIN existing USING (event_key);

INSERT INTO events BY NAME SELECT * FROM new_events;

SELECT count(*) FROM new_events

-- Insert a batch of events (registered as `batch_events`), skipping any already stored:
-- a retried export carries the same event_key and timestamp. The rows actually inserted
-- are materialised once, typed as in `events`, in the temp table `new_events`, which
-- rollup_add_events.sql then rolls up. Returns how many were inserted.
CREATE OR REPLACE TEMP TABLE new_events AS FROM events LIMIT 0;

-- (The writer already dropped repeats within the batch, keeping the first.)
INSERT INTO new_events BY NAME
WITH existing AS (
    SELECT event_key FROM events
    WHERE ts BETWEEN (SELECT min(ts) FROM batch_events) AND (SELECT max(ts) FROM batch_events)
)
SELECT b.* FROM batch_events b ANTI JOIN existing USING (event_key);

INSERT INTO events BY NAME SELECT * FROM new_events;

SELECT count(*) FROM new_events

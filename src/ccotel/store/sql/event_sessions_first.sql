-- When the sessions of a batch of events (`batch_events`) first had events in the hours
-- rolled up: the writer looks for the batch's keys from there on (insert_events.sql).
SELECT min(first_ts) FROM events_hourly
WHERE session_id IN (SELECT DISTINCT session_id FROM batch_events
                     WHERE event_sequence IS NOT NULL)

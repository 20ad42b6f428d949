-- When the sessions $sessions first had events in the hours rolled up: the writer looks for
-- a batch's repeats from there on (insert_events.sql, insert_spans.sql).
SELECT min(first_ts) FROM events_hourly
WHERE session_id IN (SELECT unnest($sessions::VARCHAR[]))

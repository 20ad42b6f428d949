-- Roll up the events a commit just inserted (the temp table `new_events`), in its
-- transaction, and note their hours for compaction.
INSERT INTO events_hourly BY NAME
SELECT * FROM events_hourly_of('new_events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

INSERT INTO tool_calls_hourly BY NAME
SELECT * FROM tool_calls_hourly_of('new_events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

INSERT INTO api_latency_hourly BY NAME
SELECT * FROM api_latency_hourly_of('new_events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

INSERT INTO rollup_dirty_hours
SELECT DISTINCT date_trunc('hour', ts) FROM new_events
WHERE date_trunc('hour', ts) NOT IN (SELECT hour FROM rollup_dirty_hours);

DROP TABLE new_events

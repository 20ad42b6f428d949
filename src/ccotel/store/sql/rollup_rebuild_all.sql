-- Recompute every rollup from the raw tables (the migration from schema 1).
DELETE FROM events_hourly;
INSERT INTO events_hourly BY NAME
SELECT * FROM events_hourly_of('events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

DELETE FROM tool_calls_hourly;
INSERT INTO tool_calls_hourly BY NAME
SELECT * FROM tool_calls_hourly_of('events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

DELETE FROM api_latency_hourly;
INSERT INTO api_latency_hourly BY NAME
SELECT * FROM api_latency_hourly_of('events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

DELETE FROM points_hourly;
INSERT INTO points_hourly BY NAME
SELECT * FROM points_hourly_of('points', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

DELETE FROM edit_decisions_hourly;
INSERT INTO edit_decisions_hourly BY NAME
SELECT * FROM edit_decisions_hourly_of('points', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

DELETE FROM rollup_dirty_hours

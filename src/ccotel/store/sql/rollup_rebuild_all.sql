-- Recompute every rollup from the raw tables (the migration from schema 1), ordered as
-- rollup_rebuild.sql orders them.
DELETE FROM events_hourly;
INSERT INTO events_hourly BY NAME
SELECT * FROM events_hourly_of('events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)
ORDER BY hour;

DELETE FROM tool_calls_hourly;
INSERT INTO tool_calls_hourly BY NAME
SELECT * FROM tool_calls_hourly_of('events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)
ORDER BY hour;

DELETE FROM attrib_hourly;
INSERT INTO attrib_hourly BY NAME
SELECT * FROM attrib_hourly_of('events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)
ORDER BY hour;

DELETE FROM session_git;
INSERT INTO session_git BY NAME
SELECT * FROM session_git_of('events');

DELETE FROM api_latency_hourly;
INSERT INTO api_latency_hourly BY NAME
SELECT * FROM api_latency_hourly_of('events', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)
ORDER BY hour;

DELETE FROM points_hourly;
INSERT INTO points_hourly BY NAME
SELECT p.*, EXISTS (
           SELECT 1 FROM events_hourly e
           WHERE e.hour = p.hour AND e.requests > 0
             AND e.session_id IS NOT DISTINCT FROM p.session_id
             AND e.user_id IS NOT DISTINCT FROM p.user_id
             AND e.user_email IS NOT DISTINCT FROM p.user_email
             AND e.terminal_type IS NOT DISTINCT FROM p.terminal_type
             AND e.service_version IS NOT DISTINCT FROM p.service_version
             AND e.app_version IS NOT DISTINCT FROM p.app_version
             AND e.model IS NOT DISTINCT FROM p.model) AS with_requests
FROM points_hourly_of('points', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP) p
ORDER BY with_requests DESC, hour;

DELETE FROM edit_decisions_hourly;
INSERT INTO edit_decisions_hourly BY NAME
SELECT * FROM edit_decisions_hourly_of('points', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP)
ORDER BY hour;

DELETE FROM rollup_dirty_hours

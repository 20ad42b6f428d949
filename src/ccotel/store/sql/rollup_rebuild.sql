-- Recompute the rollups of the hours in $hours (all in the range start..end) from the raw
-- tables: one row per group, in time order (points_hourly: the rows beside api_requests
-- first, so that the queries looking for the others skip whole row groups). Compacts the
-- rows appended per commit, and brings the rollups back in step after raw rows were
-- deleted (importer, retention).

-- The hours, bound once: a list parameter costs each statement that binds it.
CREATE OR REPLACE TEMP TABLE rollup_hours AS SELECT DISTINCT unnest($hours::TIMESTAMP[]) AS hour;

DELETE FROM events_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT hour FROM rollup_hours);

INSERT INTO events_hourly BY NAME
SELECT * FROM events_hourly_of('events', $start, $end)
WHERE hour IN (SELECT hour FROM rollup_hours)
ORDER BY hour;

DELETE FROM tool_calls_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT hour FROM rollup_hours);

INSERT INTO tool_calls_hourly BY NAME
SELECT * FROM tool_calls_hourly_of('events', $start, $end)
WHERE hour IN (SELECT hour FROM rollup_hours)
ORDER BY hour;

DELETE FROM attrib_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT hour FROM rollup_hours);

INSERT INTO attrib_hourly BY NAME
SELECT * FROM attrib_hourly_of('events', $start, $end)
WHERE hour IN (SELECT hour FROM rollup_hours)
ORDER BY hour;

DELETE FROM api_latency_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT hour FROM rollup_hours);

INSERT INTO api_latency_hourly BY NAME
SELECT * FROM api_latency_hourly_of('events', $start, $end)
WHERE hour IN (SELECT hour FROM rollup_hours)
ORDER BY hour;

DELETE FROM points_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT hour FROM rollup_hours);

-- After events_hourly: with_requests looks up the rebuilt rows of the same hours.
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
FROM points_hourly_of('points', $start, $end) p
WHERE p.hour IN (SELECT hour FROM rollup_hours)
ORDER BY with_requests DESC, hour;

DELETE FROM edit_decisions_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT hour FROM rollup_hours);

INSERT INTO edit_decisions_hourly BY NAME
SELECT * FROM edit_decisions_hourly_of('points', $start, $end)
WHERE hour IN (SELECT hour FROM rollup_hours)
ORDER BY hour;

DELETE FROM rollup_dirty_hours WHERE hour IN (SELECT hour FROM rollup_hours);

DROP TABLE rollup_hours

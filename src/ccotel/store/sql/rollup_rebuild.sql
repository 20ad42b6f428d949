-- Recompute the rollups of the hours $hours (all within [$start, $end)) from the raw
-- tables: one row per group. Compacts the rows appended per commit, and brings the
-- rollups back in step after raw rows were deleted (importer, retention).
DELETE FROM events_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT unnest($hours::TIMESTAMP[]));

INSERT INTO events_hourly BY NAME
SELECT * FROM events_hourly_of('events', $start, $end)
WHERE hour IN (SELECT unnest($hours::TIMESTAMP[]));

DELETE FROM tool_calls_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT unnest($hours::TIMESTAMP[]));

INSERT INTO tool_calls_hourly BY NAME
SELECT * FROM tool_calls_hourly_of('events', $start, $end)
WHERE hour IN (SELECT unnest($hours::TIMESTAMP[]));

DELETE FROM api_latency_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT unnest($hours::TIMESTAMP[]));

INSERT INTO api_latency_hourly BY NAME
SELECT * FROM api_latency_hourly_of('events', $start, $end)
WHERE hour IN (SELECT unnest($hours::TIMESTAMP[]));

DELETE FROM points_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT unnest($hours::TIMESTAMP[]));

INSERT INTO points_hourly BY NAME
SELECT * FROM points_hourly_of('points', $start, $end)
WHERE hour IN (SELECT unnest($hours::TIMESTAMP[]));

DELETE FROM edit_decisions_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT unnest($hours::TIMESTAMP[]));

INSERT INTO edit_decisions_hourly BY NAME
SELECT * FROM edit_decisions_hourly_of('points', $start, $end)
WHERE hour IN (SELECT unnest($hours::TIMESTAMP[]));

DELETE FROM rollup_dirty_hours WHERE hour IN (SELECT unnest($hours::TIMESTAMP[]))

-- Retention: rollup rows of the hours that went wholly before the cutoff since the last
-- run ($since) go with their raw rows; hours that keep imported history and the cutoff's
-- own hour are then rebuilt from what raw rows remain.
DELETE FROM events_hourly WHERE hour >= $since AND hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM tool_calls_hourly WHERE hour >= $since AND hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM attrib_hourly WHERE hour >= $since AND hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM api_latency_hourly WHERE hour >= $since AND hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM points_hourly WHERE hour >= $since AND hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM edit_decisions_hourly WHERE hour >= $since AND hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM rollup_dirty_hours WHERE hour >= $since AND hour < date_trunc('hour', $cutoff::TIMESTAMP)

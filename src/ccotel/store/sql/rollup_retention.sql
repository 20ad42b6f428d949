-- Retention: rollup rows of the hours wholly before the cutoff go with their raw rows
-- (the cutoff's own hour is then rebuilt from what raw rows remain).
DELETE FROM events_hourly WHERE hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM tool_calls_hourly WHERE hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM api_latency_hourly WHERE hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM points_hourly WHERE hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM edit_decisions_hourly WHERE hour < date_trunc('hour', $cutoff::TIMESTAMP);
DELETE FROM rollup_dirty_hours WHERE hour < date_trunc('hour', $cutoff::TIMESTAMP)

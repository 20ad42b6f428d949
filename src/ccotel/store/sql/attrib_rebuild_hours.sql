-- Roll up attrib_hourly alone for the hours $hours (all in the range start..end) from the
-- raw events, as rollup_rebuild.sql does for every rollup: the migration to schema 7
-- (rollups.rebuild_attrib).
DELETE FROM attrib_hourly
WHERE hour >= $start AND hour < $end AND hour IN (SELECT unnest($hours::TIMESTAMP[]));

INSERT INTO attrib_hourly BY NAME
SELECT * FROM attrib_hourly_of('events', $start, $end)
WHERE hour IN (SELECT unnest($hours::TIMESTAMP[]))
ORDER BY hour

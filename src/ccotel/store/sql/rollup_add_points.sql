-- Roll up the metric points a commit just inserted (the temp table `new_points`, values
-- already deltas), in its transaction, and note their hours for compaction.
INSERT INTO points_hourly BY NAME
SELECT * FROM points_hourly_of('new_points', '-infinity'::TIMESTAMP, 'infinity'::TIMESTAMP);

INSERT INTO edit_decisions_hourly BY NAME
SELECT * FROM edit_decisions_hourly_of('new_points', '-infinity'::TIMESTAMP,
                                       'infinity'::TIMESTAMP);

INSERT INTO rollup_dirty_hours
SELECT DISTINCT date_trunc('hour', ts) FROM new_points
WHERE date_trunc('hour', ts) NOT IN (SELECT hour FROM rollup_dirty_hours);

DROP TABLE new_points

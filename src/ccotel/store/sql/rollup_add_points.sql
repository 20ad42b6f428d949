-- Roll up the metric points a commit just inserted (the table or view named $src, values
-- already deltas) that fall before $until (rolled_until), in its transaction.
-- rollups.add runs only the statements whose rows the batch has (ONLY_WITH there).
INSERT INTO points_hourly BY NAME
SELECT * FROM points_hourly_of($src, '-infinity'::TIMESTAMP, $until);

INSERT INTO edit_decisions_hourly BY NAME
SELECT * FROM edit_decisions_hourly_of($src, '-infinity'::TIMESTAMP, $until);

-- and note their hours for compaction.
INSERT INTO rollup_dirty_hours
SELECT DISTINCT date_trunc('hour', ts) FROM query_table($src)
WHERE ts < $until AND date_trunc('hour', ts) NOT IN (SELECT hour FROM rollup_dirty_hours)

-- Roll up the events a commit just inserted (the table or view named $src: the writer's
-- batch, or bulk.py's new_events) that fall before $until (rolled_until: the hours after
-- it are rolled up once they end), in its transaction. rollups.add runs only the
-- statements whose rows the batch has (ONLY_WITH there).
INSERT INTO events_hourly BY NAME
SELECT * FROM events_hourly_of($src, '-infinity'::TIMESTAMP, $until);

INSERT INTO tool_calls_hourly BY NAME
SELECT * FROM tool_calls_hourly_of($src, '-infinity'::TIMESTAMP, $until);

INSERT INTO attrib_hourly BY NAME
SELECT * FROM attrib_hourly_of($src, '-infinity'::TIMESTAMP, $until);

INSERT INTO api_latency_hourly BY NAME
SELECT * FROM api_latency_hourly_of($src, '-infinity'::TIMESTAMP, $until);

-- and note their hours for compaction.
INSERT INTO rollup_dirty_hours
SELECT DISTINCT date_trunc('hour', ts) FROM query_table($src)
WHERE ts < $until AND date_trunc('hour', ts) NOT IN (SELECT hour FROM rollup_dirty_hours)

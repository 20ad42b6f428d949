-- The days before $before (the day of rolled_until) of the requests a commit just inserted
-- (the table or view named $src, as in rollup_add_events.sql): attrib_daily's days that
-- rollups.add rebuilds.
SELECT DISTINCT date_trunc('day', ts) AS day FROM query_table($src)
WHERE ts < $before
  AND event_name = 'api_request'

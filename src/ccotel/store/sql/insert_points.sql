-- Insert a batch of metric points (registered as `batch_points`): a point already stored
-- for the same series, start and time (a retried export) is skipped. The rows actually
-- inserted are materialised once in the temp table `new_points` (typed as in `points`),
-- which rollup_add_points.sql then rolls up. Returns how many were inserted.
CREATE OR REPLACE TEMP TABLE new_points AS FROM points LIMIT 0;

INSERT INTO new_points BY NAME
WITH b AS (
    SELECT DISTINCT ON (series_key, start_unix_nano, time_unix_nano) * FROM batch_points
),
existing AS (
    SELECT series_key, start_unix_nano, time_unix_nano FROM points
    WHERE ts BETWEEN (SELECT min(ts) FROM b) AND (SELECT max(ts) FROM b)
)
SELECT b.* FROM b
ANTI JOIN existing
    ON b.series_key = existing.series_key
    AND b.time_unix_nano = existing.time_unix_nano
    AND b.start_unix_nano IS NOT DISTINCT FROM existing.start_unix_nano;

INSERT INTO points BY NAME SELECT * FROM new_points;

SELECT count(*) FROM new_points

-- Insert a batch of metric points (registered as `batch_points`): a point already stored
-- for the same series, start and time (a retried export) is skipped.
INSERT INTO points BY NAME
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
    AND b.start_unix_nano IS NOT DISTINCT FROM existing.start_unix_nano

-- The points of a batch (registered as `batch_points`) already stored for the same series,
-- start and time (a retried export). The writer leaves them out and appends the rest
-- straight from the batch.
SELECT p.series_key, p.start_unix_nano, p.time_unix_nano
FROM points p
SEMI JOIN batch_points b
    ON p.series_key = b.series_key
    AND p.time_unix_nano = b.time_unix_nano
    AND p.start_unix_nano IS NOT DISTINCT FROM b.start_unix_nano
WHERE p.ts BETWEEN (SELECT min(ts) FROM batch_points) AND (SELECT max(ts) FROM batch_points)

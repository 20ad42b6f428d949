-- How many raw rows each of the hours $hours (all in the range start..end) holds, for
-- rebuilding their rollups in parts.
SELECT date_trunc('hour', ts) AS hour, count(*) AS n
FROM (
    SELECT ts FROM events WHERE ts >= $start AND ts < $end
    UNION ALL
    SELECT ts FROM points WHERE ts >= $start AND ts < $end
)
WHERE date_trunc('hour', ts) IN (SELECT unnest($hours::TIMESTAMP[]))
GROUP BY 1

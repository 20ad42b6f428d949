-- Silence rules: users ($by = 'user') or machines (resource attribute at JSON path $path)
-- that sent telemetry (events or metric points) since $seen_from but none since $quiet_from.
WITH seen AS (
    SELECT CASE WHEN $by = 'user' THEN user_id ELSE json_extract_string(resource, $path) END
               AS key, ts
    FROM events WHERE source = 'telemetry' AND ts >= $seen_from
    UNION ALL
    SELECT CASE WHEN $by = 'user' THEN user_id ELSE json_extract_string(resource, $path) END
               AS key, ts
    FROM points WHERE ts >= $seen_from
)
SELECT key, max(ts) AS last_seen
FROM seen
WHERE key IS NOT NULL AND key <> ''
GROUP BY key
HAVING max(ts) < $quiet_from

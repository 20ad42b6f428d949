-- The values the dashboard's filters offer: what was seen in the range, most used first.
-- Sessions are capped ($limit): a picker of thousands helps no one.
-- Whole hours [$rollup_from, $rollup_to) come from the rollups, the rest from raw rows.
WITH rows AS (
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, events AS n, last_ts
    FROM events_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, 1, ts
    FROM events
    WHERE (ts >= $from AND ts < $rollup_from
           OR ts >= $rollup_to AND ts < $to)
      AND event_name IS DISTINCT FROM 'ccotel.git'  -- a git record, not an event
    UNION ALL
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, points, last_ts
    FROM points_hourly
    WHERE hour >= $rollup_from AND hour < $rollup_to
    UNION ALL
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, 1, ts
    FROM points
    WHERE ts >= $from AND ts < $rollup_from
       OR ts >= $rollup_to AND ts < $to
),
vals AS (
    SELECT 'user' AS filter, coalesce(user_email, user_id) AS value, sum(n) AS n,
           max(last_ts) AS last_ts
    FROM rows WHERE user_id IS NOT NULL OR user_email IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'model', model, sum(n), max(last_ts) FROM rows WHERE model IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'terminal', terminal_type, sum(n), max(last_ts) FROM rows
    WHERE terminal_type IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'version', coalesce(app_version, service_version), sum(n), max(last_ts) FROM rows
    WHERE coalesce(app_version, service_version) IS NOT NULL GROUP BY ALL
    UNION ALL
    (SELECT 'session', session_id, sum(n), max(last_ts) FROM rows
     WHERE session_id IS NOT NULL GROUP BY ALL ORDER BY max(last_ts) DESC LIMIT $limit)
)
SELECT filter, value, n, last_ts FROM vals ORDER BY filter, n DESC, value

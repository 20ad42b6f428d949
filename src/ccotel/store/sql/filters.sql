-- The values the dashboard's filters offer: what was seen in the range, most used first.
-- Sessions are capped ($limit): a picker of thousands helps no one.
WITH ev AS (
    SELECT user_id, user_email, model, session_id, terminal_type, service_version, app_version, ts
    FROM events WHERE ts >= $from AND ts < $to
),
pt AS (
    SELECT user_id, user_email, model, session_id, terminal_type, service_version, app_version, ts
    FROM points WHERE ts >= $from AND ts < $to
),
rows AS (SELECT * FROM ev UNION ALL SELECT * FROM pt),
vals AS (
    SELECT 'user' AS filter, coalesce(user_email, user_id) AS value, count(*) AS n,
           max(ts) AS last_ts
    FROM rows WHERE user_id IS NOT NULL OR user_email IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'model', model, count(*), max(ts) FROM rows WHERE model IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'terminal', terminal_type, count(*), max(ts) FROM rows
    WHERE terminal_type IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT 'version', coalesce(app_version, service_version), count(*), max(ts) FROM rows
    WHERE coalesce(app_version, service_version) IS NOT NULL GROUP BY ALL
    UNION ALL
    (SELECT 'session', session_id, count(*), max(ts) FROM rows
     WHERE session_id IS NOT NULL GROUP BY ALL ORDER BY max(ts) DESC LIMIT $limit)
)
SELECT filter, value, n, last_ts FROM vals ORDER BY filter, n DESC, value
